"""From recognised lines to the fields of a 居民身份证 (front: the photo side; back: the emblem side). No Flask.

Lines are grouped into rows by their vertical position; each field is read after its printed label (姓名, 性别,
民族, 出生, 住址, 公民身份号码, 签发机关, 有效期限), so a label recognised in the same box as its value or in a box
of its own both work. Every field carries the lowest recognition score of the lines it came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Protocol


class LineLike(Protocol):
    """What parsing needs of a recognised line (app.ocr.engine.Line)."""

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Row:
    """Lines that share a baseline, left to right."""

    lines: list

    @property
    def text(self) -> str:
        """The row's text, spaces removed; a label box overlapping its neighbour keeps only the label (it caught
        a piece of the first character of the value, e.g. 姓名弓 | 张新瑶)."""
        parts = []
        for ln, nxt in zip(self.lines, self.lines[1:] + [None]):
            text = re.sub(r"\s+", "", ln.text)
            if nxt is not None and ln.x1 > nxt.x0:
                label = next((lb for lb in ALL_LABELS if text.startswith(lb) and len(text) > len(lb)), None)
                text = label or text
            parts.append(text)
        return "".join(parts)

    @property
    def score(self) -> float:
        """The lowest score of the row's lines."""
        return min(ln.score for ln in self.lines)

    @property
    def cy(self) -> float:
        """The row's vertical centre."""
        return sum((ln.y0 + ln.y1) / 2 for ln in self.lines) / len(self.lines)


@dataclass
class Parsed:
    """The raw fields read from one side, each with its score (0..1); missing fields are absent."""

    side: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)

    def put(self, key: str, value: str | None, score: float) -> None:
        """Set a field when a value was found."""
        if value:
            self.values[key], self.scores[key] = value, float(score)


LABELS = {"name": ("姓名",), "gender": ("性别",), "ethnicity": ("民族",), "birth": ("出生",),
          "address": ("住址",), "id_number": ("公民身份号码", "公民身份号", "身份号码"),
          "issuer": ("签发机关",), "valid": ("有效期限", "有效期")}
ALL_LABELS = tuple(sorted((lb for labels in LABELS.values() for lb in labels), key=len, reverse=True))
_FRONT_MARKS = ("姓名", "性别", "民族", "出生", "住址", "公民身份")
_BACK_MARKS = ("签发机关", "有效期限", "居民身份证", "中华人民共和国")
# Digits the recogniser confuses with letters inside the number (only used where 18 digits are expected).
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1",
                                   "Z": "2", "S": "5", "B": "8", "x": "X", "×": "X"})
_ID_RUN = re.compile(r"[0-9OoDQIl|ZSBXx×]{17,19}")
_BIRTH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE = r"(\d{4})[.．\-/年]?(\d{1,2})[.．\-/月]?(\d{1,2})日?"
_VALID = re.compile(_DATE + r"[-—–~～至到]+(?:" + _DATE + r"|(长期))")


def rows_of(lines: Iterable[LineLike]) -> list[Row]:
    """Group lines into rows: a line joins a row when its centre lies within the row's first line's height."""
    rows: list[Row] = []
    for ln in sorted(lines, key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0)):
        cy, half = (ln.y0 + ln.y1) / 2, (ln.y1 - ln.y0) * 0.5
        for row in rows:
            first = row.lines[0]
            if abs(cy - (first.y0 + first.y1) / 2) <= max(half, (first.y1 - first.y0) * 0.5):
                row.lines.append(ln)
                row.lines.sort(key=lambda item: item.x0)
                break
        else:
            rows.append(Row([ln]))
    return sorted(rows, key=lambda r: r.cy)


def side_of(text: str) -> str | None:
    """"front", "back" or None from the printed labels found in the page's text."""
    front = sum(mark in text for mark in _FRONT_MARKS) + (2 if _ID_RUN.search(text) else 0)
    back = sum(mark in text for mark in _BACK_MARKS) + (2 if _VALID.search(text) else 0)
    if not front and not back:
        return None
    return "front" if front >= back else "back"


def _after(text: str, labels: tuple[str, ...]) -> str | None:
    """The text after the first of `labels` found in `text`, or None when no label is there."""
    for label in labels:
        pos = text.find(label)
        if pos >= 0:
            return text[pos + len(label):]
    return None


def _find_row(rows: list[Row], key: str) -> int | None:
    """The index of the first row carrying the label of `key`."""
    for i, row in enumerate(rows):
        if _after(row.text, LABELS[key]) is not None:
            return i
    return None


def id_candidate(text: str) -> str | None:
    """An 18-character number-like run in `text`, with letter look-alikes turned into digits."""
    for match in _ID_RUN.finditer(text):
        run = match.group()
        digits = run[:17].translate(_DIGIT_LOOKALIKES) + run[17:].translate(_DIGIT_LOOKALIKES)
        if len(digits) == 18 and digits[:17].isdigit() and (digits[17].isdigit() or digits[17] == "X"):
            return digits
    return None


def parse_front(rows: list[Row], out: Parsed) -> None:
    """Name, gender, ethnicity, birth date, address and number of the photo side."""
    for key in ("name", "gender", "ethnicity"):
        i = _find_row(rows, key)
        if i is None:
            continue
        text = _after(rows[i].text, LABELS[key]) or ""
        if key == "name":
            out.put(key, re.split(r"性别|民族|出生", text)[0][:20], rows[i].score)
        elif key == "gender":
            gender = re.match(r"[男女]", text)
            out.put(key, gender.group() if gender else None, rows[i].score)
        else:
            out.put(key, re.sub(r"[^\u4e00-\u9fff]", "", text.replace("族", ""))[:10], rows[i].score)
    for row in rows:
        birth = _BIRTH.search(row.text)
        if birth:
            out.put("birth_date", "{}-{:0>2}-{:0>2}".format(*birth.groups()), row.score)
            break
    _parse_address(rows, out)
    for row in reversed(rows):
        number = id_candidate(row.text)
        if number:
            out.put("id_number", number, row.score)
            break


def _parse_address(rows: list[Row], out: Parsed) -> None:
    """The address: the text after 住址 and the rows below it, up to the number's row."""
    start = _find_row(rows, "address")
    if start is None:
        return
    parts = [_after(rows[start].text, LABELS["address"]) or ""]
    scores = [rows[start].score]
    for row in rows[start + 1:start + 4]:
        if _after(row.text, LABELS["id_number"]) is not None or id_candidate(row.text):
            break
        parts.append(row.text)
        scores.append(row.score)
    out.put("address", "".join(parts), min(scores))


def parse_back(rows: list[Row], out: Parsed) -> None:
    """Issuing authority and validity period of the emblem side."""
    i = _find_row(rows, "issuer")
    if i is not None:
        out.put("issuer", _after(rows[i].text, LABELS["issuer"]), rows[i].score)
    for row in rows:
        match = _VALID.search(row.text)
        if match:
            g = match.groups()
            out.put("valid_from", "{}-{:0>2}-{:0>2}".format(*g[:3]), row.score)
            out.put("valid_to", "长期" if g[6] else "{}-{:0>2}-{:0>2}".format(*g[3:6]), row.score)
            break


def parse(lines: Iterable[LineLike]) -> Parsed:
    """The side and the raw fields of one card image."""
    rows = rows_of(lines)
    out = Parsed(side=side_of("".join(r.text for r in rows)))
    if out.side == "front":
        parse_front(rows, out)
    elif out.side == "back":
        parse_back(rows, out)
    return out
