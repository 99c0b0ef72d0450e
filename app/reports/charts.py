"""ECharts options (plain dicts, sent as JSON in data-hk-chart attributes) for the dashboard and the report.

Labels arrive translated (the caller renders them); no Flask here.
"""
from __future__ import annotations

from typing import Callable

Tr = Callable[[str], str]
COLORS = ["#3c8dbc", "#f39c12", "#00a65a", "#dd4b39", "#605ca8", "#39cccc", "#d81b60", "#777777"]


def _base(title: str) -> dict:
    """Options every chart shares: title, tooltip, palette, no animation (print and screenshots)."""
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}}, "tooltip": {},
            "color": COLORS, "animation": False, "grid": {"left": 50, "right": 20, "top": 60, "bottom": 70,
                                                          "containLabel": True}}


def empty_note(option: dict, text: str) -> dict:
    """Write `text` across a chart that has nothing to draw."""
    option["graphic"] = [{"type": "text", "left": "center", "top": "middle",
                          "style": {"text": text, "fill": "#999", "fontSize": 14}}]
    return option


def pie(title: str, data: dict[str, int], empty: str = "") -> dict:
    """A pie of name → count (zero slices left out)."""
    option = _base(title)
    if empty and not any(data.values()):
        empty_note(option, empty)
    option["tooltip"] = {"trigger": "item", "formatter": "{b}: {c} ({d}%)"}
    option["legend"] = {"bottom": 0, "type": "scroll"}
    option["series"] = [{"type": "pie", "radius": ["35%", "65%"], "top": 20,
                         "data": [{"name": k, "value": v} for k, v in data.items() if v]}]
    return option


def bars(title: str, categories: list[str], series: dict[str, list], horizontal: bool = False) -> dict:
    """Grouped bars: one series per name over the categories."""
    option = _base(title)
    option["tooltip"] = {"trigger": "axis"}
    option["legend"] = {"bottom": 0} if len(series) > 1 else {"show": False}
    cat_axis = {"type": "category", "data": categories, "axisLabel": {"interval": 0, "rotate": 0 if horizontal
                                                                      else (30 if len(categories) > 6 else 0)}}
    val_axis = {"type": "value", "minInterval": 1}
    option["xAxis"], option["yAxis"] = (val_axis, cat_axis) if horizontal else (cat_axis, val_axis)
    option["series"] = [{"type": "bar", "name": name, "data": values} for name, values in series.items()]
    return option


def lines(title: str, categories: list[str], series: dict[str, list]) -> dict:
    """Lines over months."""
    option = bars(title, categories, series)
    for s in option["series"]:
        s["type"] = "line"
        s["smooth"] = False
    return option


def pair_bars(title: str, tr: Tr, a: dict[str, int], b: dict[str, int], horizontal: bool = True,
              limit: int = 15) -> dict:
    """Moves in (a) and out (b) per name, the `limit` biggest names."""
    names = sorted(set(a) | set(b), key=lambda n: -(a.get(n, 0) + b.get(n, 0)))[:limit]
    if horizontal:
        names.reverse()  # biggest on top
    option = bars(title, names, {tr("Moves in"): [a.get(n, 0) for n in names],
                                 tr("Moves out"): [b.get(n, 0) for n in names]}, horizontal)
    return empty_note(option, tr("Nothing in this period")) if not names else option
