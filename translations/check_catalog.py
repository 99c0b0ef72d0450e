"""List msgids of the app and of Flask-AppBuilder that lack a Chinese translation.

Usage (from the repo root):
    python translations/check_catalog.py            # print untranslated msgids, exit 1 if any
    python translations/check_catalog.py --pot OUT  # also write a .pot with app + FAB msgids

Flask-Babel merges FAB's zh catalog first and the app catalog after it, so a msgid counts as
translated when either catalog gives it a non-empty, non-fuzzy msgstr that differs from the
English msgid (the app catalog wins when both do).  Fuzzy and empty entries are skipped
because `pybabel compile` leaves them out of the .mo file.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

REPO_DIR = Path(__file__).resolve().parent.parent
APP_DIR = REPO_DIR / "app"
APP_PO = REPO_DIR / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def _fab_dir() -> Path:
    """Locate the installed flask_appbuilder package without importing Flask."""
    spec = importlib.util.find_spec("flask_appbuilder")
    if spec is None or spec.origin is None:
        raise RuntimeError("flask_appbuilder is not installed")
    return Path(spec.origin).parent


FAB_DIR = _fab_dir()
FAB_PO = FAB_DIR / "translations" / "zh" / "LC_MESSAGES" / "messages.po"

KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "N_": None, "lazy_ngettext": (1, 2)}
PY_METHOD = ("**.py", "python")
TEMPLATE_METHOD = ("**/templates/**.html", "jinja2.ext:babel_extract")
TEMPLATE_OPTIONS = {TEMPLATE_METHOD[0]: {"encoding": "utf-8"}}


def extract_msgids(
    directory: Path, *, python: bool = True, templates: bool = True
) -> list[str]:
    """Extract the msgids (singular form) of a source tree, in first-seen order."""
    method_map = ([PY_METHOD] if python else []) + ([TEMPLATE_METHOD] if templates else [])
    seen: dict[str, None] = {}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(directory), method_map, TEMPLATE_OPTIONS, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            seen.setdefault(msgid, None)
    return list(seen)


def fab_msgids(*, python: bool = True) -> list[str]:
    """Msgids used by FAB's templates (and, by default, its Python sources)."""
    return extract_msgids(FAB_DIR, python=python, templates=True)


def _translated(msgstr: str | tuple[str, ...], msgid: str) -> bool:
    """A msgstr counts when every form is non-empty and not the English msgid."""
    forms = msgstr if isinstance(msgstr, tuple) else (msgstr,)
    return all(form and form != msgid for form in forms)


def merged_translations(po_paths: Sequence[Path]) -> dict[str, str | tuple[str, ...]]:
    """Merge catalogs the way Flask-Babel does: later catalogs override earlier ones."""
    merged: dict[str, str | tuple[str, ...]] = {}
    for path in po_paths:
        with open(path, "rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            if msgid and message.string and not message.fuzzy:
                if _translated(message.string, msgid):
                    merged[msgid] = message.string
    return merged


def untranslated(
    po_path: Path | str,
    msgids: Iterable[str],
    fallback_po_paths: Sequence[Path | str] = (),
) -> list[str]:
    """Return msgids without a usable zh msgstr in po_path merged over fallback_po_paths."""
    merged = merged_translations([Path(p) for p in (*fallback_po_paths, po_path)])
    missing: dict[str, None] = {}
    for msgid in msgids:
        if msgid not in merged:
            missing.setdefault(msgid, None)
    return list(missing)


def write_pot(path: Path, msgids: Iterable[str]) -> None:
    """Write a template holding the given msgids so `pybabel update` keeps FAB gap entries."""
    catalog = Catalog(project="hukou-desk")
    for msgid in msgids:
        catalog.add(msgid)
    with open(path, "wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=False)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print untranslated app + FAB msgids one per line; exit 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--po", type=Path, default=APP_PO, help="app zh catalog")
    parser.add_argument("--fab-templates-only", action="store_true",
                        help="check FAB templates only, not FAB's Python sources")
    parser.add_argument("--pot", type=Path, help="also write app + FAB msgids to this .pot")
    args = parser.parse_args(argv)
    msgids = extract_msgids(APP_DIR) + fab_msgids(python=not args.fab_templates_only)
    if args.pot:
        write_pot(args.pot, dict.fromkeys(msgids))
    missing = untranslated(args.po, msgids, [FAB_PO])
    for msgid in missing:
        print(msgid)
    print(f"{len(missing)} untranslated msgid(s)", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
