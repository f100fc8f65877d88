"""`rules show` and `rules audit`: a rule set as tables with citations and verification status."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate as _tabulate

from classifier.report.describe import describe_condition, describe_labelled, format_value
from classifier.rules.ruleset import ClassRule, Group, Indicator, Parameter, RuleSet

__all__ = ["audit_items", "render_audit", "render_ruleset"]


def tabulate(
    rows: Sequence[Sequence[Any]],
    *,
    headers: Sequence[str],
    tablefmt: str,
    maxcolwidths: Sequence[int | None] | None = None,
    disable_numparse: bool = True,
) -> str:
    """tabulate with our own cell wrapping: tabulate's maxcolwidths re-parses "1,234,567" and crashes."""
    if maxcolwidths:
        rows = [
            [
                textwrap.fill(str(cell), width) if width and len(str(cell)) > width else cell
                for cell, width in zip(row, maxcolwidths, strict=False)
            ]
            for row in rows
        ]
    return str(_tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=disable_numparse))


def _yes_no(flag: bool, lang: str) -> str:
    if lang == "vi":
        return "đã xác minh" if flag else "CHƯA xác minh"
    return "verified" if flag else "UNVERIFIED"


def render_ruleset(ruleset: RuleSet, lang: str = "vi", fmt: str = "simple") -> str:
    """The whole standard: identity, parameters, indicators, classification rules, provisions left out."""
    vi = lang == "vi"
    title = ruleset.title_vi if vi else ruleset.title_en
    validity = f"{ruleset.valid_from} → {ruleset.valid_to or '…'}"
    head = [
        f"{ruleset.id}: {title}",
        f"{'Hiệu lực (năm danh sách)' if vi else 'Valid (list years)'}: {validity}   "
        f"{'Trạng thái' if vi else 'Status'}: {ruleset.status}   digest: {ruleset.short_digest}",
    ]
    if ruleset.inherits:
        head.append(f"{'Kế thừa' if vi else 'Inherits'}: {ruleset.inherits}")
    params = [
        [p.id, format_value(p.value), p.unit or "", p.citation.short(lang), _yes_no(p.verified, lang)]
        for p in ruleset.parameters.values()
    ]
    indicators = [
        [
            i.number,
            i.id,
            i.label_vi if vi else i.label_en,
            i.service_vi if vi else i.service_en,
            describe_labelled(i.condition, ruleset.facts, lang),
            i.citation.short(lang),
            _yes_no(i.verified, lang),
        ]
        for i in ruleset.indicators
    ]

    def rule_rows(rules: Sequence[ClassRule]) -> list[list[Any]]:
        return [
            [
                r.id,
                r.outcome if not r.possible else " / ".join(r.possible),
                describe_labelled(r.condition, ruleset.facts, lang),
                r.citation.short(lang),
                _yes_no(r.verified, lang),
            ]
            for r in rules
        ]

    cite, status = ("căn cứ", "xác minh") if vi else ("citation", "status")
    rule_headers = ["id", "loại hộ" if vi else "class", "khi" if vi else "when", cite, status]
    deprived_when = "thiếu hụt khi" if vi else "deprived when"
    parts = ["\n".join(head)]

    def section(title: str, rows: list[list[Any]], headers: list[str], widths: list[int | None]) -> None:
        parts.extend(("", title, tabulate(rows, headers=headers, tablefmt=fmt, maxcolwidths=widths)))

    section(
        "Tham số" if vi else "Parameters",
        params,
        ["id", "giá trị" if vi else "value", "đơn vị" if vi else "unit", cite, status],
        [None, 40, 24, 48, None],
    )
    section(
        "Chỉ số thiếu hụt" if vi else "Deprivation indicators",
        indicators,
        [
            "#",
            "id",
            *(("chỉ số", "dịch vụ") if vi else ("indicator", "service")),
            deprived_when,
            cite,
            status,
        ],
        [None, None, 28, 14, 60, 34, None],
    )
    section(
        "Quy tắc phân loại" if vi else "Classification rules",
        rule_rows(ruleset.rules),
        rule_headers,
        [None, None, 70, 40, None],
    )
    score_title = "Phương pháp chấm điểm (điểm A / điểm B)" if vi else "Score method (score A / score B)"
    if ruleset.score_rules:
        section(score_title, rule_rows(ruleset.score_rules), rule_headers, [None, 30, 60, 40, None])
    else:
        none_vi = "Không có: không nguồn nào nêu ngưỡng điểm cho chuẩn này."
        parts.extend(
            ("", score_title, none_vi if vi else "None: no source gives score cut-offs for this standard.")
        )
    if ruleset.not_modelled:
        section(
            "Chưa mô hình hóa" if vi else "Not modelled",
            [[n.provision, n.reason] for n in ruleset.not_modelled],
            ["quy định" if vi else "provision", "lý do" if vi else "reason"],
            [50, 70],
        )
    return "\n".join(parts)


def audit_items(ruleset: RuleSet) -> list[dict[str, Any]]:
    """Every unverified or provisional item of a rule set, for officials holding the gazette."""
    items: list[dict[str, Any]] = []
    entries: list[tuple[str, Parameter | Indicator | ClassRule | Group, str]] = [
        *(("parameter", p, format_value(p.value)) for p in ruleset.parameters.values()),
        *(("indicator", i, describe_condition(i.condition, "en")) for i in ruleset.indicators),
        *(("rule", r, describe_condition(r.condition, "en")) for r in ruleset.rules),
        *(("score_rule", r, describe_condition(r.condition, "en")) for r in ruleset.score_rules),
        *(("group", g, describe_condition(g.condition, "en")) for g in ruleset.groups),
    ]
    for kind, item, value in entries:
        unsettled = (item.citation.article or "").startswith("(")
        if item.verified and not item.provisional and not unsettled:
            continue
        note = item.note or ""
        if item.verified and not item.provisional:
            # Confirmed content, but its article is not settled (e.g. Thông tư 07/2021's score cut-offs).
            note = "content confirmed; the article cited is not settled: " + note
        items.append(
            {
                "kind": kind,
                "id": item.id,
                "value": value,
                "citation": item.citation.short("vi"),
                "verified": item.verified,
                "provisional": item.provisional,
                "note": note,
            }
        )
    for n in ruleset.not_modelled:
        items.append(
            {
                "kind": "not_modelled",
                "id": n.provision,
                "value": "",
                "citation": n.citation.short("vi") if n.citation else "",
                "verified": False,
                "provisional": False,
                "note": n.reason,
            }
        )
    return items


def render_audit(ruleset: RuleSet, fmt: str = "simple") -> str:
    """`rules audit`: what an official must still check against the gazette."""
    items = audit_items(ruleset)
    rows = [
        [
            it["kind"],
            it["id"],
            it["citation"],
            "yes" if it["verified"] else "no",
            "yes" if it["provisional"] else "no",
            it["note"],
        ]
        for it in items
    ]
    header = (
        f"{ruleset.id}: {len(items)} item(s) unverified, provisional or not modelled "
        f"(status: {ruleset.status})"
    )
    table = tabulate(
        rows,
        headers=["kind", "id", "citation", "verified", "provisional", "note"],
        tablefmt=fmt,
        maxcolwidths=[None, 30, 36, None, None, 60],
    )
    return header + "\n" + table
