"""The register (issue 10 item 2): schema by migration, idempotent import, results kept, versions, log.

Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from classifier.errors import InputError
from classifier.register import Register, RegisterError, StaleVersionError
from classifier.register.db import HEAD, make_engine, schema_revision
from classifier.register.schema import METADATA
from classifier.rules import default_rules_root

REF = dt.date(2026, 11, 1)


def _household(
    hid: str, income: int, *, village: str = "Thôn A", flags: int = 0, **admin: Any
) -> dict[str, Any]:
    """A flags-only record: ``flags`` of the 12 Decree 07 indicators deprived, the rest not."""
    from classifier.api import load_standard

    ids = load_standard("nd-07-2021").indicator_ids
    return {
        "id": hid,
        "province": "Tỉnh P",
        "commune": "Xã Q",
        "village": village,
        "area": "rural",
        "income_per_capita_month": income,
        "member_count": 3,
        "reference_date": REF.isoformat(),
        "deprivations": {key: index < flags for index, key in enumerate(ids)},
        **admin,
    }


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def register(database_url: str) -> Any:
    reg = Register(make_engine(database_url))
    yield reg
    reg.close()


def test_migrations_build_exactly_the_declared_schema(register: Register) -> None:
    """A migrated database is at the newest revision and has the tables and columns of schema.py
    (and of classifier/web/db.py, whose tables migration 0002 adds)."""
    from classifier.web.db import METADATA as WEB_METADATA

    assert schema_revision(register.engine) == HEAD
    inspector = sa.inspect(register.engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    assert tables == set(METADATA.tables) | set(WEB_METADATA.tables)
    for name, table in {**METADATA.tables, **WEB_METADATA.tables}.items():
        assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name


def test_importing_the_same_file_twice_changes_nothing(register: Register, tmp_path: Path) -> None:
    """The second import adds and changes nothing: no new log line, the version stays 1."""
    path = _write(tmp_path / "ho.json", [_household("H1", 900_000, flags=4), _household("H2", 5_000_000)])
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    first = register.import_file("2026", path, who="cb")
    log_size = len(register.change_log())
    second = register.import_file("2026", path, who="cb")
    assert (first.added, first.changed, first.unchanged) == (2, 0, 0)
    assert (second.added, second.changed, second.unchanged) == (0, 0, 2)
    assert len(register.change_log()) == log_size
    assert [h.version for h in register.households("2026")] == [1, 1]


def test_a_changed_answer_is_logged_field_by_field(register: Register, tmp_path: Path) -> None:
    """Re-importing with one answer changed bumps the version and logs that field, old -> new, why."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "a.json", [_household("H1", 900_000, flags=4)]), who="cb")
    register.import_file("2026", _write(tmp_path / "b.json", [_household("H1", 950_000, flags=4)]), who="xa")
    household = register.household("2026", "H1")
    assert household.version == 2
    entry = register.change_log(code="H1")[-1]
    assert (entry.field, entry.old, entry.new, entry.who, entry.reason) == (
        "income_per_capita_month",
        900_000,
        950_000,
        "xa",
        "import b.json",
    )


def test_reclassifying_after_a_rule_change_keeps_the_earlier_result(
    register: Register, tmp_path: Path
) -> None:
    """Results are kept per rule digest: new rules add a result beside the old one, same rules add none."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "ho.json", [_household("H1", 900_000, flags=4)]), who="cb")
    first = register.classify("2026", who="cb")
    again = register.classify("2026", who="cb")
    assert (first.classified, again.classified, again.current) == (1, 0, 1)
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_root(), rules)
    standard = rules / "nd-07-2021" / "standard.yaml"
    standard.write_text(
        standard.read_text(encoding="utf-8").replace("title_en:", "title_en: Edited", 1), encoding="utf-8"
    )
    changed = register.classify("2026", who="cb", rules_root=rules)
    history = register.results_history("2026", "H1")
    assert changed.classified == 1
    assert len(history) == 2 and history[0]["rules_digest"] != history[1]["rules_digest"]
    assert register.household("2026", "H1").results == 2
    assert register.round("2026").rules_digest == history[1]["rules_digest"]


def test_a_second_writer_of_the_same_household_is_told_to_reload(register: Register, tmp_path: Path) -> None:
    """Two edits from the same version: the first wins, the second gets StaleVersionError, nothing lost."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "ho.json", [_household("H1", 900_000, flags=4)]), who="cb")
    version = register.household("2026", "H1").version
    register.update_answers(
        "2026",
        "H1",
        {"income_per_capita_month": 1_000_000},
        expected_version=version,
        who="a",
        reason="khai lại",
    )
    with pytest.raises(StaleVersionError, match="reload"):
        register.update_answers(
            "2026",
            "H1",
            {"income_per_capita_month": 1_100_000},
            expected_version=version,
            who="b",
            reason="khai lại",
        )
    household = register.household("2026", "H1")
    assert (household.version, household.answers["income_per_capita_month"]) == (2, 1_000_000)


def test_an_invalid_edit_is_refused_and_nothing_is_saved(register: Register, tmp_path: Path) -> None:
    """An edit the parser refuses raises InputError naming the field; the household is unchanged."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "ho.json", [_household("H1", 900_000)]), who="cb")
    with pytest.raises(InputError, match="area"):
        register.update_answers("2026", "H1", {"area": "city"}, expected_version=1, who="a", reason="sửa")
    assert register.household("2026", "H1").version == 1


def test_the_change_log_is_append_only(register: Register) -> None:
    """The database itself refuses to update or delete a change-log line."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    for statement in ("UPDATE change_log SET who = 'x'", "DELETE FROM change_log"):
        with pytest.raises(sa.exc.DBAPIError), register.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert len(register.change_log()) == 1


def test_personal_data_is_not_in_import_errors(register: Register, tmp_path: Path) -> None:
    """A malformed identity number is reported by record and field, never by value."""
    bad = _household("H1", 900_000, head_name="Nguyễn Thị Bí Mật")
    bad["member_count"] = None
    bad["members"] = [{"id": "1", "name": "Nguyễn Thị Bí Mật", "id_number": "0010-SECRET-99"}]
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    summary = register.import_file("2026", _write(tmp_path / "ho.json", [bad]), who="cb")
    assert summary.added == 0
    text = "\n".join(str(e) for e in summary.errors)
    assert "members[1].id_number" in text and "H1" in text
    assert "SECRET" not in text and "Bí Mật" not in text
    assert all(e.value is None for e in summary.errors if e.field.endswith("id_number"))


def test_departures_need_a_known_reason_and_a_household_of_an_earlier_round(
    register: Register, tmp_path: Path
) -> None:
    """A departure names a reason of rules/admin.yaml; it is logged; unknown households are refused."""
    register.new_round("2025", year=2025, reference_date=REF, who="cb")
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2025", _write(tmp_path / "ho.json", [_household("H1", 900_000)]), who="cb")
    with pytest.raises(RegisterError, match="moved_out"):
        register.record_departure("2026", "H1", "gone", who="cb")
    with pytest.raises(RegisterError, match="no round"):
        register.record_departure("2026", "H9", "moved_out", who="cb")
    register.record_departure("2026", "H1", "moved_out", who="cb")
    assert register.departures("2026") == {"H1": "moved_out"}
    assert register.change_log(code="H1")[-1].new == "moved_out"


def test_unknown_round_and_duplicate_round_are_clear_errors(register: Register) -> None:
    """Asking for a round that does not exist names the rounds there are; a name is used once."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    with pytest.raises(RegisterError, match="2026"):
        register.round("2027")
    with pytest.raises(RegisterError, match="already exists"):
        register.new_round("2026", year=2026, reference_date=REF, who="cb")


def test_stored_answers_read_back_to_the_same_household(register: Register, tmp_path: Path) -> None:
    """typed_households re-reads each stored record to a Household equal to the imported one."""
    from classifier.api import load_standard
    from classifier.io import known_indicator_keys, parse_records, read_records

    record = _household("H1", 900_000, flags=4, head_name="Lê Thị B", poverty_causes="thiếu vốn sản xuất")
    record.pop("member_count")
    record["members"] = [
        {"id": "1", "name": "Lê Thị B", "birth_date": "1980-02-03", "id_number": "001180012345"}
    ]
    path = _write(tmp_path / "ho.json", [record])
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", path, who="cb")
    ruleset = load_standard("nd-07-2021")
    [(_, original)] = list(
        parse_records(read_records(path), catalogue=ruleset.facts, indicator_keys=known_indicator_keys())
    )
    assert register.typed_households("2026") == [original]


def test_an_edit_makes_the_result_out_of_date_until_classified_again(
    register: Register, tmp_path: Path
) -> None:
    """After an edit the household's result is not current and the round is open; classify fixes both."""
    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "ho.json", [_household("H1", 900_000, flags=4)]), who="cb")
    register.classify("2026", who="cb")
    assert (register.household("2026", "H1").current, register.round("2026").status) == (True, "classified")
    register.update_answers(
        "2026",
        "H1",
        {"income_per_capita_month": 5_000_000},
        expected_version=1,
        who="a",
        reason="thu nhập mới",
    )
    edited = register.household("2026", "H1")
    assert (edited.current, edited.outcome, register.round("2026").status) == (False, "ngheo", "open")
    register.classify("2026", who="cb")
    again = register.household("2026", "H1")
    assert (again.current, again.outcome, again.results, register.round("2026").status) == (
        True,
        "khac",
        2,
        "classified",
    )


def test_two_simultaneous_writers_never_lose_an_update(register: Register, tmp_path: Path) -> None:
    """Two threads edit the same household from the same version at once: one wins, one must reload."""
    import threading

    register.new_round("2026", year=2026, reference_date=REF, who="cb")
    register.import_file("2026", _write(tmp_path / "ho.json", [_household("H1", 900_000, flags=4)]), who="cb")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(who: str, income: int) -> None:
        barrier.wait()
        try:
            register.update_answers(
                "2026",
                "H1",
                {"income_per_capita_month": income},
                expected_version=1,
                who=who,
                reason="sửa đồng thời",
            )
            outcomes[who] = "saved"
        except StaleVersionError:
            outcomes[who] = "reload"

    threads = [threading.Thread(target=edit, args=(w, i)) for w, i in (("a", 1_000_000), ("b", 1_100_000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["reload", "saved"]
    winner = next(w for w, o in outcomes.items() if o == "saved")
    household = register.household("2026", "H1")
    assert household.version == 2
    assert household.answers["income_per_capita_month"] == {"a": 1_000_000, "b": 1_100_000}[winner]
    assert [e.who for e in register.change_log(code="H1") if e.field == "income_per_capita_month"] == [winner]
