"""Loopback receivers for the notification tests: a tiny SMTP server and an HTTP robot endpoint."""
from __future__ import annotations

import contextlib
import email
import email.policy
import json
import socket
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        box = self.server.box
        self.reply("220 loopback ESMTP")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            cmd = raw.decode("utf-8", "replace").strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 loopback")
            elif verb == "MAIL":
                sender, rcpts = cmd.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                addr = cmd.split(":", 1)[1].strip().strip("<>")
                if addr in box.refuse:
                    self.reply("550 no such user")
                else:
                    rcpts.append(addr)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                msg = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                box.messages.append({"from": sender, "to": list(rcpts), "msg": msg})
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SMTPBox:
    """A running loopback SMTP server: .port, .messages (from, to, parsed message), .refuse (addresses)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.refuse: set[str] = set()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
        self.server.daemon_threads = True
        self.server.box = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        """Subject and body of every received mail, as one text each."""
        return [m["msg"]["Subject"] + "\n" + m["msg"].get_content() for m in self.messages]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _RobotHandler(BaseHTTPRequestHandler):
    """Records each POST and answers with the receiver's current status and JSON."""

    def do_POST(self):  # noqa: N802
        box = self.server.box
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        box.posts.append({"path": url.path, "query": urllib.parse.parse_qs(url.query),
                          "json": json.loads(body.decode("utf-8"))})
        status, answer = box.answers.pop(0) if box.answers else (box.status, box.answer)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output quiet
        pass


class RobotBox:
    """A running loopback webhook receiver: .url(path), .posts, .status / .answer, .answers (queued replies)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status, self.answer = 200, {"errcode": 0, "errmsg": "ok"}
        self.answers: list[tuple[int, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _RobotHandler)
        self.server.daemon_threads = True
        self.server.box = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def texts(self) -> list[str]:
        """The JSON of every post as text."""
        return [json.dumps(p["json"], ensure_ascii=False) for p in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
