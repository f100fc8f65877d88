"""Plain-language explanation of one result, for commune staff to read to the household.

Vietnamese first (``lang="vi"``), English with ``lang="en"``. Everything legal in the text — class
names, indicator names, citations, thresholds — comes from the Trace and the RuleSet (the YAML rule
data); this module only holds the sentence frames around them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from classifier.explain._format import (
    check_lang,
    count_ranges,
    fact_label,
    format_date,
    format_money,
    format_number,
    format_value,
    group_missing,
    lower_first,
    member_label,
    split_path,
)
from classifier.model import CANNOT_CLASSIFY, Classification
from classifier.rules.conditions import OPERATORS, comparisons
from classifier.rules.ruleset import RuleSet
from classifier.trace import IndicatorStep, Margin, Trace

__all__ = ["cutoff_rules", "is_money", "render_text", "require_trace"]

#: The classification fact that counts deprived indicators (the vocabulary of rules/facts.yaml).
COUNT_FACT = "deprivation_count"

_P: dict[str, dict[str, str]] = {
    "vi": {
        "decided": "Hộ {id} được xác định là {label} theo {citation}.",
        "undecided": (
            "Chưa đủ dữ liệu để phân loại hộ {id}: tùy theo các câu trả lời còn thiếu, hộ có thể là {labels}."
        ),
        "or": " hoặc ",
        "standard": "Chuẩn áp dụng: {title} (mã {id}, bộ quy tắc {digest}).",
        "reference": "Ngày tham chiếu: {date}. Khu vực: {area}.",
        "method_income": "Phương pháp: theo thu nhập (chuẩn thu nhập của chuẩn nghèo).",
        "method_score": "Phương pháp: chấm điểm (Thông tư 07/2021/TT-BLĐTBXH) — quyết định theo {basis}.",
        "method_score_income": " Thu nhập phân biệt mức sống trung bình với mức trên.",
        "score_a": "điểm A",
        "score_b": "điểm B",
        "and": " và ",
        "score_b_from_indicators": " (điểm B tính từ các chỉ số thiếu hụt của hộ)",
        "income_head": "Thu nhập",
        "income": "{label}: {value}.",
        "compare": "So với {label} {threshold}: {margin} (điều kiện “{condition}”: {verdict}).",
        "below": "thấp hơn {word} {amount}",
        "equal": "bằng đúng {word}",
        "above": "cao hơn {word} {amount}",
        "word_line": "chuẩn",
        "word_level": "mức",
        "threshold": "ngưỡng",
        "holds_true": "đạt",
        "holds_false": "không đạt",
        "holds_none": "chưa rõ",
        "lte": "từ {x} trở xuống",
        "lt": "dưới {x}",
        "gte": "từ {x} trở lên",
        "gt": "trên {x}",
        "dep_head": "Thiếu hụt dịch vụ xã hội cơ bản",
        "dep_count": "Hộ thiếu hụt {n} chỉ số.",
        "indicators": "{n} chỉ số",
        "dep_needs": "Hộ thiếu hụt {n} chỉ số, cần {cond} để là {label}.",
        "dep_meets": "Hộ thiếu hụt {n} chỉ số, đạt mức {cond} của {label}.",
        "dep_unknown": "Còn {n} chỉ số chưa xác định.",
        "dep_irrelevant": "Với mức thu nhập này, số chỉ số thiếu hụt không ảnh hưởng đến kết quả.",
        "deprived_head": "Các chỉ số thiếu hụt:",
        "deprived_none": "Không có chỉ số nào thiếu hụt.",
        "by_flag": "theo phiếu",
        "by_members": "do {who}",
        "by_answers": "theo câu trả lời: {facts}",
        "unverified_inline": "Lưu ý: định nghĩa chưa được đối chiếu với văn bản gốc.",
        "not_deprived": "Không thiếu hụt: {items}.",
        "unknown_head_decided": "Chưa xác định (không làm thay đổi kết quả):",
        "unknown_head": "Chưa xác định:",
        "missing": "còn thiếu: {items}",
        "possible_head": "Các kết quả có thể:",
        "possible": "{label} ({citation}) nếu số chỉ số thiếu hụt là {counts}",
        "possible_plain": "{label} ({citation})",
        "collect_head": "Cần thu thập thêm các thông tin sau để phân loại:",
        "collect_flags": "hoặc ghi trực tiếp trên phiếu các chỉ số: {items}",
        "notes_head": "Lưu ý",
        "ignored": "Các chỉ số trên phiếu không thuộc chuẩn này nên không được xét: {items}.",
        "provisional": (
            "Cảnh báo: chuẩn này là tạm thời (một phần nội dung chưa phải là quy định chính thức)."
        ),
        "warning": "Cảnh báo: {text}",
        "rule_unverified": "Quy định {citation} chưa được đối chiếu với văn bản gốc.",
        "footnote": "(*) Định nghĩa chưa được đối chiếu với văn bản gốc.",
        "household_facts": "hộ",
    },
    "en": {
        "decided": "Household {id} is classified as: {label}, under {citation}.",
        "undecided": (
            "Household {id} cannot be classified yet: depending on the missing answers it could be: {labels}."
        ),
        "or": " or ",
        "standard": "Standard: {title} (id {id}, rules {digest}).",
        "reference": "Reference date: {date}. Area: {area}.",
        "method_income": "Method: income (the standard's income lines).",
        "method_score": "Method: score (Thông tư 07/2021/TT-BLĐTBXH) — decided by {basis}.",
        "method_score_income": " Income tells the middle band from above it.",
        "score_a": "score A",
        "score_b": "B",
        "and": " and ",
        "score_b_from_indicators": " (B from the household's deprived indicators)",
        "income_head": "Income",
        "income": "{label}: {value}.",
        "compare": "Compared with {label} {threshold}: {margin} (condition “{condition}”: {verdict}).",
        "below": "{amount} below {word}",
        "equal": "exactly at {word}",
        "above": "{amount} above {word}",
        "word_line": "the line",
        "word_level": "that level",
        "threshold": "threshold",
        "holds_true": "met",
        "holds_false": "not met",
        "holds_none": "not known",
        "lte": "{x} or less",
        "lt": "less than {x}",
        "gte": "{x} or more",
        "gt": "more than {x}",
        "dep_head": "Deprivations in basic social services",
        "dep_count": "The household is deprived in {n} indicator(s).",
        "indicators": "{n} indicators",
        "dep_needs": "The household is deprived in {n} indicator(s); {cond} are needed to be a {label}.",
        "dep_meets": (
            "The household is deprived in {n} indicator(s), meeting the {cond} required of a {label}."
        ),
        "dep_unknown": "{n} indicator(s) are not known yet.",
        "dep_irrelevant": "At this income, the number of deprivations does not affect the outcome.",
        "deprived_head": "Deprived indicators:",
        "deprived_none": "No indicator is deprived.",
        "by_flag": "from the survey form",
        "by_members": "because of {who}",
        "by_answers": "from the answers: {facts}",
        "unverified_inline": "Note: definition not checked against the original legal text.",
        "not_deprived": "Not deprived: {items}.",
        "unknown_head_decided": "Not known (cannot change the outcome):",
        "unknown_head": "Not known:",
        "missing": "missing: {items}",
        "possible_head": "Possible outcomes:",
        "possible": "{label} ({citation}) if the number of deprivations is {counts}",
        "possible_plain": "{label} ({citation})",
        "collect_head": "Collect the following to classify the household:",
        "collect_flags": "or record these indicators directly on the form: {items}",
        "notes_head": "Notes",
        "ignored": "Form flags that are not indicators of this standard were ignored: {items}.",
        "provisional": "Warning: this standard is provisional (some of its content is not confirmed law).",
        "warning": "Warning: {text}",
        "rule_unverified": "Provision {citation} has not been checked against the original legal text.",
        "footnote": "(*) Definition not checked against the original legal text.",
        "household_facts": "household",
    },
}

_BULLET = "  • "


def require_trace(classification: Classification) -> Trace:
    """The classification's Trace; explanations need it (classify with ``trace=True``)."""
    trace = classification.trace
    if not isinstance(trace, Trace):
        raise ValueError(
            f"household {classification.household_id}: no trace to explain; classify with trace=True"
        )
    return trace


def render_text(classification: Classification, ruleset: RuleSet, lang: str = "vi") -> str:
    """The explanation of one result as plain text in Vietnamese (default) or English.

    ``ruleset`` is the standard the household was classified under; it supplies the labels of
    parameters, facts and classes that the trace refers to by id.
    """
    check_lang(lang)
    trace = require_trace(classification)
    if ruleset.id != trace.standard:
        raise ValueError(f"the result is under {trace.standard!r}, not {ruleset.id!r}")
    p = _P[lang]
    blocks = [
        _headline(trace, ruleset, p, lang),
        _income(trace, ruleset, p, lang),
        _deprivations(trace, ruleset, p, lang),
    ]
    if trace.outcome == CANNOT_CLASSIFY:
        blocks.append(_undecided(trace, ruleset, p, lang))
    blocks.append(_notes(trace, p, lang))
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


# --- blocks ----------------------------------------------------------------------------------------


def _citation(step: Any, lang: str) -> str:
    return str(step.citation_vi if lang == "vi" else step.citation_en)


def _headline(trace: Trace, ruleset: RuleSet, p: dict[str, str], lang: str) -> list[str]:
    if trace.outcome == CANNOT_CLASSIFY:
        labels = [ruleset.class_label(c, lang) for c in trace.possible_outcomes]
        first = p["undecided"].format(id=trace.household_id, labels=p["or"].join(labels))
    else:
        citations = "; ".join(dict.fromkeys(_citation(r, lang) for r in trace.rules))
        label = trace.outcome_label_vi if lang == "vi" else trace.outcome_label_en
        first = p["decided"].format(id=trace.household_id, label=label, citation=citations)
    area = trace.area or "?"
    area_spec = ruleset.facts.spec("household", "area")
    if lang == "vi" and area_spec is not None:
        area = area_spec.value_labels_vi.get(area, area)
    return [
        first,
        method_sentence(trace, p),
        p["standard"].format(
            title=trace.title_vi if lang == "vi" else trace.title_en,
            id=trace.standard,
            digest=trace.rules_digest[:12],
        ),
        p["reference"].format(date=format_date(trace.reference_date, lang), area=area),
    ]


def method_sentence(trace: Trace, p: Mapping[str, str]) -> str:
    """Which method decided, e.g. "decided by score A = 132 ≤ 140 and B = 40 ≥ 30" (from the margins)."""
    if trace.method != "score":
        return p["method_income"]
    shown = _unique_margins(
        trace.margins, lambda m: m.fact in ("score_a", "score_b") and m.holds is not False
    )
    parts = []
    for m in sorted(shown, key=lambda m: m.fact):
        value = "?" if m.value is None else f"{m.value:g}"
        parts.append(f"{p[m.fact]} = {value} {OPERATORS[m.op]} {m.threshold:g}")
    text = p["method_score"].format(basis=p["and"].join(parts) or "?")
    if trace.score_b_source == "indicators":
        text = text[:-1] + p["score_b_from_indicators"] + "."
    if any(r.id not in {m.rule_id for m in trace.margins if m.fact.startswith("score")} for r in trace.rules):
        text += p["method_score_income"]
    return text


def is_money(margin: Margin, ruleset: RuleSet) -> bool:
    """A threshold in đồng: its parameter's unit is VND (data-driven), or an income fact."""
    param = ruleset.parameters.get(margin.param) if margin.param else None
    if param is not None and param.unit:
        return param.unit.upper().startswith("VND")
    return margin.fact.startswith("income")


def _param_label(ruleset: RuleSet, margin: Margin, p: dict[str, str], lang: str) -> str:
    param = ruleset.parameters.get(margin.param) if margin.param else None
    label = (param.label_vi if lang == "vi" else param.label_en) if param else None
    return label or p["threshold"]


def _condition(op: str, threshold: str, p: dict[str, str]) -> str:
    return p[op].format(x=threshold) if op in p else f"{op} {threshold}"


def _margin_phrase(margin: Margin, label: str, amount_fmt: Any, p: dict[str, str]) -> str:
    word = p["word_line"] if ("chuẩn" in label.lower() or "line" in label.lower()) else p["word_level"]
    diff = margin.margin or 0.0
    if diff < 0:
        return p["below"].format(word=word, amount=amount_fmt(-diff))
    if diff > 0:
        return p["above"].format(word=word, amount=amount_fmt(diff))
    return p["equal"].format(word=word)


def _unique_margins(margins: Iterable[Margin], keep: Any) -> list[Margin]:
    seen: dict[tuple[str, Any], Margin] = {}
    for m in margins:
        if keep(m):
            seen.setdefault((m.fact, m.threshold), m)
    return list(seen.values())


def _income(trace: Trace, ruleset: RuleSet, p: dict[str, str], lang: str) -> list[str]:
    lines = [p["income_head"]]
    income = trace.income_per_capita_month
    income_text = format_money(income, lang) if income is not None else p["holds_none"]
    lines.append(
        _BULLET
        + p["income"].format(
            label=fact_label(ruleset, "income_per_capita_month", lang, "classification"), value=income_text
        )
    )
    money_margins = _unique_margins(trace.margins, lambda m: is_money(m, ruleset) and m.value is not None)
    for m in sorted(money_margins, key=lambda m: (m.fact, m.threshold)):
        label = _param_label(ruleset, m, p, lang)
        threshold = format_money(m.threshold, lang)
        if m.fact != "income_per_capita_month":
            # Another income fact (e.g. per year): say which value was compared.
            fact = fact_label(ruleset, m.fact, lang, "classification")
            lines.append(_BULLET + p["income"].format(label=fact, value=format_money(m.value, lang)))
        verdict = p["holds_none" if m.holds is None else ("holds_true" if m.holds else "holds_false")]
        lines.append(
            _BULLET
            + p["compare"].format(
                label=lower_first(label),
                threshold=threshold,
                margin=_margin_phrase(m, label, lambda x: format_money(x, lang), p),
                condition=_condition(m.op, threshold, p),
                verdict=verdict,
            )
        )
    return lines


def cutoff_rules(ruleset: RuleSet, area: str | None) -> list[tuple[str, Any, str]]:
    """``(op, threshold, class id)`` for every rule that needs *at least* some number of deprivations.

    Rules for another area (a ``{fact: area, op: eq}`` test with another value) are skipped, so
    an urban household is told the urban cut-off.
    """
    found: dict[tuple[str, Any, str], None] = {}
    for rule in ruleset.rules:
        nodes = comparisons(rule.condition)
        if any(n.fact == "area" and n.op == "eq" and area is not None and n.value != area for n in nodes):
            continue
        for n in nodes:
            if n.fact == COUNT_FACT and n.op in ("gte", "gt"):
                found.setdefault((n.op, n.value, rule.outcome), None)
    return [(op, value, outcome) for op, value, outcome in found]


def _deprivations(trace: Trace, ruleset: RuleSet, p: dict[str, str], lang: str) -> list[str]:
    lines = [p["dep_head"]]
    n = trace.deprivation_count
    cutoffs = cutoff_rules(ruleset, trace.area)
    if cutoffs:
        for op, value, outcome in cutoffs:
            cond = _condition(op, p["indicators"].format(n=format_number(value, lang)), p)
            met = (n >= value) if op == "gte" else (n > value)
            key = "dep_meets" if met else "dep_needs"
            lines.append(_BULLET + p[key].format(n=n, cond=cond, label=ruleset.class_label(outcome, lang)))
    else:
        lines.append(_BULLET + p["dep_count"].format(n=n))
    if trace.unknown_count:
        lines.append(_BULLET + p["dep_unknown"].format(n=trace.unknown_count))
    reads_count = any(m.fact == COUNT_FACT for m in trace.margins)
    if trace.outcome != CANNOT_CLASSIFY and not reads_count:
        lines.append(_BULLET + p["dep_irrelevant"])

    deprived = [s for s in trace.indicators if s.deprived is True]
    lines.append(_BULLET + (p["deprived_head"] if deprived else p["deprived_none"]))
    for step in deprived:
        label = step.label_vi if lang == "vi" else step.label_en
        parts = [label, _citation(step, lang), _why(step, ruleset, p, lang)]
        line = "    - " + " — ".join(parts) + "."
        if not step.verified:
            line += " " + p["unverified_inline"]
        lines.append(line)

    fine = [s for s in trace.indicators if s.deprived is False]
    if fine:
        lines.append(_BULLET + p["not_deprived"].format(items=", ".join(_brief(s, p, lang) for s in fine)))

    unknown = [s for s in trace.indicators if s.deprived is None]
    if unknown:
        head = p["unknown_head"] if trace.outcome == CANNOT_CLASSIFY else p["unknown_head_decided"]
        lines.append(_BULLET + head)
        for step in unknown:
            missing = "; ".join(group_missing(ruleset, step.missing, lang))
            label = step.label_vi if lang == "vi" else step.label_en
            parts = [
                label + ("" if step.verified else " (*)"),
                _citation(step, lang),
                p["missing"].format(items=missing),
            ]
            lines.append("    - " + " — ".join(parts) + ".")
    return lines


def _brief(step: IndicatorStep, p: dict[str, str], lang: str) -> str:
    text = step.label_vi if lang == "vi" else step.label_en
    if step.source == "flag":
        text += f" ({p['by_flag']})"
    if not step.verified:
        text += " (*)"
    return text


def _why(step: IndicatorStep, ruleset: RuleSet, p: dict[str, str], lang: str) -> str:
    """Who or what made the indicator deprived: the form's flag, the members, or the answers."""
    if step.source == "flag":
        return p["by_flag"]
    members = [t for t in step.triggered_by if t.startswith("member ")]
    if members:
        who = []
        for member in members:
            facts = [
                f"{fact_label(ruleset, fact, lang, 'member')}: "
                f"{format_value(ruleset, fact, value, lang, 'member')}"
                for path, value in step.facts_read.items()
                for owner, fact in [split_path(path)]
                if owner == member
            ]
            who.append(member_label(member, lang) + (f" ({'; '.join(facts)})" if facts else ""))
        return p["by_members"].format(who=", ".join(who))
    facts = [
        f"{fact_label(ruleset, path, lang)}: {format_value(ruleset, path, value, lang)}"
        for path, value in step.facts_read.items()
        if split_path(path)[0] is None
    ]
    if not facts and step.triggered_by:
        facts = list(step.triggered_by)
    return p["by_answers"].format(facts="; ".join(facts)) if facts else p["by_answers"].format(facts="—")


def _undecided(trace: Trace, ruleset: RuleSet, p: dict[str, str], lang: str) -> list[str]:
    lines = [p["possible_head"]]
    by_outcome: dict[str, list[Any]] = {}
    for rule in trace.rules:
        by_outcome.setdefault(rule.outcome, []).append(rule)
    for outcome in trace.possible_outcomes:
        rules = by_outcome.get(outcome, [])
        citation = "; ".join(dict.fromkeys(_citation(r, lang) for r in rules))
        counts = [c for r in rules for c in r.deprivation_counts]
        label = ruleset.class_label(outcome, lang)
        if counts:
            lines.append(
                _BULLET
                + p["possible"].format(label=label, citation=citation, counts=count_ranges(counts, lang))
            )
        else:
            lines.append(_BULLET + p["possible_plain"].format(label=label, citation=citation))
    lines.append(p["collect_head"])
    for group in group_missing(ruleset, trace.missing_fields, lang):
        lines.append(_BULLET + group)
    unknown = [s.label_vi if lang == "vi" else s.label_en for s in trace.indicators if s.deprived is None]
    if unknown:
        lines.append(_BULLET + p["collect_flags"].format(items=", ".join(unknown)))
    return lines


def _notes(trace: Trace, p: dict[str, str], lang: str) -> list[str]:
    notes: list[str] = []
    if trace.provisional:
        notes.append(p["provisional"])
    notes.extend(p["warning"].format(text=w) for w in trace.warnings)
    if trace.ignored_flags:
        notes.append(p["ignored"].format(items=", ".join(trace.ignored_flags)))
    for rule in trace.rules:
        if not rule.verified:
            notes.append(p["rule_unverified"].format(citation=_citation(rule, lang)))
    if any(not s.verified and s.deprived is not True for s in trace.indicators):
        notes.append(p["footnote"])
    if not notes:
        return []
    return [p["notes_head"], *(_BULLET + n for n in dict.fromkeys(notes))]
