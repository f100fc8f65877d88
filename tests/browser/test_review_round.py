"""A commune officer's round, in a real browser: log in, import the sample's Excel through the
mapping step, read a household's explanation, print its certificate, edit an answer with a reason,
export the results. Screenshots of the main pages (from the SQLite run) go to a temporary folder, or to
docs/screenshots/ with CHUAN_NGHEO_UPDATE_SCREENSHOTS=1 (tests/browser/conftest.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from classifier.web.sample import sample_workbook
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

POOR = "H000042"


def _poor_in_sample() -> int:
    """How many of the sample's households the library classifies poor under the round's standard."""
    import datetime as dt

    from classifier import classify_many, load_standard
    from classifier.data import sample_path
    from classifier.io import known_indicator_keys, parse_records, read_records
    from classifier.model import Household

    ruleset = load_standard("nd-07-2021")
    parsed = parse_records(
        read_records(sample_path("commune.json")),
        catalogue=ruleset.facts,
        indicator_keys=known_indicator_keys(),
    )
    households = [h for _, h in parsed if isinstance(h, Household)]
    results = classify_many(households, ruleset, reference_date=dt.date(2026, 11, 1))
    return sum(r.outcome == "ngheo" for r in results)


def _shot(page: Any, name: str, folder: Path | None) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))
        assert (folder / f"{name}.png").stat().st_size > 1000


def test_a_review_round_in_the_browser(
    server: str, browser: Any, tmp_path: Path, database_url: str, screenshots: Path
) -> None:
    """Every step a person takes, checked on what the page shows."""
    shots = screenshots if database_url.startswith("sqlite") else None
    context = browser.new_context(viewport={"width": 1100, "height": 760}, accept_downloads=True)
    page = context.new_page()

    # Nothing without logging in: the first page is the log-in form.
    page.goto(server + "/rounds")
    assert page.url.startswith(server + "/login")
    _shot(page, "01-dang-nhap", shots)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    assert page.url == server + "/rounds"

    # Open round 2026.
    page.fill("input[name=name]", "2026")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=reference_date]", "2026-11-01")
    page.click("form[action='/rounds'] button[type=submit]")
    assert page.url == server + "/rounds/2026"

    # Import the bundled sample's Excel workbook, through the column-mapping step.
    workbook = sample_workbook(tmp_path / "mau-xa.xlsx")
    page.click("text=Nhập tệp Excel/CSV")
    page.set_input_files("input[name=households]", str(workbook))
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Ghép cột"
    _shot(page, "02-ghep-cot", shots)
    page.click("main button[type=submit]")
    assert "Thêm 400 hộ" in page.locator("main").inner_text()
    assert "Đã phân loại 400 hộ" in page.locator("main").inner_text()

    # The round's summary per village.
    page.goto(server + "/rounds/2026")
    assert "Thôn Đoài" in page.locator("main").inner_text()
    _shot(page, "03-dot-ra-soat", shots)

    # Poor households, then one household's explanation.
    page.goto(server + "/rounds/2026/households?outcome=ngheo")
    rows = page.locator("#households tbody tr")
    assert rows.count() == _poor_in_sample()
    _shot(page, "04-danh-sach-ho", shots)
    page.click(f"text={POOR}")
    explanation = page.locator("#explanation").inner_text()
    assert explanation.startswith(f"Hộ {POOR} được xác định là hộ nghèo")
    assert page.locator("#what-if").inner_text().strip()
    _shot(page, "05-giai-thich", shots)

    # The certificate of a poor household prints as a PDF from the papers generators.
    href = page.locator("#certificate").get_attribute("href")
    certificate = page.request.get(server + href)
    assert certificate.ok and certificate.body().startswith(b"%PDF")

    # Edit an answer with its reason: saved, logged and re-classified at once.
    page.select_option("select[name=field]", "income_per_capita_month")
    page.fill("input[name=value]", "9000000")
    page.fill("textarea[name=reason]", "Hộ có thêm nguồn thu nhập từ lương")
    page.click("form[action$='/answers'] button[type=submit]")
    assert "Đã lưu và phân loại lại." in page.locator("main").inner_text()
    assert page.locator("h1 .badge").get_attribute("class") == "badge khac"
    log = page.locator("#change-log").inner_text()
    assert "Hộ có thêm nguồn thu nhập từ lương" in log and "9000000" in log
    _shot(page, "06-sua-thong-tin", shots)

    # Export the results to Excel.
    page.goto(server + "/rounds/2026")
    with page.expect_download() as info:
        page.click("text=Xuất Excel")
    content = Path(info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == 401
    outcome = table[0].index("outcome")
    assert next(r for r in table[1:] if r[0] == POOR)[outcome] != "ngheo"

    # On a phone: the list fits the screen's width.
    phone = browser.new_context(viewport={"width": 390, "height": 800}, storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(server + "/rounds/2026/households?village=" + "Thôn Đoài")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    _shot(small, "07-dien-thoai", shots)
    assert re.search(r"\d+ hộ", small.locator("main").inner_text())
    phone.close()
    context.close()
