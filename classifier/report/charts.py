"""Charts of the report set, drawn with matplotlib (Agg backend, bundled font) as PNG bytes.

Three charts, computed from the frame with the same definitions as the templates: the deprivation rate
per indicator of poor and of near-poor households (over the households whose indicator is known), the
poverty and near-poverty rates per village, and the movements between the previous round and this one.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import attrs

from classifier.report.frame import Frame
from classifier.rules.ruleset import RuleSet

__all__ = ["Chart", "all_charts", "deprivation_chart", "movement_chart", "village_chart"]

DPI = 150


@attrs.frozen
class Chart:
    key: str
    title: str
    png: bytes
    data: Mapping[str, Any]  # the numbers drawn, for tests and for the HTML's text alternative


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    from classifier.papers.fonts import font_files

    for path in font_files().values():
        font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(font_files()["regular"])).get_name()
    plt.rcParams.update(
        {
            "font.family": name,
            "font.size": 9,
            "svg.fonttype": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _rate(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
    known = [r[key] for r in rows if r.get(key) is not None]
    return sum(known) / len(known) * 100 if known else None


def deprivation_chart(frame: Frame, ruleset: RuleSet) -> Chart:
    """Deprivation rate (%) per indicator, poor and near-poor households side by side."""
    plt = _pyplot()
    labels = [ind.label_vi for ind in ruleset.indicators]
    groups = {
        "Hộ nghèo": [r for r in frame.households if r["poor"]],
        "Hộ cận nghèo": [r for r in frame.households if r["near_poor"]],
    }
    data = {name: [_rate(rows, f"dep_{i}") for i in frame.indicators] for name, rows in groups.items()}
    fig, ax = plt.subplots(figsize=(9, 5))
    height = 0.38
    ys = list(range(len(labels)))
    for k, (name, values) in enumerate(data.items()):
        n = len(groups[name])
        ax.barh(
            [y + (k - 0.5) * height for y in ys],
            [v or 0 for v in values],
            height=height,
            label=f"{name} ({n} hộ)",
            color=("#b2182b", "#ef8a62")[k],
        )
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.set_xlabel("Tỷ lệ hộ thiếu hụt (%)")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right")
    title = "Tỷ lệ thiếu hụt theo chỉ số"
    return Chart("deprivations", title, _png(fig), {"labels": labels, **data})


def village_chart(frame: Frame) -> Chart:
    """Poverty and near-poverty rates (% of households) per village."""
    plt = _pyplot()
    villages: dict[str, list[Mapping[str, Any]]] = {}
    for r in frame.households:
        villages.setdefault(r["village"] or "(không rõ)", []).append(r)
    names = list(villages)
    poor = [sum(r["poor"] for r in rows) / len(rows) * 100 for rows in villages.values()]
    near = [sum(r["near_poor"] for r in rows) / len(rows) * 100 for rows in villages.values()]
    fig, ax = plt.subplots(figsize=(9, 4))
    xs = list(range(len(names)))
    ax.bar([x - 0.2 for x in xs], poor, width=0.4, label="Tỷ lệ hộ nghèo", color="#b2182b")
    ax.bar([x + 0.2 for x in xs], near, width=0.4, label="Tỷ lệ hộ cận nghèo", color="#ef8a62")
    ax.set_xticks(xs, names, rotation=20 if len(names) > 6 else 0, ha="right" if len(names) > 6 else "center")
    ax.set_ylabel("% số hộ")
    ax.legend()
    title = "Tỷ lệ hộ nghèo, hộ cận nghèo theo thôn/tổ dân phố"
    return Chart("villages", title, _png(fig), {"villages": names, "poor": poor, "near_poor": near})


MOVEMENT_BARS = (
    ("Đầu kỳ", "start", 1),
    ("Thoát sang cận nghèo / nghèo", "to_other", -1),
    ("Thoát lên trên chuẩn", "to_above", -1),
    ("Giảm khác", "other_decrease", -1),
    ("Từ nhóm kia chuyển vào", "from_other", 1),
    ("Tái nghèo", "re", 1),
    ("Phát sinh mới", "new", 1),
    ("Tăng khác", "other_increase", 1),
    ("Cuối kỳ", "end", 1),
)
_MV_KEYS = {
    "poor": {
        "start": "poor_start",
        "to_other": "poor_escaped_to_near_poor",
        "to_above": "poor_escaped_above",
        "other_decrease": "poor_other_decrease",
        "from_other": "poor_from_near_poor",
        "re": "poor_re_poor",
        "new": "poor_newly_poor",
        "other_increase": "poor_other_increase",
        "end": "poor_end",
    },
    "near_poor": {
        "start": "near_poor_start",
        "to_other": "near_poor_became_poor",
        "to_above": "near_poor_escaped_above",
        "other_decrease": "near_poor_other_decrease",
        "from_other": "near_poor_from_poor",
        "re": "near_poor_re_near_poor",
        "new": "near_poor_newly_near_poor",
        "other_increase": "near_poor_other_increase",
        "end": "near_poor_end",
    },
}


def movement_chart(frame: Frame) -> Chart:
    """Households per movement category, poor and near-poor, from the previous round to this one."""
    plt = _pyplot()
    rows = frame.rows("movements")
    data = {
        group: [sum(r[f"mv_{keys[key]}"] for r in rows) for _, key, _ in MOVEMENT_BARS]
        for group, keys in _MV_KEYS.items()
    }
    fig, ax = plt.subplots(figsize=(9, 4))
    xs = list(range(len(MOVEMENT_BARS)))
    for k, (group, values) in enumerate(data.items()):
        ax.bar(
            [x + (k - 0.5) * 0.4 for x in xs],
            values,
            width=0.4,
            label="Hộ nghèo" if group == "poor" else "Hộ cận nghèo",
            color=("#b2182b", "#ef8a62")[k],
        )
    ax.set_xticks(xs, [label for label, _, _ in MOVEMENT_BARS], rotation=25, ha="right")
    ax.set_ylabel("Số hộ")
    ax.legend()
    title = "Biến động hộ nghèo, hộ cận nghèo so với vòng rà soát trước"
    return Chart("movements", title, _png(fig), {"labels": [b[0] for b in MOVEMENT_BARS], **data})


def all_charts(frame: Frame, ruleset: RuleSet) -> list[Chart]:
    """The charts this frame supports (movements only with a previous round)."""
    charts = [deprivation_chart(frame, ruleset), village_chart(frame)]
    if frame.has_previous:
        charts.append(movement_chart(frame))
    return charts
