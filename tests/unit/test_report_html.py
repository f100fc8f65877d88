"""Charts (matplotlib) and the self-contained HTML report: offline, escaped, numbers as in the frame."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

from classifier.api import load_standard
from classifier.cli import main
from classifier.data import sample_path
from classifier.model import Household
from classifier.report.charts import all_charts
from classifier.report.html import render_report_html
from classifier.report.reportset import classify_round, compute_report_set

RULES = load_standard("nd-07-2021")
REF = dt.date(2026, 11, 1)


def hh(hid: str, poor: bool, village: str, employment: bool | None = True) -> Household:
    flags = dict.fromkeys(RULES.indicator_ids, poor)
    flags["employment"] = employment  # type: ignore[assignment]
    if employment is None:
        del flags["employment"]
    return Household(
        id=hid,
        area="rural",
        income_per_capita_month=1,
        flags=flags,
        member_count=2,
        reference_date=REF,
        place={"commune": "Xã <X>", "village": village},
    )


def test_chart_numbers_follow_the_template_definitions() -> None:
    """Deprivation rates over households whose indicator is known; village rates over all households."""
    pop = [
        hh("1", True, "A"),
        hh("2", True, "A", employment=False),
        hh("3", True, "B", employment=None),
        hh("4", False, "B", employment=False),
    ]
    report = compute_report_set(classify_round(pop, RULES, None))
    charts = {c.key: c for c in all_charts(report.frame, RULES)}
    assert set(charts) == {"deprivations", "villages"}  # no movements without a previous round
    assert charts["deprivations"].data["Hộ nghèo"][0] == 50.0  # employment: 1 of 2 known
    assert charts["villages"].data["poor"] == [100.0, 50.0]
    for chart in charts.values():
        assert chart.png.startswith(b"\x89PNG")


def test_html_is_self_contained_and_escaped() -> None:
    """No external reference; charts as data URIs that decode to PNG; names escaped."""
    report = compute_report_set(classify_round([hh("1", True, "A<b>")], RULES, None))
    html = render_report_html(report)
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "<script" not in html and "A&lt;b&gt;" in html and "XÃ &lt;X&gt;" in html
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(uris) == 2 and all(base64.b64decode(u).startswith(b"\x89PNG") for u in uris)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "@page" in html


def test_html_with_previous_round_has_movements() -> None:
    """With a previous round the movement tables and the movement chart are in, counted as in the frame."""
    before = [hh("1", True, "A"), hh("2", False, "A")]
    after = [hh("1", False, "A"), hh("2", False, "A"), hh("3", True, "B")]
    report = compute_report_set(classify_round(after, RULES, None), classify_round(before, RULES, None))
    html = render_report_html(report)
    assert "BIẾN ĐỘNG HỘ NGHÈO" in html and html.count("data:image/png;base64,") == 3
    chart = {c.key: c for c in all_charts(report.frame, RULES)}["movements"]
    assert chart.data["poor"] == [1, 1, 0, 0, 0, 0, 1, 0, 1]  # start, to near-poor, ..., newly poor, end


def test_html_command_writes_a_file(tmp_path: Path) -> None:
    """`report html` on the bundled sample writes one file that names the commune."""
    out = tmp_path / "r.html"
    sample = str(sample_path("commune.json"))
    assert main(["report", "html", sample, "--commune", "Xã Hợp Hưng", "-o", str(out)]) == 0
    assert "XÃ HỢP HƯNG" in out.read_text(encoding="utf-8")
