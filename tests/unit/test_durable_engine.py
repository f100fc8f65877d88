"""The durable-rules evaluator and the library's known traps, each handled on purpose."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest

from classifier.engine.durable import DurableEngine, to_durable_json
from classifier.errors import EngineError
from classifier.model import Household
from classifier.rules import default_rules_root, load_ruleset, load_ruleset_path
from classifier.rules.conditions import AllOf, Compare, Not

REF = dt.date(2026, 11, 1)


def flags(count: int) -> dict[str, bool]:
    ids = load_ruleset("nd-07-2021").indicator_ids
    return {key: i < count for i, key in enumerate(ids)}


def household(income: float, count: int = 0, area: str = "rural", hid: str = "H") -> Household:
    return Household(id=hid, area=area, income_per_capita_month=income, flags=flags(count), member_count=3)


def test_creating_engines_starts_no_threads() -> None:
    """durable's Host starts two re-arming timer threads; our Host must not leak any."""
    before = threading.active_count()
    engines = [DurableEngine(load_ruleset("nd-07-2021")) for _ in range(5)]
    assert threading.active_count() == before
    assert engines[0].classify(household(1_000_000, 3), REF).outcome == "ngheo"


def test_identical_households_posted_twice_do_not_collide() -> None:
    """Identical messages collide in durable_rules; fresh event ids make repeats classify normally."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    first = engine.classify(household(1_000_000, 2), REF)
    second = engine.classify(household(1_000_000, 2), REF)
    assert first.outcome == second.outcome == "can_ngheo"
    assert first.fired_rules == second.fired_rules == ("can_ngheo_nong_thon",)


def test_unmatched_post_becomes_an_engine_error() -> None:
    """A post no rule matches raises MessageNotHandledException upstream; we name the facts instead."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    with pytest.raises(EngineError, match="no classification rule"):
        engine.fire(
            {
                "area": "nowhere",
                "income_per_capita_month": 1,
                "income_per_capita_year": 12,
                "deprivation_count": 0,
            }
        )


def test_an_event_durable_starts_no_action_for_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule that fired is read from the action durable_rules starts: none started is an EngineError."""
    import durable_rules_engine

    engine = DurableEngine(load_ruleset("nd-07-2021"))
    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", lambda handle, state: None)
    with pytest.raises(EngineError, match="started no rule's action"):
        engine.classify(household(1_000_000, 3), REF)


def test_an_action_started_for_another_event_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The started action must carry the event just posted (its fresh id), or the answer is not ours."""
    import durable_rules_engine

    engine = DurableEngine(load_ruleset("nd-07-2021"))
    real = durable_rules_engine.start_action_for_state

    def start_for_another_event(handle: int, state: int) -> tuple[str, str]:
        state_json, message = real(handle, state)
        return state_json, message.replace('"id": ', '"id": 9', 1)

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", start_for_another_event)
    with pytest.raises(EngineError, match="another event"):
        engine.classify(household(1_000_000, 3), REF)


def test_durable_actions_are_read_not_dispatched() -> None:
    """durable_rules' Python action dispatch (Closure, Promise, state write-back) is never used: the
    registered action refuses to run, yet every household is classified by the rule durable_rules chose."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    with pytest.raises(AssertionError, match="without dispatching"):
        engine._host.get_action("ngheo_nong_thon")(None)
    assert engine.fire({"area": "rural", "income_per_capita_month": 1_000_000, "deprivation_count": 3}) == (
        "ngheo_nong_thon"
    )
    assert engine.fire({"area": "urban", "income_per_capita_month": 1_900_000, "deprivation_count": 1}) == (
        "can_ngheo_thanh_thi"
    )


def test_definition_is_not_mutated_by_durable() -> None:
    """set_rulesets deletes 'run' from what it gets; the engine keeps an intact copy for inspection."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    assert all("run" in rule for rule in engine.definition.values())


def test_two_rule_sets_with_the_same_id_do_not_share_state(tmp_path: Path) -> None:
    """Names register once per host: a changed copy of a standard gets its own ruleset, not the old one."""
    root = tmp_path / "rules"
    shutil.copytree(default_rules_root(), root)
    params = root / "nd-07-2021" / "parameters.yaml"
    params.write_text(
        params.read_text(encoding="utf-8").replace("value: 1500000", "value: 1600000", 1), encoding="utf-8"
    )
    changed = load_ruleset_path(root / "nd-07-2021", root)
    original = load_ruleset("nd-07-2021")
    assert changed.id == original.id and changed.digest != original.digest
    a, b = DurableEngine(original), DurableEngine(changed)
    h = household(1_550_000, 3)
    assert a.classify(h, REF).outcome == "muc_song_trung_binh"
    assert b.classify(h, REF).outcome == "ngheo"
    assert a.classify(h, REF).outcome == "muc_song_trung_binh"


def test_not_is_pushed_down_for_durable() -> None:
    """durable_rules has no general NOT: not(a and b) becomes (not a) or (not b) with negated operators."""
    cond = Not(AllOf((Compare("area", "eq", "rural"), Compare("income_per_capita_month", "lte", 5))))
    assert to_durable_json(cond) == {
        "$or": [{"$neq": {"area": "rural"}}, {"$gt": {"income_per_capita_month": 5}}]
    }


def test_unknowns_post_one_event_per_possible_count() -> None:
    """2 known deprivations and 1 unknown under the line: both poor and near-poor remain possible."""
    ids = load_ruleset("nd-07-2021").indicator_ids
    partial = {key: i < 2 for i, key in enumerate(ids) if i != 5}  # indicator 6 left unknown
    h = Household(id="U", area="urban", income_per_capita_month=2_000_000, flags=partial, member_count=2)
    result = DurableEngine(load_ruleset("nd-07-2021")).classify(h, REF)
    assert result.outcome == "khong_du_du_lieu"
    assert result.possible_outcomes == ("ngheo", "can_ngheo")
    assert result.fired_rules == ()
    assert result.trace.rules and {r.id for r in result.trace.rules} == {
        "ngheo_thanh_thi",
        "can_ngheo_thanh_thi",
    }


@pytest.mark.parametrize("income", [1e-05, 0.00009, 3e-300, 1e16, 2.5e20])
def test_incomes_python_writes_in_exponent_form_still_classify(income: float) -> None:
    """durable_rules' JSON parser rejects 1e-05; such incomes are passed as an equivalent value."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    result = engine.classify(household(income, 3), REF)
    assert result.outcome == ("ngheo" if income < 1 else "khac")
    assert result.income_per_capita_month == income  # the trace keeps the true figure


def test_engines_are_kept_on_the_rule_sets_plan_not_in_a_module_cache() -> None:
    """get_engine builds one engine per rule set and name (one durable Host, reused), keeps it on the
    rule set's compiled plan, and lets it go with the rule set (a module-level cache would keep it)."""
    import gc
    import weakref

    import attrs

    from classifier.engine import get_engine

    ruleset = attrs.evolve(load_ruleset("nd-07-2021"))  # a rule set nothing else holds (no plan yet)
    engine = get_engine("durable", ruleset)
    assert get_engine("durable", ruleset) is engine
    assert get_engine("batch", ruleset) is not engine
    assert engine.classify(household(1_000_000, 3), REF).outcome == "ngheo"
    gone = weakref.ref(engine)
    del engine, ruleset
    gc.collect()
    assert gone() is None
    with pytest.raises(ValueError, match="unknown engine 'sql'"):
        get_engine("sql", load_ruleset("nd-07-2021"))


@pytest.mark.parametrize(
    "extra",
    [{}, {"note": 'Hộ "nghèo" \\ e\u0301 \U0001f600'}, {"flag": True, "absent": None}, {"big": 10**30}],
)
def test_the_started_action_echoes_any_event_text(extra: dict[str, object]) -> None:
    """The rule is read from the started action's text, which must echo the posted event exactly: so it
    does for non-ASCII text, quotes, backslashes, booleans, absent values and very large integers."""
    engine = DurableEngine(load_ruleset("nd-07-2021"))
    facts = {"area": "rural", "income_per_capita_month": 1_000_000, "deprivation_count": 3, **extra}
    assert engine.fire(facts) == "ngheo_nong_thon"
    assert engine.fire(dict(facts, deprivation_count=2)) == "can_ngheo_nong_thon"
