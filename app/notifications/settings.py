"""The delivery settings (HUKOU_SMTP_*, HUKOU_MAIL_FROM, HUKOU_DINGTALK_*, HUKOU_WECOM_WEBHOOK, HUKOU_NOTIFY_*)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

TLS_MODES = ("none", "starttls", "ssl")
CHANNELS = ("email", "dingtalk", "wecom")


@dataclass(frozen=True)
class Settings:
    """What the channels need; a channel whose address is empty is not configured."""

    smtp_host: str = ""
    smtp_port: int = 0
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = "starttls"
    mail_from: str = ""
    dingtalk_webhook: str = ""
    dingtalk_secret: str = ""
    wecom_webhook: str = ""
    base_url: str = ""
    attempts: int = 3
    backoff: float = 5.0
    timeout: float = 10.0

    def channels(self) -> list[str]:
        """The external channels that are configured, in delivery order."""
        wanted = {"email": self.smtp_host, "dingtalk": self.dingtalk_webhook, "wecom": self.wecom_webhook}
        return [name for name in CHANNELS if wanted[name]]

    def port(self) -> int:
        """The SMTP port: the setting, else the usual port of the TLS mode."""
        return self.smtp_port or {"ssl": 465, "starttls": 587}.get(self.smtp_tls, 25)

    def url(self, link: str) -> str:
        """An absolute link for mail and robots (HUKOU_BASE_URL + path); the path alone when no base is set."""
        if not link or link.startswith(("http://", "https://")):
            return link
        return self.base_url.rstrip("/") + "/" + link.lstrip("/") if self.base_url else link


def _number(raw: Any, default: float, cast=float) -> Any:
    """A numeric setting, the default when empty or unreadable."""
    try:
        return cast(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default


def from_mapping(cfg: Mapping[str, Any]) -> Settings:
    """Settings from app.config (or os.environ)."""
    get = lambda key: str(cfg.get(key) or "").strip()  # noqa: E731
    return Settings(
        smtp_host=get("HUKOU_SMTP_HOST"), smtp_port=_number(cfg.get("HUKOU_SMTP_PORT"), 0, int),
        smtp_user=get("HUKOU_SMTP_USER"), smtp_password=str(cfg.get("HUKOU_SMTP_PASSWORD") or ""),
        smtp_tls=(get("HUKOU_SMTP_TLS") or "starttls").lower(), mail_from=get("HUKOU_MAIL_FROM"),
        dingtalk_webhook=get("HUKOU_DINGTALK_WEBHOOK"), dingtalk_secret=get("HUKOU_DINGTALK_SECRET"),
        wecom_webhook=get("HUKOU_WECOM_WEBHOOK"), base_url=get("HUKOU_BASE_URL"),
        attempts=max(1, _number(cfg.get("HUKOU_NOTIFY_ATTEMPTS"), 3, int)),
        backoff=max(0.0, _number(cfg.get("HUKOU_NOTIFY_BACKOFF_SECONDS"), 5.0)),
        timeout=max(0.1, _number(cfg.get("HUKOU_NOTIFY_TIMEOUT_SECONDS"), 10.0)),
    )


def current() -> Settings:
    """The running app's settings (outside an app: the environment)."""
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover
        return from_mapping(os.environ)
    return from_mapping(current_app.config if has_app_context() else os.environ)
