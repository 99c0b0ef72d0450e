"""The report as tables (title, columns, rows) for the screen and the xlsx, and its labels rendered.

No Flask: the caller passes `tr` (flask_babel.gettext at the web edge), so the screen, the API and the file
show the same words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..domain.errors import N_
from .figures import MOVE_OUT_KINDS
from .kpis import STAGES
from .regions import province_name
from .monthly import NOTE_LAW_FALLBACK, NOTE_NO_CALENDAR, NOTE_NO_REMINDERS

Tr = Callable[[str], str]
NOTES = {
    NOTE_NO_CALENDAR: N_("Working days are counted as Monday to Friday: the holiday calendar is not installed."),
    NOTE_LAW_FALLBACK: N_("Some years have no official holiday data yet: working days follow the statutory "
                          "holidays of the law; update the calendar when the State Council publishes it."),
    NOTE_NO_REMINDERS: N_("Reminders are not recorded in this installation: counted as 0."),
}


@dataclass(frozen=True)
class Col:
    """One column: its header, its kind for the xlsx writer (text / number) and its width."""

    header: str
    kind: str = "text"
    width: int = 14


@dataclass
class Table:
    """One table of the report; `key` names it for the charts and the tests."""

    key: str
    title: str
    columns: list[Col]
    rows: list[list] = field(default_factory=list)


def name_or(tr: Tr, value: str, msgid: str) -> str:
    """Data text, or the translated placeholder when empty."""
    return value or tr(msgid)


def kind_label(tr: Tr, typ: str, kind: str) -> str:
    """A move's kind: the move-in pathway as entered, the move-out kind translated."""
    if typ == "move_out":
        return tr(MOVE_OUT_KINDS.get(kind, MOVE_OUT_KINDS["other"])[0])
    return name_or(tr, kind, N_("Not specified"))


def rendered(report: dict, tr: Tr) -> dict:
    """The report with every key a reader sees translated (department and province placeholders, kinds)."""
    out = dict(report)
    for typ in ("moves_in", "moves_out"):
        moves = dict(report[typ])
        moves["by_department"] = {name_or(tr, k, N_("No department")): v for k, v in moves["by_department"].items()}
        moves["by_type"] = {kind_label(tr, "move_out" if typ == "moves_out" else "move_in", k): v
                            for k, v in moves["by_type"].items()}
        moves["by_province"] = {name_or(tr, province_name(k), N_("Unknown")): v
                                for k, v in moves["by_province"].items()}
        out[typ] = moves
    out["departures_by_department"] = {name_or(tr, k, N_("No department")): v
                                       for k, v in report["departures_by_department"].items()}
    out["stage_workdays"] = {k: {**v, "label": tr(STAGES[k])} for k, v in report["stage_workdays"].items()}
    out["notes"] = [tr(NOTES[n]) for n in report["notes"]]
    return out


def percent(value: float | None) -> str:
    """0.1234 → 12.34%, None → —."""
    return "—" if value is None else f"{value * 100:.2f}%"


def _pairs(tr: Tr, key: str, title: str, first: str, a: dict, b: dict) -> Table:
    """A table of names with a move-in and a move-out count and a total row."""
    table = Table(key, tr(title), [Col(tr(first), width=24), Col(tr(N_("Moves in")), "number", 10),
                                   Col(tr(N_("Moves out")), "number", 10)])
    for name in list(dict.fromkeys([*a, *b])):
        table.rows.append([name, a.get(name, 0), b.get(name, 0)])
    table.rows.append([tr(N_("Total")), sum(a.values()), sum(b.values())])
    return table


def tables(report: dict, tr: Tr) -> list[Table]:
    """The report's tables in reading order (the same on screen and in the xlsx)."""
    r = rendered(report, tr)
    mi, mo = r["moves_in"], r["moves_out"]
    summary = Table("summary", tr(N_("Summary")), [Col(tr(N_("Figure")), width=30), Col(tr(N_("Value")), width=14)])
    summary.rows = [
        [tr(N_("Period")), f'{r["period"]["start"]} – {r["period"]["end"]}'],
        [tr(N_("Moves in")), mi["total"]], [tr(N_("Moves out")), mo["total"]],
        [tr(N_("Members at the start of the period")), r["residents_at_start"]],
        [tr(N_("Left the unit")), r["departures"]], [tr(N_("Departure rate")), percent(r["departure_rate"])],
        [tr(N_("Pages lent")), r["loans"]["lent"]], [tr(N_("Pages returned")), r["loans"]["returned"]],
        [tr(N_("Pages overdue at the cut-off day")), r["loans"]["overdue"]],
        [tr(N_("Passed pre-review")), r["first_pass"]["passed"]],
        [tr(N_("Materials complete at the first review")), r["first_pass"]["first_pass"]],
        [tr(N_("First-pass rate of materials")), percent(r["first_pass_rate"])],
        [tr(N_("Reminders sent")), r["reminders_sent"]],
    ]
    out = [summary,
           _pairs(tr, "by_department", N_("Moves by department"), N_("Department"),
                  mi["by_department"], mo["by_department"]),
           _pairs(tr, "by_province", N_("Migration direction by province (origin of moves in, destination of "
                                        "moves out)"), N_("Province"), mi["by_province"], mo["by_province"])]
    for key, title, moves in (("in_by_type", N_("Moves in by type"), mi), ("out_by_type", N_("Moves out by type"), mo)):
        table = Table(key, tr(title), [Col(tr(N_("Type")), width=28), Col(tr(N_("Count")), "number", 10)])
        table.rows = [[k, v] for k, v in moves["by_type"].items()] + [[tr(N_("Total")), moves["total"]]]
        out.append(table)
    leavers = Table("departures", tr(N_("Leavers by department")),
                    [Col(tr(N_("Department")), width=24), Col(tr(N_("Left the unit")), "number", 12)])
    leavers.rows = [[k, v] for k, v in r["departures_by_department"].items()] + [[tr(N_("Total")), r["departures"]]]
    stages = Table("stages", tr(N_("Working days per stage")),
                   [Col(tr(N_("Stage")), width=20), Col(tr(N_("Finished stays")), "number", 12),
                    Col(tr(N_("Average working days")), "number", 14), Col(tr(N_("90th percentile")), "number", 12)])
    stages.rows = [[v["label"], v["count"], v["average"], v["p90"]] for v in r["stage_workdays"].values()]
    out += [leavers, stages]
    if "months" in report:
        out.append(_months(report["months"], tr))
    return out


def _months(months: list[dict], tr: Tr) -> Table:
    """The annual summary's one row per month."""
    cols = [(N_("Month"), "text"), (N_("Moves in"), "number"), (N_("Moves out"), "number"),
            (N_("Members at the start of the period"), "number"), (N_("Left the unit"), "number"),
            (N_("Departure rate"), "text"), (N_("Pages lent"), "number"), (N_("Pages returned"), "number"),
            (N_("Pages overdue at the cut-off day"), "number"), (N_("First-pass rate of materials"), "text"),
            (N_("Reminders sent"), "number")]
    table = Table("months", tr(N_("Month by month")), [Col(tr(h), k, 12) for h, k in cols])
    for m in months:
        table.rows.append([m["month"], m["moves_in"], m["moves_out"], m["residents_at_start"], m["departures"],
                           percent(m["departure_rate"]), m["loans_lent"], m["loans_returned"], m["loans_overdue"],
                           percent(m["first_pass_rate"]), m["reminders_sent"]])
    return table

