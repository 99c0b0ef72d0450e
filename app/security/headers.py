"""Security headers on every response: a CSP without inline script, no framing, no sniffing, no caching.

Scripts come only from this site (`script-src 'self'`, no nonce): our templates and the FAB templates that had
inline scripts (app/templates/appbuilder/…) pass their data in data-* attributes or JSON blocks, and
app/static/hukou_csp.js does what the inline scripts did. Styles keep 'unsafe-inline' (FAB's templates and
Bootstrap's plugins set style attributes; styles cannot run code).
"""
from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
FIXED = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STATIC_ENDPOINTS = ("static", "appbuilder.static")


def _is_static() -> bool:
    """Bundled assets (CSS, JS, fonts) hold no personal data and may be cached."""
    return request.endpoint in STATIC_ENDPOINTS


def secure(response: Response) -> Response:
    """Add the security headers; pages, API answers and downloads are never stored by browsers or proxies."""
    for name, value in FIXED.items():
        response.headers.setdefault(name, value)
    if not _is_static():
        if "no-store" not in response.headers.get("Cache-Control", ""):  # keep e.g. the export's "no-store, private"
            response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        response.headers.pop("Expires", None)
    return response


def install(app: Flask) -> None:
    """Run `secure` after every request (also error pages and redirects)."""
    app.after_request(secure)
