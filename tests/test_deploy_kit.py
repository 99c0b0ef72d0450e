"""The deployment kit as shipped (deploy/): the systemd units pass `systemd-analyze verify`; the nginx site passes
`nginx -t` and, in front of a real gunicorn, redirects HTTP to HTTPS, answers over TLS with HSTS and HTTPS-only
cookies, serves the static files itself and hands the app the client's address (a forged X-Forwarded-For is not
believed). Only the host paths (code, virtualenv, certificate, logs, ports) are replaced to run it here."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

from bench.load import spawned

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
TOOLS_REQUIRED = os.environ.get("HUKOU_DEPLOY_REQUIRED") == "1"  # .ci/run installs nginx: there, no skipping


def _need(tool: str) -> str:
    """The tool's path, or skip (fail where .ci/run promised it)."""
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if path is None:
        if TOOLS_REQUIRED:
            pytest.fail(f"{tool} is missing although HUKOU_DEPLOY_REQUIRED=1")
        pytest.skip(f"{tool} is not installed")
    return path


def _sqlite_run_only() -> None:
    """The kit does not depend on the database: it is exercised on the SQLite pass of the suite."""
    if os.environ.get("HUKOU_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the deployment kit is checked on the SQLite pass (it spawns its own instance)")


def test_systemd_units_verify(tmp_path):
    _sqlite_run_only()
    tool = _need("systemd-analyze")
    names = ["hukou.service", "hukou-worker.service", "hukou-backup.service", "hukou-backup.timer"]
    for name in names:  # the virtualenv and checkout as on this machine; every other line as shipped
        text = (DEPLOY / name).read_text().replace("/opt/hukou/venv/bin/", f"{BIN}/").replace("/opt/hukou", str(ROOT))
        (tmp_path / name).write_text(text)
    done = subprocess.run([tool, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hukou worker" in (DEPLOY / "hukou-worker.service").read_text()
    assert "OnCalendar" in (DEPLOY / "hukou-backup.timer").read_text()


def _site(tmp: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx-hukou.conf with this machine's paths and ports, inside a minimal nginx.conf."""
    import flask_appbuilder

    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=hukou.example.edu.cn",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    fab_static = Path(flask_appbuilder.__file__).parent / "static" / "appbuilder"
    site = (DEPLOY / "nginx-hukou.conf").read_text()
    for old, new in [("/etc/nginx/tls/hukou.example.edu.cn.fullchain.pem", str(cert)),
                     ("/etc/nginx/tls/hukou.example.edu.cn.key", str(key)), ("/var/log/nginx/", f"{tmp}/"),
                     ("/opt/hukou/venv/lib/python3.11/site-packages/flask_appbuilder/static/appbuilder/",
                      f"{fab_static}/"), ("/opt/hukou/app/static/", f"{ROOT}/app/static/"),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")]:
        assert old in site, old
        site = site.replace(old, new)
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    (tmp / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the checkout and write the temp folders
    main = tmp / "nginx.conf"
    main.write_text(f"{user}daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
                    f"http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {tmp}/body;\n"
                    f"  proxy_temp_path {tmp}/proxy;\n  access_log off;\n  include {tmp}/site.conf;\n}}\n")
    return main


def _wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    """Until nginx accepts connections (or fail with its error log)."""
    import socket

    end = time.monotonic() + 20
    while time.monotonic() < end:
        assert proc.poll() is None, log.read_text(errors="replace") if log.exists() else "nginx exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail("nginx did not listen within 20 s")


def test_nginx_site_in_front_of_gunicorn(tmp_path):
    _sqlite_run_only()
    nginx = _need("nginx")
    _need("openssl")
    from bench.load import free_port

    extra = {"HUKOU_TRUSTED_PROXIES": "1", "HUKOU_SECURE_COOKIES": "1"}
    with spawned(None, residents=20, workers=1, threads=2, env_extra=extra) as server:
        app_port = int(server.base.rsplit(":", 1)[1])
        http_port, https_port = free_port(), free_port()
        conf = _site(tmp_path, app_port, http_port, https_port)
        check = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(https_port, proc, tmp_path / "error.log")
            _check_proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", server)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


CLIENT = "127.0.0.2"


class FromAddress(HTTPAdapter):
    """Connections from CLIENT, so that the address the app records tells the client from the proxy."""

    def init_poolmanager(self, *args, **kwargs):
        """urllib3's pools with the source address set."""
        kwargs["source_address"] = (CLIENT, 0)
        super().init_poolmanager(*args, **kwargs)


def _check_proxy(https: str, http: str, server) -> None:
    """What the site promises, asked through it."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    plain = requests.get(http + "/login/", allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    s = requests.Session()
    s.trust_env = False  # the test's own self-signed certificate: no CA bundle from the environment either
    s.verify = False
    s.mount("https://", FromAddress())  # the client is 127.0.0.2; nginx reaches gunicorn from 127.0.0.1
    page = s.get(https + "/login/", timeout=30)
    assert page.status_code == 200 and "登录" in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
    assert "Content-Security-Policy" in page.headers  # the app's own headers pass through
    for path in ("/static/appbuilder/css/bootstrap.min.css", "/static/hukou_mobile.css"):
        static = s.get(https + path, timeout=30)
        assert static.status_code == 200 and static.headers["Server"].startswith("nginx"), path
        assert "Content-Security-Policy" not in static.headers  # served by nginx itself, not the app
        assert static.headers["Strict-Transport-Security"].startswith("max-age="), path
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    login = s.post(https + "/login/", data={"username": "nginx-test-nobody", "password": "wrong",
                                            "csrf_token": token},
                   headers={"X-Forwarded-For": "203.0.113.66", "Referer": https + "/login/"},  # as a browser
                   allow_redirects=False, timeout=30)
    assert login.status_code in (200, 302)
    assert _last_failed_login_ip(server.url) == CLIENT  # nginx's view of the client: not the forged, not nginx


def _last_failed_login_ip(url: str) -> str | None:
    """The address the audit trail recorded for the newest failed login."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT ip FROM audit_log WHERE success = :f AND action LIKE 'login%' "
                                     "ORDER BY id DESC LIMIT 1"), {"f": False}).scalar()
    finally:
        engine.dispose()
