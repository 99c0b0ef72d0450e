"""Translations looked up once per request: a list page translates several hundred strings (menu, labels, cell
values, buttons), and flask-babel resolves the request context, the locale and its catalogue cache key again
for each one (about a fifth of a list page's CPU time before this)."""
from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app  # the app context itself: `g` through its proxy costs 3 lookups per string
from flask_babel import Domain, get_babel
from flask_babel import get_translations as babel_translations


def _memo(ns):
    """The catalogue remembered on flask-babel's per-request namespace, while its locale is the same object
    (force_locale and refresh() replace or drop the locale, so they are honoured at once)."""
    memo = ns.__dict__.get("hk_translations")
    locale = ns.__dict__.get("babel_locale")
    return memo[1] if memo is not None and locale is not None and memo[0] is locale else None


def _remember(ns, translations):
    """Keep the catalogue flask-babel just chose (it set the namespace's locale doing so)."""
    ns.hk_translations = (ns.__dict__.get("babel_locale"), translations)
    return translations


def _namespace():
    """flask-babel's per-request namespace (None outside an app context or before flask-babel made it)."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("_flask_babel")


def request_translations():
    """This request's catalogue (flask-babel's choice, looked up once)."""
    ns = _namespace()
    found = _memo(ns) if ns is not None else None
    if found is not None:
        return found
    translations = babel_translations()
    ns = _namespace()  # flask-babel creates it on first use
    return translations if ns is None else _remember(ns, translations)


class RequestDomain(Domain):
    """flask-babel's default domain (lazy strings, gettext in Python) with the per-request catalogue."""

    def get_translations(self):
        """The request's catalogue: remembered, else flask-babel's answer."""
        ns = _namespace()
        found = _memo(ns) if ns is not None else None
        if found is not None:
            return found
        translations = super().get_translations()
        ns = _namespace()
        return translations if ns is None else _remember(ns, translations)


def install(app: Flask) -> None:
    """The app's default domain (same catalogues) and the templates' _()/ngettext use the per-request catalogue."""
    config = get_babel(app)
    config.instance.domain_instance = RequestDomain(domain=config.default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
