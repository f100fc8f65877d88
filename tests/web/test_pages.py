"""The pages of a review round, driven as a browser would (forms, redirects), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from classifier import classify, load_standard
from classifier.explain import render_text
from classifier.io import known_indicator_keys, parse_record
from classifier.model import Household
from classifier.web import create_app
from tests.web.conftest import form_token, sample_records

POOR = "H000042"


def _rows(html: str, table_id: str) -> list[str]:
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert body, f"no table {table_id}"
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)[1:]


def test_an_officer_opens_a_round_and_a_viewer_may_not(officer: TestClient, viewer: TestClient) -> None:
    """The new-round form creates the round; the same form from a viewer is refused (403)."""
    token = form_token(officer.get("/rounds").text)
    data = {
        "name": "2026",
        "year": "2026",
        "reference_date": "2026-11-01",
        "kind": "periodic",
        "standard": "nd-07-2021",
        "csrf_token": token,
    }
    response = officer.post("/rounds", data=data)
    assert response.status_code == 200 and "Đợt 2026" in response.text
    assert "nd-07-2021" in officer.get("/rounds").text
    token = form_token(viewer.get("/rounds").text)
    assert viewer.post("/rounds", data={**data, "name": "x", "csrf_token": token}).status_code == 403


def test_import_with_column_mapping_and_validation_report(app: FastAPI, officer: TestClient) -> None:
    """A CSV with one unknown column and one bad value: the mapping step marks the column and
    offers to ignore it; the report names the row, the field, the value and what to fix."""
    app.state.web.register.new_round("2026", year=2026, reference_date=dt.date(2026, 11, 1), who="t")
    text = (
        "Mã hộ,village,area,income_per_capita_month,member_count,Ghi chú riêng\n"
        "A1,Thôn Đoài,rural,1200000,3,x\n"
        "A2,Thôn Đoài,nowhere,5000000,2,y\n"
        "A3,Thôn Chùa,urban,9000000,4,z\n"
    )
    token = form_token(officer.get("/rounds/2026/import").text)
    response = officer.post(
        "/rounds/2026/import",
        data={"csrf_token": token},
        files={"households": ("ho.csv", text.encode("utf-8"))},
    )
    assert response.status_code == 200
    html = response.text
    assert "Ghép cột" in html and 'class="unknown"' in html
    selects = dict(re.findall(r'<select name="(map_\d+)"[^>]*>(.*?)</select>', html, re.S))
    chosen = {k: re.search(r'<option value="([^"]*)" selected', v).group(1) for k, v in selects.items()}
    assert chosen == {
        "map_0": "id",
        "map_1": "village",
        "map_2": "area",
        "map_3": "income_per_capita_month",
        "map_4": "member_count",
        "map_5": "-",
    }
    action = re.search(r'action="(/rounds/2026/import/[^"]+)"', html).group(1)
    report = officer.post(action, data={"csrf_token": token, "columns": "6", **chosen})
    assert report.status_code == 200
    assert "Thêm 2 hộ" in report.text and "1 lỗi cần sửa" in report.text
    rows = _rows(report.text, "validation")
    assert len(rows) == 1
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", rows[0], re.S)]
    assert cells[0].startswith("3") and cells[1] == "A2" and cells[2] == "area" and cells[3] == "nowhere"
    assert "rural" in cells[4]
    # The upload is gone once imported: sending the mapping again is refused, nothing is imported twice.
    assert officer.post(action, data={"csrf_token": token, "columns": "6", **chosen}).status_code == 400


def test_household_list_filters(officer: TestClient, sample_round: str) -> None:
    """By class, by village, and only the households that changed since the previous round."""
    poor = officer.get("/rounds/2026/households?outcome=ngheo").text
    assert POOR in poor
    for row in _rows(poor, "households"):
        assert "hộ nghèo" in row
    chua = officer.get("/rounds/2026/households?village=Thôn Chùa").text
    assert "Thôn Gò Cao" not in re.sub(r"<select.*?</select>", "", chua, flags=re.S)
    # Every household is new in the first round.
    assert officer.get("/rounds/2026/households?changed=1").text.count("hộ mới") == len(
        _rows(officer.get("/rounds/2026/households").text, "households")
    )


def test_household_page_explains_and_edit_reclassifies(
    app: FastAPI, officer: TestClient, sample_round: str
) -> None:
    """The page shows the library's explanation; an edit with a reason is logged and re-classified."""
    page = officer.get(f"/rounds/2026/households/{POOR}")
    assert page.status_code == 200
    register = app.state.web.register
    stored = register.household("2026", POOR)
    ruleset = load_standard(register.round("2026").standard)
    household = parse_record(
        stored.answers, row=None, source=None, catalogue=ruleset.facts, indicator_keys=known_indicator_keys()
    )
    assert isinstance(household, Household)
    text = render_text(classify(household, ruleset, reference_date=dt.date(2026, 11, 1)), ruleset, lang="vi")
    import html as html_lib

    shown = re.search(r'<pre class="explain" id="explanation">(.*?)</pre>', page.text, re.S).group(1)
    assert html_lib.unescape(shown) == text
    assert "hộ nghèo" in page.text
    token = form_token(page.text)
    response = officer.post(
        f"/rounds/2026/households/{POOR}/answers",
        data={
            "csrf_token": token,
            "field": "income_per_capita_month",
            "value": "9000000",
            "reason": "Hộ có thêm thu nhập",
            "version": str(stored.version),
        },
    )
    assert response.status_code == 200 and "Đã lưu và phân loại lại." in response.text
    after = register.household("2026", POOR)
    assert after.version == stored.version + 1 and after.outcome != "ngheo"
    entry = register.change_log(code=POOR)[-1]
    assert (entry.field, entry.new, entry.reason, entry.who) == (
        "income_per_capita_month",
        9000000,
        "Hộ có thêm thu nhập",
        "admin",
    )
    # A second writer on the old version is told to reload; nothing is overwritten.
    stale = officer.post(
        f"/rounds/2026/households/{POOR}/answers",
        data={
            "csrf_token": token,
            "field": "income_per_capita_month",
            "value": "100",
            "reason": "x",
            "version": str(stored.version),
        },
    )
    assert stale.status_code == 409 and "reload" in stale.text
    assert register.household("2026", POOR).answers["income_per_capita_month"] == 9000000


def test_a_bad_edit_is_refused_with_the_parsers_words(officer: TestClient, sample_round: str) -> None:
    """A value the data contract refuses is not saved; the page says what was expected."""
    token = form_token(officer.get(f"/rounds/2026/households/{POOR}").text)
    response = officer.post(
        f"/rounds/2026/households/{POOR}/answers",
        data={"csrf_token": token, "field": "area", "value": "mountain", "reason": "x", "version": "1"},
    )
    assert response.status_code == 422
    assert "expected one of rural" in response.text


def test_reviewers_edit_only_their_villages_and_viewers_see_no_household(
    app: FastAPI, reviewer: TestClient, viewer: TestClient, sample_round: str
) -> None:
    """Reviewer of Thôn Đoài edits H000042 (Thôn Đoài), not a Thôn Chùa household; a viewer reads the
    round's counts and the list of codes, but no household page."""
    other = next(
        h for h in app.state.web.register.households("2026") if h.place.get("village") == "Thôn Chùa"
    )
    own_page = reviewer.get(f"/rounds/2026/households/{POOR}").text
    assert 'action="/rounds/2026/households/H000042/answers"' in own_page
    token = form_token(own_page)
    response = reviewer.post(
        f"/rounds/2026/households/{other.code}/answers",
        data={
            "csrf_token": token,
            "field": "floor_area_m2",
            "value": "50",
            "reason": "x",
            "version": str(other.version),
        },
    )
    assert response.status_code == 403
    assert viewer.get("/rounds/2026").status_code == 200
    assert viewer.get(f"/rounds/2026/households/{POOR}").status_code == 403
    listing = viewer.get("/rounds/2026/households").text
    assert POOR in listing and f"/households/{POOR}" not in listing


def test_meeting_vote_and_monthly_request_with_deadline_and_letter(
    app: FastAPI, officer: TestClient, sample_round: str
) -> None:
    """The meeting's vote is judged by the procedure's share; a request shows received + 15 days; a
    refusal needs reasons and gives a letter quoting them; each write is in the change log."""
    page = officer.get(f"/rounds/2026/households/{POOR}").text
    token = form_token(page)
    officer.post(
        f"/rounds/2026/households/{POOR}/meeting",
        data={"csrf_token": token, "meeting_date": "2026-11-20", "participants": "30", "agreed": "15"},
    )
    page = officer.get(f"/rounds/2026/households/{POOR}").text
    assert "15/30 người đồng ý" in page and "Hội nghị thôn đã thống nhất." in page
    officer.post(
        f"/rounds/2026/households/{POOR}/requests",
        data={"csrf_token": token, "form": "01", "received_on": "2026-12-01"},
    )
    page = officer.get(f"/rounds/2026/households/{POOR}").text
    assert "2026-12-16" in page
    listing = officer.get("/rounds/2026/households?requests=1").text
    assert [re.search(r"/households/(H\d+)", r).group(1) for r in _rows(listing, "households")] == [POOR]
    assert "2026-12-16" in listing
    request_id = re.search(rf"/households/{POOR}/requests/(\d+)\"", page).group(1)
    url = f"/rounds/2026/households/{POOR}/requests/{request_id}"
    assert (
        officer.post(url, data={"csrf_token": token, "decision": "refused", "reason": ""}).status_code == 422
    )
    officer.post(
        url,
        data={
            "csrf_token": token,
            "decision": "refused",
            "reason": "Thu nhập bình quân cao hơn chuẩn nghèo.",
        },
    )
    letter = officer.get(url + "/letter")
    assert letter.status_code == 200
    assert (
        "Thu nhập bình quân cao hơn chuẩn nghèo." in letter.text
        and "Độc lập – Tự do – Hạnh phúc" in letter.text
    )
    fields = [e.field for e in app.state.web.register.change_log(code=POOR)]
    assert {"meeting", "request", f"request[{request_id}].status"} <= set(fields)


def test_export_is_an_excel_workbook_without_personal_data(viewer: TestClient, sample_round: str) -> None:
    """Every household once, with its class; no name or identity column."""
    response = viewer.get("/rounds/2026/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "outcome" in header and not {"head_name", "name", "id_number", "ethnicity"} & set(header)
    assert len(rows) - 1 == len(set(r[0] for r in rows[1:]))
    assert any(r[0] == POOR and r[header.index("outcome")] == "ngheo" for r in rows[1:])


def test_export_keeps_formula_like_survey_text_as_text(
    app: FastAPI, viewer: TestClient, tmp_path: Path
) -> None:
    """A record id and village starting with "=" or "+" reach the workbook as text cells, not as
    formulas Excel would run (OWASP's CSV/spreadsheet injection)."""
    import json

    record = {**sample_records(1)[0], "id": '=HYPERLINK("http://x.example","xem")', "village": "=1+2"}
    path = tmp_path / "ho.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    register = app.state.web.register
    register.new_round("2027", year=2027, reference_date=dt.date(2027, 11, 1), who="test")
    register.import_file("2027", path, who="test")
    register.classify("2027", who="test")
    response = viewer.get("/rounds/2027/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=2) for c in row}
    assert cells['=HYPERLINK("http://x.example","xem")'] == "s" and cells["=1+2"] == "s"


def test_papers_of_a_poor_household_print_as_pdf_and_docx(
    officer: TestClient, viewer: TestClient, sample_round: str
) -> None:
    """The certificate and the result letter come from the papers generators; a viewer gets none."""
    page = officer.get(f"/rounds/2026/households/{POOR}").text
    assert f"/households/{POOR}/papers/certificate.pdf" in page
    pdf = officer.get(f"/rounds/2026/households/{POOR}/papers/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    docx = officer.get(f"/rounds/2026/households/{POOR}/papers/letter.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert officer.get(f"/rounds/2026/households/{POOR}/papers/x.pdf").status_code == 404
    assert viewer.get(f"/rounds/2026/households/{POOR}/papers/certificate.pdf").status_code == 403


def test_the_pages_read_one_household_as_the_register_does(app: FastAPI, sample_round: str) -> None:
    """queries.one_household (one household's rows) equals Register.household, for every household,
    before and after an edit adds a second result; queries.history lists the household's rounds."""
    from classifier.web.queries import history, one_household

    register = app.state.web.register
    info = register.round("2026")
    h = register.household("2026", POOR)
    register.update_answers(
        "2026", POOR, {"floor_area_m2": 90}, expected_version=h.version, who="t", reason="t"
    )
    register.classify("2026", who="t")
    for stored in register.households("2026"):
        assert one_household(app.state.web.engine, info, stored.code) == stored
    assert [(r.name, o) for r, o in history(app.state.web.engine, POOR)] == [
        ("2026", register.household("2026", POOR).outcome)
    ]


def test_the_list_follows_every_write(officer: TestClient, app: FastAPI, sample_round: str) -> None:
    """The cached household list shows an edit's new class and a new request at once."""
    listing = officer.get("/rounds/2026/households?outcome=ngheo").text
    assert f"/households/{POOR}" in listing
    register = app.state.web.register
    h = register.household("2026", POOR)
    register.update_answers(
        "2026", POOR, {"income_per_capita_month": 9_000_000}, expected_version=h.version, who="t", reason="t"
    )
    assert (
        f"/households/{POOR}" in officer.get("/rounds/2026/households?outcome=ngheo").text
    )  # not classified
    register.classify("2026", who="t")
    assert f"/households/{POOR}" not in officer.get("/rounds/2026/households?outcome=ngheo").text
    token = form_token(officer.get(f"/rounds/2026/households/{POOR}").text)
    officer.post(
        f"/rounds/2026/households/{POOR}/requests",
        data={"csrf_token": token, "form": "04", "received_on": "2026-12-02"},
    )
    assert f"/households/{POOR}" in officer.get("/rounds/2026/households?requests=1").text


def test_the_round_report_set_per_commune(officer: TestClient, viewer: TestClient, sample_round: str) -> None:
    """The report set of the papers engineer, from the register: Excel for an officer with the detailed
    lists, and for a viewer without them (no names, no ethnicity)."""
    page = officer.get("/rounds/2026").text
    link = re.search(r'href="(/rounds/2026/report\.xlsx\?commune=[^"]+)"', page).group(1)
    full = load_workbook(io.BytesIO(officer.get(link).content), read_only=True)
    seen = load_workbook(io.BytesIO(viewer.get(link).content), read_only=True)
    assert len(full.sheetnames) > len(seen.sheetnames) >= 1
    pdf = officer.get(link.replace(".xlsx", ".pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert officer.get("/rounds/2026/report.doc").status_code == 404


def test_a_refused_file_is_not_kept_on_disk(app: FastAPI, officer: TestClient) -> None:
    """A JSON file the reader refuses as a whole: the error is shown, and nothing stays in uploads/."""
    app.state.web.register.new_round("2026", year=2026, reference_date=dt.date(2026, 11, 1), who="t")
    token = form_token(officer.get("/rounds/2026/import").text)
    response = officer.post(
        "/rounds/2026/import",
        data={"csrf_token": token},
        files={"households": ("ho.json", b'{"not": "an array"}')},
    )
    assert response.status_code == 400 and "array of household records" in response.text
    uploads = app.state.web.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_serve_rules_dir_gives_the_application_that_rules_root(tmp_path: Path) -> None:
    """`serve --rules-dir DIR` serves the standards of DIR (a province's overlay among them), as
    classify and round read them with the same option; without it the bundled rules are served."""
    import shutil

    from classifier.cli import build_parser, main
    from classifier.rules import default_rules_root
    from classifier.web import commands

    root = tmp_path / "rules"
    shutil.copytree(default_rules_root(), root)
    assert main(["rules", "new", "tinh-thu", "--from", "nd-07-2021", "--rules-dir", str(root)]) == 0
    data = ["--data-dir", str(tmp_path / "data")]
    served = commands._settings(build_parser().parse_args(["serve", "--rules-dir", str(root), *data]))
    assert served.rules_root == root
    assert "tinh-thu" in create_app(served).state.rulesets.ids()
    bundled = commands._settings(build_parser().parse_args(["serve", *data]))
    assert "tinh-thu" not in create_app(bundled).state.rulesets.ids()
