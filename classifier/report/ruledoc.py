"""`chuan-ngheo rules doc`: one standard as a document a legal officer can review and sign off.

Per article / appendix item (the citations of the rule files): the quoted wording (``wording_vi``), the
rule in Vietnamese labels (rules/facts.yaml), the parameters it reads with their values, verification
status and sources, and the golden cases (cases/<standard>/) that cite that clause. Markdown, or HTML
that is self-contained (inline CSS, no external assets) and prints well.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.report.describe import describe_labelled, format_value
from classifier.rules.ruleset import Citation, Parameter, RuleSet
from classifier.rules.yamlload import safe_load_text

__all__ = ["DocItem", "DocSection", "build_sections", "render_html", "render_markdown"]

_KINDS = {
    "rule": "Quy tắc phân loại",
    "score_rule": "Quy tắc chấm điểm (điểm A / điểm B)",
    "indicator": "Chỉ số thiếu hụt",
    "group": "Nhóm (không phải loại hộ)",
    "parameter": "Tham số",
}


@attrs.frozen
class DocItem:
    kind: str
    id: str
    title: str
    wording_vi: str | None
    rule_vi: str | None
    verified: bool
    provisional: bool
    source: str | None
    note: str | None
    params: tuple[Parameter, ...] = ()


@attrs.frozen
class DocSection:
    heading: str
    key: tuple[str, ...]
    items: tuple[DocItem, ...]
    cases: tuple[tuple[str, str], ...] = ()  # (file, case name)


def _key(c: Citation) -> tuple[str, ...]:
    return (c.instrument, c.article or "", c.clause or "", c.point or "", c.appendix or "", c.item or "")


def _order(key: tuple[str, ...]) -> tuple[Any, ...]:
    def num(text: str) -> tuple[int, str]:
        m = re.match(r"\d+", text)
        return (int(m.group()), text) if m else (10_000, text)

    return (key[0], num(key[1]), num(key[2]), key[3], key[4], num(key[5]))


def _parts(text: str, instruments: Iterable[str]) -> tuple[str, ...] | None:
    """The citation key a golden case's ``clause`` names (instrument, Điều, khoản, điểm, Phụ lục, mục)."""
    found = [i for i in instruments if i in text]
    if not found:
        return None
    instrument = max(found, key=len)
    rest = text.split(instrument, 1)[1]

    def grab(pattern: str) -> str:
        m = re.search(pattern, rest)
        return m.group(1) if m else ""

    appendix = "Phụ lục" if "Phụ lục" in rest else ""
    return (
        instrument,
        grab(r"Điều (\d+)"),
        grab(r"khoản (\d+)"),
        grab(r"điểm ([a-zđ])\b"),
        appendix,
        grab(r"mục (\d+)"),
    )


def _cases(
    cases_dir: Path | None, instruments: Sequence[str]
) -> dict[tuple[str, ...], list[tuple[str, str]]]:
    out: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    if cases_dir is None or not cases_dir.is_dir():
        return out
    for path in sorted(cases_dir.glob("*.yaml")):
        data = safe_load_text(path.read_text(encoding="utf-8")) or []
        for case in data if isinstance(data, list) else []:
            if not isinstance(case, dict) or not isinstance(case.get("clause"), str):
                continue
            key = _parts(case["clause"], instruments)
            if key is not None:
                out.setdefault(key, []).append((path.name, str(case.get("name", ""))))
    return out


def build_sections(ruleset: RuleSet, cases_dir: Path | None = None) -> list[DocSection]:
    """The document's sections, one per cited article / appendix item, in legal order."""
    facts = ruleset.facts
    items: dict[tuple[str, ...], list[DocItem]] = {}
    headings: dict[tuple[str, ...], str] = {}
    read: set[str] = set()

    def add(kind: str, obj: Any, title: str, rule: str | None, params: Sequence[str]) -> None:
        key = _key(obj.citation)
        headings.setdefault(key, obj.citation.short("vi"))
        read.update(params)
        items.setdefault(key, []).append(
            DocItem(
                kind,
                obj.id,
                title,
                getattr(obj, "wording_vi", None) or obj.citation.wording_vi,
                rule,
                obj.verified,
                bool(getattr(obj, "provisional", False)),
                obj.citation.source,
                getattr(obj, "note", None),
                tuple(ruleset.parameters[p] for p in params if p in ruleset.parameters),
            )
        )

    for rule in ruleset.rules:
        add(
            "rule",
            rule,
            ruleset.classes[rule.outcome].label_vi,
            describe_labelled(rule.condition, facts),
            rule.params,
        )
    for rule in ruleset.score_rules:
        title = " / ".join(ruleset.classes[c].label_vi for c in (rule.possible or (rule.outcome,)))
        add("score_rule", rule, title, describe_labelled(rule.condition, facts), rule.params)
    for ind in ruleset.indicators:
        add(
            "indicator",
            ind,
            f"{ind.number}. {ind.label_vi} ({ind.service_vi})",
            describe_labelled(ind.condition, facts),
            ind.params,
        )
    for group in ruleset.groups:
        add("group", group, group.label_vi, describe_labelled(group.condition, facts), group.params)
    for param in ruleset.parameters.values():
        if param.id not in read:
            add("parameter", param, param.label_vi or param.id, None, (param.id,))
    cases = _cases(cases_dir, sorted({k[0] for k in items}))

    def cited(key: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        found = list(cases.get(key, ()))
        if key[1].startswith("("):  # an unsettled article: cases can only name the instrument
            found += cases.get((key[0], "", "", "", "", ""), [])
        return tuple(found)

    ordered = sorted(items, key=_order)
    return [DocSection(headings[key], key, tuple(items[key]), cited(key)) for key in ordered]


def _status(verified: bool, provisional: bool) -> str:
    text = "đã xác minh (≥ 2 bản công khai)" if verified else "CHƯA xác minh"
    return text + ("; TẠM THỜI" if provisional else "")


def _intro(ruleset: RuleSet) -> list[str]:
    validity = (
        f"{ruleset.valid_from.isoformat()} → {ruleset.valid_to.isoformat() if ruleset.valid_to else '…'}"
    )
    lines = [
        f"Mã chuẩn: {ruleset.id} · Trạng thái: {ruleset.status} · Năm danh sách: {validity} · "
        f"Bộ quy tắc: {ruleset.short_digest}",
        "“Đã xác minh” nghĩa là được ít nhất hai bản công khai độc lập xác nhận, không phải đối chiếu với "
        "Công báo. Mỗi mục dưới đây cần được cán bộ pháp chế đối chiếu và ký xác nhận.",
    ]
    return lines


def render_markdown(ruleset: RuleSet, sections: Sequence[DocSection]) -> str:
    """The document as Markdown."""
    out = [f"# {ruleset.title_vi}", "", *(f"{line}  " for line in _intro(ruleset)), ""]
    for section in sections:
        out += [f"## {section.heading}", ""]
        for item in section.items:
            out += [f"### {_KINDS[item.kind]}: {item.title} (`{item.id}`)", ""]
            if item.wording_vi:
                out += ["> " + " ".join(item.wording_vi.split()), ""]
            if item.rule_vi:
                out += [f"**Quy tắc:** {item.rule_vi}", ""]
            out += [
                f"**Xác minh:** {_status(item.verified, item.provisional)}"
                + (f" · nguồn: <{item.source}>" if item.source else ""),
                "",
            ]
            if item.note:
                out += [f"*Ghi chú:* {' '.join(item.note.split())}", ""]
            if item.params:
                out += ["| Tham số | Giá trị | Đơn vị | Xác minh | Nguồn |", "|---|---|---|---|---|"]
                for p in item.params:
                    out.append(
                        f"| `{p.id}` {p.label_vi or ''} | {format_value(p.value)} | {p.unit or ''} | "
                        f"{_status(p.verified, p.provisional)} | "
                        f"{p.citation.source or p.citation.short('vi')} |"
                    )
                out.append("")
        out += ["**Trường hợp kiểm thử (golden cases) trích dẫn điều khoản này:**", ""]
        out += [f"- {name} ({file})" for file, name in section.cases] or ["- (chưa có)"]
        out += ["", "Ý kiến / ký xác nhận: ____________________", ""]
    if ruleset.not_modelled:
        out += ["## Chưa mô hình hóa", ""]
        out += [f"- **{n.provision}**: {' '.join(n.reason.split())}" for n in ruleset.not_modelled]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:"Noto Serif","Times New Roman",serif;max-width:60em;margin:2em auto;padding:0 1em;
line-height:1.45;color:#111}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #888;margin-top:2em}h3{font-size:1.05em}
blockquote{margin:.5em 0 .5em 1em;padding-left:.8em;border-left:3px solid #999;font-style:italic}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border:1px solid #aaa;padding:.25em .4em;
vertical-align:top;text-align:left}code{font-size:.9em}.unverified{color:#a00;font-weight:bold}
.sign{margin-top:1em;border-top:1px dashed #999;padding-top:.4em;color:#444}
@media print{body{margin:0;max-width:none;font-size:10.5pt}h2{page-break-before:auto;break-after:avoid}
section{break-inside:avoid-page}a{color:inherit;text-decoration:none}
a[href]::after{content:" (" attr(href) ")";
font-size:.8em}}
"""


def render_html(ruleset: RuleSet, sections: Sequence[DocSection]) -> str:
    """The document as one self-contained HTML page (inline CSS; no script, font or image is fetched)."""
    e = html.escape
    body = [f"<h1>{e(ruleset.title_vi)}</h1>", *(f"<p>{e(line)}</p>" for line in _intro(ruleset))]
    for section in sections:
        body.append(f"<section><h2>{e(section.heading)}</h2>")
        for item in section.items:
            status = _status(item.verified, item.provisional)
            cls = "" if item.verified and not item.provisional else ' class="unverified"'
            body.append(f"<h3>{e(_KINDS[item.kind])}: {e(item.title)} (<code>{e(item.id)}</code>)</h3>")
            if item.wording_vi:
                body.append(f"<blockquote>{e(' '.join(item.wording_vi.split()))}</blockquote>")
            if item.rule_vi:
                body.append(f"<p><b>Quy tắc:</b> {e(item.rule_vi)}</p>")
            source = f' · nguồn: <a href="{e(item.source)}">{e(item.source)}</a>' if item.source else ""
            body.append(f"<p><b>Xác minh:</b> <span{cls}>{e(status)}</span>{source}</p>")
            if item.note:
                body.append(f"<p><i>Ghi chú:</i> {e(' '.join(item.note.split()))}</p>")
            if item.params:
                rows = "".join(
                    f"<tr><td><code>{e(p.id)}</code> {e(p.label_vi or '')}</td>"
                    f"<td>{e(format_value(p.value))}</td>"
                    f"<td>{e(p.unit or '')}</td><td>{e(_status(p.verified, p.provisional))}</td>"
                    f"<td>{e(p.citation.source or p.citation.short('vi'))}</td></tr>"
                    for p in item.params
                )
                body.append(
                    "<table><tr><th>Tham số</th><th>Giá trị</th><th>Đơn vị</th><th>Xác minh</th>"
                    f"<th>Nguồn</th></tr>{rows}</table>"
                )
        cases = "".join(f"<li>{e(name)} <small>({e(file)})</small></li>" for file, name in section.cases)
        body.append(
            "<p><b>Trường hợp kiểm thử (golden cases) trích dẫn điều khoản này:</b></p>"
            f"<ul>{cases or '<li>(chưa có)</li>'}</ul>"
            '<p class="sign">Ý kiến / ký xác nhận: ____________________</p></section>'
        )
    if ruleset.not_modelled:
        body.append("<section><h2>Chưa mô hình hóa</h2><ul>")
        body += [
            f"<li><b>{e(n.provision)}</b>: {e(' '.join(n.reason.split()))}</li>" for n in ruleset.not_modelled
        ]
        body.append("</ul></section>")
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{e(ruleset.id)} — {e(ruleset.title_vi)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
