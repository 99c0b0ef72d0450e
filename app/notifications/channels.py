"""The external channels: e-mail (smtplib) and DingTalk / WeCom group robots (urllib), with retries and back-off.

Every network call has a timeout. Error texts are Chinese and never carry a password, a webhook token or a
signature. What is sent was masked when it was recorded (service.send); nothing here adds personal numbers.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Callable

from ..clock import utcnow
from .settings import TLS_MODES, Settings

CHANNEL_LABELS = {"email": "电子邮件", "dingtalk": "钉钉群机器人", "wecom": "企业微信群机器人"}
KIND_LABELS = {
    "loan_overdue": "借页逾期未还", "leaver_overdue": "离职逾期未迁出", "materials_missing": "材料待补正",
    "approval_overdue": "审批超期", "id_expiring": "身份证即将到期", "certificate_lapsing": "迁移证件即将失效",
    "manual": "催办",
}
SENDER_NAME = "集体户口管理系统"
DIGEST_ITEMS = 20          # lines per robot post
DIGEST_BYTES = 3800        # WeCom caps markdown content at 4096 bytes
sleep: Callable[[float], None] = time.sleep  # replaced by tests that count the back-off


@dataclass(frozen=True)
class Item:
    """One pending delivery, read out of the database so the network work holds no transaction open."""

    delivery_id: int
    channel: str
    address: str | None
    kind: str
    subject: str
    body: str
    link: str
    recipient: str
    object_type: str
    object_id: int
    day: dt.date


@dataclass(frozen=True)
class Attempt:
    """One try of one delivery."""

    delivery_id: int
    at: dt.datetime
    ok: bool
    error: str | None = None


class ChannelError(Exception):
    """One message could not be delivered (Chinese text, no secrets)."""


class ChannelDown(ChannelError):
    """The channel cannot be reached at all this round: the rest of the round is not tried."""


def push(channel: str, items: list[Item], settings: Settings) -> list[Attempt]:
    """Deliver `items` through `channel`, retrying failures with back-off; every attempt is returned."""
    batches = _email_batches(items) if channel == "email" else _digest_batches(items, settings)
    send_round = {"email": _email_round, "dingtalk": _dingtalk_round, "wecom": _wecom_round}[channel]
    attempts: list[Attempt] = []
    remaining = batches
    for k in range(settings.attempts):
        if k:
            sleep(settings.backoff * 2 ** (k - 1))
        errors = send_round(remaining, settings)
        stamp = utcnow()
        for (ids, _payload), error in zip(remaining, errors):
            attempts.extend(Attempt(i, stamp, error is None, error) for i in ids)
        remaining = [b for b, e in zip(remaining, errors) if e is not None]
        if not remaining:
            break
    return attempts


def _fail_rest(errors: list, n: int, error: str) -> list:
    """Fill the round's remaining results with the channel's error."""
    return errors + [error] * (n - len(errors))


# --- e-mail ---------------------------------------------------------------------------------------------------

def _email_batches(items: list[Item]) -> list[tuple[list[int], Item]]:
    """One mail per delivery (each goes to its recipient's own address)."""
    return [([it.delivery_id], it) for it in items]


def compose_mail(item: Item, settings: Settings) -> EmailMessage:
    """The mail of one notification: Chinese, the recipient named, an absolute link to the object."""
    msg = EmailMessage()
    msg["Subject"] = "【集体户口】" + " ".join(item.subject.split())
    msg["From"] = formataddr((SENDER_NAME, settings.mail_from or settings.smtp_user or "hukou@localhost"))
    msg["To"] = item.address or ""
    msg["Message-ID"] = make_msgid(domain="hukou.local")
    link = settings.url(item.link)
    text = f"{item.recipient}：\n\n{item.body or item.subject}\n\n"
    text += (f"查看：{link}\n\n" if link else "") + f"——{SENDER_NAME}（系统自动发送，请勿直接回复）\n"
    msg.set_content(text, charset="utf-8")
    return msg


def _smtp(settings: Settings) -> smtplib.SMTP:
    """A connected (and, if configured, logged-in) SMTP client; ChannelDown when that fails."""
    if settings.smtp_tls not in TLS_MODES:
        raise ChannelDown(f"HUKOU_SMTP_TLS 取值无效（{settings.smtp_tls}），应为 none / starttls / ssl")
    where = f"{settings.smtp_host}:{settings.port()}"
    try:
        if settings.smtp_tls == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.port(), timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.port(), timeout=settings.timeout)
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        return client
    except smtplib.SMTPAuthenticationError:
        raise ChannelDown(f"邮件服务器 {where} 拒绝登录（请检查 HUKOU_SMTP_USER / HUKOU_SMTP_PASSWORD）") from None
    except smtplib.SMTPNotSupportedError:
        raise ChannelDown(f"邮件服务器 {where} 不支持 STARTTLS 或登录") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelDown(f"无法连接邮件服务器 {where}：{_reason(exc)}") from None


def _email_round(batches: list, settings: Settings) -> list[str | None]:
    """Send each mail over one connection; a lost connection fails the rest of the round."""
    errors: list[str | None] = []
    try:
        client = _smtp(settings)
    except ChannelDown as exc:
        return _fail_rest(errors, len(batches), str(exc))
    try:
        for _ids, item in batches:
            if not item.address:
                errors.append("收件人没有登记电子邮箱")
                continue
            try:
                client.send_message(compose_mail(item, settings))
                errors.append(None)
            except smtplib.SMTPRecipientsRefused:
                errors.append(f"邮件服务器拒收收件人 {item.address}")
            except smtplib.SMTPResponseException as exc:
                errors.append(f"邮件服务器拒绝发送（{exc.smtp_code}）")
            except (OSError, smtplib.SMTPException) as exc:
                return _fail_rest(errors, len(batches), f"与邮件服务器的连接中断：{_reason(exc)}")
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return errors


# --- group robots ---------------------------------------------------------------------------------------------

def _digest_batches(items: list[Item], settings: Settings) -> list[tuple[list[int], str]]:
    """The robot digest: one line per reminder (its recipients named together), split into posts that fit."""
    groups: dict[tuple, list[Item]] = {}
    for it in items:
        groups.setdefault((it.day, it.kind, it.object_type, it.object_id), []).append(it)
    batches: list[tuple[list[int], str]] = []
    ids: list[int] = []
    lines: list[str] = []
    for members in groups.values():
        line = _digest_line(members, settings)
        if lines and (len(lines) >= DIGEST_ITEMS or
                      len(_digest_text(lines + [line]).encode("utf-8")) > DIGEST_BYTES):
            batches.append((ids, _digest_text(lines)))
            ids, lines = [], []
        ids += [m.delivery_id for m in members]
        lines.append(line)
    if lines:
        batches.append((ids, _digest_text(lines)))
    return batches


def _digest_line(members: list[Item], settings: Settings) -> str:
    """One reminder in the digest: kind, subject, who is reminded, the link."""
    first = members[0]
    names = "、".join(dict.fromkeys(m.recipient for m in members))
    link = settings.url(first.link)
    shown = f" [查看]({link})" if link.startswith(("http://", "https://")) else (f" {link}" if link else "")
    subject = " ".join(first.subject.split())[:150]
    return f"- **{KIND_LABELS.get(first.kind, first.kind)}**：{subject}（提醒：{names}）{shown}"


def _digest_text(lines: list[str]) -> str:
    """The markdown of one robot post."""
    return f"### {SENDER_NAME}：催办与提醒\n\n" + "\n".join(lines)


def dingtalk_url(webhook: str, secret: str, now_ms: int | None = None) -> str:
    """The webhook with DingTalk's signature: timestamp (ms) and Base64(HmacSHA256(secret, "ts\\nsecret"))."""
    if not secret:
        return webhook
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{webhook}{'&' if '?' in webhook else '?'}timestamp={stamp}&sign={sign}"


def _dingtalk_round(batches: list, settings: Settings) -> list[str | None]:
    """Post each digest part to the DingTalk robot (markdown), signed when a secret is set."""
    def payload(text: str) -> dict:
        return {"msgtype": "markdown", "markdown": {"title": f"{SENDER_NAME}：催办与提醒", "text": text}}
    return _robot_round(batches, settings, lambda: dingtalk_url(settings.dingtalk_webhook, settings.dingtalk_secret),
                        payload, "钉钉")


def _wecom_round(batches: list, settings: Settings) -> list[str | None]:
    """Post each digest part to the WeCom group robot (markdown)."""
    return _robot_round(batches, settings, lambda: settings.wecom_webhook,
                        lambda text: {"msgtype": "markdown", "markdown": {"content": text}}, "企业微信")


def _robot_round(batches: list, settings: Settings, url: Callable[[], str], payload: Callable[[str], dict],
                 name: str) -> list[str | None]:
    """Post the round's digest parts; an unreachable robot fails the rest of the round."""
    errors: list[str | None] = []
    for _ids, text in batches:
        try:
            post_json(url(), payload(text), settings.timeout, name)
            errors.append(None)
        except ChannelDown as exc:
            return _fail_rest(errors, len(batches), str(exc))
        except ChannelError as exc:
            errors.append(str(exc))
    return errors


def post_json(url: str, data: dict, timeout: float, name: str) -> None:
    """POST JSON to a robot; raises ChannelDown (unreachable, HTTP error) or ChannelError (errcode ≠ 0)."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (the configured webhook)
            raw = resp.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelDown(f"{name}机器人返回 HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ChannelDown(f"无法连接{name}机器人：{_reason(exc)}") from None
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except ValueError:
        raise ChannelError(f"{name}机器人的回答无法识别") from None
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0"):
        raise ChannelError(f"{name}机器人拒绝了消息（错误码 {code}：{str(answer.get('errmsg', ''))[:100]}）")


def _reason(exc: BaseException) -> str:
    """A short Chinese reason for a network error (no URLs: they may carry a token)."""
    inner = getattr(exc, "reason", exc)
    if isinstance(inner, (socket.timeout, TimeoutError)):
        return "连接超时"
    if isinstance(inner, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(inner, socket.gaierror):
        return "无法解析主机名"
    if isinstance(inner, ssl.SSLError):
        return "TLS 握手失败"
    if isinstance(inner, ConnectionError):
        return "连接被中断"
    return type(inner).__name__
