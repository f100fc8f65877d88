"""`chuan-ngheo report html`: one self-contained HTML file with the charts and every table.

No script, no external stylesheet, font or image: the charts are PNG data URIs and the CSS is inline,
so the file opens offline and prints (each table on a new landscape page). Every text is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from classifier.io.outputs import write_file
from classifier.papers.common import place_date
from classifier.papers.document import NATIONAL_MOTTO, NATIONAL_NAME
from classifier.report.charts import Chart, all_charts
from classifier.report.forms_pdf import format_number, issuer_lines
from classifier.report.forms_xlsx import header_rows, sheet_rows, visible
from classifier.report.reportset import UNCONFIRMED, ReportSet
from classifier.report.templates import ComputedTable

__all__ = ["render_report_html", "write_report_html"]

_CSS = """
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 13pt; margin: 1.5em; }
.header { display: flex; justify-content: space-between; text-align: center; }
.header div { width: 48%; } .header b { display: block; }
h1 { font-size: 14pt; text-align: center; margin: 1em 0 0.2em; } h2 { font-size: 13pt; text-align: center; }
.note { font-style: italic; font-size: 10pt; }
table { border-collapse: collapse; font-size: 9pt; margin: 0.5em 0; width: 100%; }
th, td { border: 1px solid #000; padding: 2px 4px; } th { text-align: center; }
td.n { text-align: right; } tr.total td { font-weight: bold; }
tr.group td { font-weight: bold; background: #eee; }
figure { margin: 1em 0; text-align: center; } figure img { max-width: 100%; }
section.table { page-break-before: always; }
@page { size: A4 landscape; margin: 20mm 15mm 20mm 30mm; }
@media print { body { margin: 0; } }
"""


def _header(report: ReportSet) -> str:
    left = "".join(f"<b>{escape(line)}</b>" for line in issuer_lines(report.commune))
    right = f"<b>{escape(NATIONAL_NAME)}</b><b>{escape(NATIONAL_MOTTO)}</b>"
    date = escape(place_date(report.commune, report.reference_date))
    return f'<div class="header"><div>{left}</div><div>{right}<i>{date}</i></div></div>'


def _table(table: ComputedTable) -> str:
    t = table.template
    digits = {c.code: c.digits for c in visible(table)}
    codes: list[str | None] = ([None] if t.kind == "summary" else []) + [c.code for c in visible(table)]
    head = "".join(
        "<tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in row) + "</tr>" for row in header_rows(table)
    )
    body = []
    for values, computed in zip(sheet_rows(table), table.rows, strict=True):
        if computed.kind == "header":
            body.append(f'<tr class="group"><td colspan="{len(codes)}">{escape(computed.label)}</td></tr>')
            continue
        cells = "".join(
            f"<td>{escape(str(v))}</td>"
            if code is None
            else f'<td class="n">{escape(format_number(v, digits.get(code, 2)))}</td>'
            if t.kind == "summary"
            else f"<td>{escape('' if v is None else str(v))}</td>"
            for v, code in zip(values, codes, strict=True)
        )
        body.append(f'<tr class="{computed.kind}">{cells}</tr>')
    notes = "".join(f'<p class="note">Ghi chú: {escape(n)}</p>' for n in table.notes)
    checks = escape("; ".join(table.checks_passed))
    return (
        f'<section class="table"><h1>{escape(t.title)}</h1><h2>{escape(t.subtitle or "")}</h2>'
        f'<p class="note">{escape(t.form or "")}</p><table><thead>{head}</thead><tbody>{"".join(body)}'
        f'</tbody></table>{notes}<p class="note">Đã kiểm tra: {checks}.</p></section>'
    )


def _figure(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.title)}">'
        f"<figcaption>{escape(chart.title)}</figcaption></figure>"
    )


def render_report_html(report: ReportSet) -> str:
    """The whole report as one HTML document."""
    charts = all_charts(report.frame, report.standard)
    skipped = "".join(f"<li>{escape(tid)}: {escape(why)}</li>" for tid, why in report.skipped)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        "<title>Báo cáo kết quả rà soát hộ nghèo, hộ cận nghèo</title>",
        f"<style>{_CSS}</style></head><body>",
        _header(report),
        "<h1>BÁO CÁO KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO</h1>",
        f"<h2>{escape(report.standard.title_vi)}</h2>",
        f'<p class="note">{escape(UNCONFIRMED)}</p>',
        *(_figure(c) for c in charts),
        f"<p>Biểu không lập:</p><ul>{skipped}</ul>" if skipped else "",
        *(_table(t) for t in report.tables),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report_html(report: ReportSet, path: Path, inputs: Sequence[Path | None] = ()) -> None:
    """Write the HTML report with classify's output guarantees (classifier.io.outputs.write_file)."""
    data = render_report_html(report).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, lambda tmp: tmp.write_bytes(data), inputs)
