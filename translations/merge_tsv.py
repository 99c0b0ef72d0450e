"""Add or update zh translations from `msgid<TAB>中文` lines, then recompile messages.mo.

Usage: python translations/merge_tsv.py FILE.tsv [FILE.tsv ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent / "zh" / "LC_MESSAGES" / "messages.po"


def merge(tsv_paths: list[str]) -> int:
    """Merge every TSV into the catalog; returns how many entries were added or changed."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    changed = 0
    for path in tsv_paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if "\t" not in line or line.startswith("#"):
                continue
            msgid, msgstr = line.split("\t", 1)
            msgid, msgstr = msgid.strip(), msgstr.strip()
            if not msgid or not msgstr:
                continue
            current = catalog.get(msgid)
            if current is None:
                catalog.add(msgid, msgstr)
                changed += 1
            elif current.string != msgstr or current.fuzzy:
                current.string = msgstr  # Catalog.add would keep the old string of an existing entry
                current.flags.discard("fuzzy")
                changed += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=False)
    compile_mo()
    return changed


def compile_mo() -> None:
    """Write messages.mo next to messages.po (fuzzy entries excluded)."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    with PO.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)


if __name__ == "__main__":
    print(f"{merge(sys.argv[1:])} entries added or changed")
