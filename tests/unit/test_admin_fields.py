"""Administrative and personal fields of the data contract (issue 10 item 1), kept apart from the facts."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from classifier.api import load_standard
from classifier.io import known_indicator_keys, parse_records, read_records
from classifier.io.admin import admin_catalogue, is_ethnic_minority, pseudonym
from classifier.io.template import HOUSEHOLD_SHEET, MEMBER_SHEET, write_template
from classifier.model import Household


def test_admin_fields_never_share_a_name_with_a_fact() -> None:
    """No rule can read an admin field: their names are disjoint from every fact of facts.yaml."""
    facts = load_standard("nd-07-2021").facts
    admin = admin_catalogue()
    assert not set(admin.household) & {*facts.household, *facts.classification}
    assert not set(admin.member) & set(facts.member)


def test_the_official_list_has_54_ethnic_groups_and_minority_is_derived() -> None:
    """54 groups; every group but Kinh makes an ethnic-minority household; unknown stays unknown."""
    groups = admin_catalogue().ethnic_groups
    assert len(groups) == 54 and groups["kinh"] == "Kinh"
    assert (is_ethnic_minority("kinh"), is_ethnic_minority("muong"), is_ethnic_minority(None)) == (
        False,
        True,
        None,
    )


def _parse(path: Path) -> list[Household | list[object]]:
    ruleset = load_standard("nd-07-2021")
    return [
        result
        for _, result in parse_records(
            read_records(path), catalogue=ruleset.facts, indicator_keys=known_indicator_keys()
        )
    ]


def test_the_template_carries_admin_columns_that_read_back_with_vietnamese_values(tmp_path: Path) -> None:
    """Filled under the template's Vietnamese headers, admin values become codes in Household.admin."""
    path = write_template(tmp_path / "mau.xlsx", load_standard("nd-07-2021"))
    workbook = load_workbook(path)
    households, members = workbook[HOUSEHOLD_SHEET], workbook[MEMBER_SHEET]
    h_head = [c.value for c in households[1]]
    m_head = [c.value for c in members[1]]
    for header in (
        "Họ và tên chủ hộ",
        "Dân tộc (của chủ hộ)",
        "Nguyên nhân nghèo",
        "Hộ có người có công với cách mạng",
    ):
        assert header in h_head
    for header in ("Họ và tên", "Số định danh cá nhân/CCCD", "Quan hệ với chủ hộ"):
        assert header in m_head
    row = dict.fromkeys(h_head) | {
        "Mã hộ": "H1",
        "Khu vực": "nông thôn",
        "Thu nhập bình quân đầu người/tháng": 1_000_000,
        "Họ và tên chủ hộ": "Lò Văn A",
        "Dân tộc (của chủ hộ)": "Thái",
        "Giới tính chủ hộ": "nam",
        "Nguyên nhân nghèo": "thiếu vốn sản xuất; thiếu đất sản xuất",
        "Hộ có người có công với cách mạng": "có",
    }
    households.append([row[h] for h in h_head])
    member = dict.fromkeys(m_head) | {
        "Mã hộ": "H1",
        "Họ và tên": "Lò Văn A",
        "Quan hệ với chủ hộ": "chủ hộ",
        "Số định danh cá nhân/CCCD": "001090012345",
        "Năm sinh": 1990,
    }
    members.append([member[h] for h in m_head])
    workbook.save(path)
    [household] = _parse(path)
    assert isinstance(household, Household)
    assert household.admin == {
        "head_name": "Lò Văn A",
        "head_gender": "male",
        "ethnicity": "thai",
        "meritorious_service": True,
        "poverty_causes": ("lack_land", "lack_capital"),
    }
    assert household.members[0].admin == {
        "name": "Lò Văn A",
        "relation": "head",
        "id_number": "001090012345",
        "birth_year": 1990,
    }
    assert "head_name" not in household.facts


def test_errors_on_sensitive_fields_withhold_the_value(tmp_path: Path) -> None:
    """A bad ethnicity (sensitive) is named by field only; a bad gender (not personal) shows its value."""
    path = tmp_path / "ho.json"
    path.write_text(
        '[{"id": "H1", "area": "rural", "income_per_capita_month": 1, "member_count": 1,'
        ' "ethnicity": "Kinhh-SECRET", "head_gender": "unknownish"}]',
        encoding="utf-8",
    )
    [errors] = _parse(path)
    assert isinstance(errors, list)
    text = "\n".join(str(e) for e in errors)
    assert "ethnicity" in text and "SECRET" not in text and "personal data, value not shown" in text
    assert "unknownish" in text


def test_pseudonyms_are_stable_keyed_and_distinct() -> None:
    """The same key and value give the same pseudonym; another key or value another one."""
    assert pseudonym(b"k", "name", "An") == pseudonym(b"k", "name", "An")
    assert pseudonym(b"k", "name", "An") != pseudonym(b"k2", "name", "An")
    assert pseudonym(b"k", "id_number", "001090012345").startswith("ID-")
    assert "001090012345" not in pseudonym(b"k", "id_number", "001090012345")


def test_errors_on_health_answers_withhold_the_value(tmp_path: Path) -> None:
    """A health answer is a fact the rules read, yet an error about it never shows the value."""
    path = tmp_path / "ho.json"
    path.write_text(
        '[{"id": "H1", "area": "rural", "income_per_capita_month": 1,'
        ' "members": [{"stunted": "SECRET-maybe", "in_school": "perhaps"}]}]',
        encoding="utf-8",
    )
    [errors] = _parse(path)
    assert isinstance(errors, list)
    text = "\n".join(str(e) for e in errors)
    assert "members[1].stunted" in text and "SECRET" not in text
    assert "perhaps" in text  # schooling is not a health answer: its value is shown to help fix the cell


def test_a_default_departure_reason_that_is_not_a_reason_is_a_rule_file_error(tmp_path: Path) -> None:
    """admin.yaml's departure_reasons.default must name one of its reasons: a typo fails loading,
    naming the file and the value, instead of counting households under a reason no table has."""
    import pytest

    from classifier.errors import RuleFileError
    from classifier.rules import default_rules_root

    text = (default_rules_root() / "admin.yaml").read_text(encoding="utf-8")
    assert "  default: missing\n" in text
    (tmp_path / "admin.yaml").write_text(
        text.replace("  default: missing\n", "  default: gone\n"), encoding="utf-8"
    )
    with pytest.raises(RuleFileError) as caught:
        admin_catalogue(tmp_path)
    assert "admin.yaml" in str(caught.value) and "'gone'" in str(caught.value)
