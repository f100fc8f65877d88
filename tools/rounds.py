"""The bundled review-round sample: one synthetic commune reviewed in 2024, 2025 and 2026.

Every household and person is made up (names from short lists, identity numbers starting 000, a
province code no real number has). The households are scripted so that between 2025 and 2026 every
movement of the report forms happens at least once: stayed poor, escaped to near-poor and above,
other decrease (moved out, merged, dissolved, missing, could not be classified), near-poor -> poor,
re-poor (poor in 2024, above in 2025, poor again in 2026), newly poor, other increase (split, moved
in), and the near-poor mirror. 2024 is there only as history for re-poverty.

Records are flags-only (the 12 Decree 07 indicators answered directly, as on forms B1/B2) with
members listed for their administrative fields. Incomes are placed relative to the income lines
read from ``rules/nd-07-2021/parameters.yaml`` (never written here), so the classes follow the rules.

    python -m tools.rounds --out classifier/data/sample/rounds

``tests/unit/test_register_sample.py`` checks the committed files are exactly what this writes.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from classifier.api import load_standard

YEARS = (2024, 2025, 2026)
VILLAGES = ("Thôn Đoài", "Thôn Gò Cao", "Thôn Chùa")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Hà", "Đỗ", "Vũ")
MIDDLE = {"male": ("Văn", "Đức", "Quang"), "female": ("Thị", "Ngọc", "Thu")}
GIVEN = {
    "male": ("An", "Bình", "Cường", "Dũng", "Hải", "Khánh", "Long", "Minh", "Nam", "Sơn"),
    "female": ("Hoa", "Lan", "Mai", "Nga", "Oanh", "Phương", "Quỳnh", "Thảo", "Vân", "Yến"),
}
ETHNICITIES = ("kinh", "kinh", "kinh", "kinh", "muong", "tay", "dao")

# (statuses in 2024, 2025, 2026; what happens) -- P poor, N near-poor, A above, K cannot classify,
# - absent. ``dep`` is the departure recorded in 2026, ``mov`` the 2026 record's movement.
SCRIPT: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("PPP", 3, {}),
    ("PPP+", 1, {}),  # stays poor; "+": a child born in 2026
    ("PPN", 2, {}),
    ("PPA", 3, {}),
    ("PP-", 1, {"dep": "moved_out"}),
    ("PP-", 1, {"dep": "merged"}),
    ("PP-", 1, {}),
    ("PPK", 1, {}),
    ("NNP", 2, {}),
    ("PAP", 2, {}),
    ("AAP", 3, {}),
    ("--P", 1, {"mov": "split"}),
    ("NNN", 3, {}),
    ("NNA", 2, {}),
    ("NAN", 1, {}),
    ("AAN", 2, {}),
    ("--N", 1, {"mov": "moved_in"}),
    ("NN-", 1, {"dep": "dissolved"}),
    ("NPN", 1, {}),
    ("-PP", 1, {}),
    ("AAA", 18, {}),
    ("AAK", 1, {}),
)


def _person(rng: random.Random, gender: str) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


def _members(rng: random.Random, count: int, head_gender: str) -> list[dict[str, Any]]:
    members = []
    head_year = rng.randint(1950, 1995)
    for index in range(count):
        if index == 0:
            gender, relation, year = head_gender, "head", head_year
        elif index == 1:
            gender = "female" if head_gender == "male" else "male"
            relation, year = "spouse", head_year + rng.randint(-4, 4)
        else:
            gender, relation, year = rng.choice(("male", "female")), "child", head_year + rng.randint(20, 35)
        year = min(year, 2023)
        members.append(
            {
                "name": _person(rng, gender),
                "gender": gender,
                "birth_year": year,
                "relation": relation,
                "id_number": f"000{rng.randint(0, 9)}{year % 100:02d}{rng.randint(0, 999_999):06d}",
            }
        )
    return members


def build(seed: int = 2026) -> dict[int, list[dict[str, Any]]]:
    """The three rounds' records, by year."""
    ruleset = load_standard("nd-07-2021")
    line = int(ruleset.parameters["income_line_rural"].value)
    upper = int(ruleset.parameters["middle_upper_rural"].value)
    cutoff = int(ruleset.parameters["deprivation_cutoff"].value)
    indicators = ruleset.indicator_ids
    rng = random.Random(seed)
    rounds: dict[int, list[dict[str, Any]]] = {year: [] for year in YEARS}
    number = 0
    for pattern, copies, extra in SCRIPT:
        grows = pattern.endswith("+")
        statuses = pattern.rstrip("+")
        for _ in range(copies):
            number += 1
            code = f"HPH-{number:04d}"
            head_gender = rng.choice(("male", "male", "female"))
            members = _members(rng, rng.randint(1, 5), head_gender)
            village = VILLAGES[number % len(VILLAGES)]
            admin: dict[str, Any] = {
                "household_code": code,
                "head_name": members[0]["name"],
                "head_gender": head_gender,
                "ethnicity": rng.choice(ETHNICITIES),
                "meritorious_service": rng.random() < 0.1,
                "no_working_capacity": rng.random() < 0.1,
            }
            for year, status in zip(YEARS, statuses, strict=True):
                if status == "-":
                    continue
                people = [dict(m) for m in members]
                if grows and year == YEARS[-1]:
                    people.append(
                        {
                            "name": _person(rng, "female"),
                            "gender": "female",
                            "birth_year": year,
                            "relation": "grandchild",
                        }
                    )
                deprived = {
                    "P": cutoff + rng.randint(0, 2),
                    "N": rng.randint(0, cutoff - 1),
                    "A": rng.randint(0, 2),
                    "K": cutoff - 1,
                }[status]
                flags: dict[str, bool | None] = {
                    k: i < deprived for i, k in enumerate(rng.sample(indicators, len(indicators)))
                }
                if status == "K":  # one answer missing where it decides: cannot classify
                    flags[next(k for k, v in flags.items() if not v)] = None
                income = (
                    rng.randint(line // 2, line) // 1000 * 1000
                    if status in "PNK"
                    else rng.randint(upper + 1000, 3 * upper) // 1000 * 1000
                )
                record: dict[str, Any] = {
                    "id": f"R{year}-{number:03d}",
                    "province": "Tỉnh Phú Thọ",
                    "commune": "Xã Hợp Hưng",
                    "village": village,
                    "area": "rural",
                    "income_per_capita_month": income,
                    "reference_date": f"{year}-11-01",
                    **admin,
                }
                if status in "PNK":
                    record["poverty_causes"] = sorted(
                        rng.sample(
                            ["lack_land", "lack_capital", "lack_labour", "lack_skills", "illness_accident"], 2
                        )
                    )
                if status == "P":
                    record["support_received"] = ["health", "education"] if rng.random() < 0.5 else ["credit"]
                if year == YEARS[-1] and "mov" in extra:
                    record["movement"] = extra["mov"]
                if year != YEARS[0] and statuses[YEARS.index(year) - 1] == "-" and "mov" not in extra:
                    record["movement"] = "moved_in"
                record["deprivations"] = {k: flags[k] for k in indicators}
                record["members"] = [{"id": f"{code}-{i}", **m} for i, m in enumerate(people, start=1)]
                rounds[year].append(record)
    return rounds


def departures() -> list[tuple[str, str]]:
    """(household code, reason) of the departures to record in 2026, in code order."""
    out = []
    number = 0
    for _pattern, copies, extra in SCRIPT:
        for _ in range(copies):
            number += 1
            if "dep" in extra:
                out.append((f"HPH-{number:04d}", extra["dep"]))
    return out


def write(out: Path, seed: int = 2026) -> list[Path]:
    """Write ``ho-<year>.json`` (one household per line) for each round."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for year, records in build(seed).items():
        path = out / f"ho-{year}.json"
        lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
        path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    for path in write(parser.parse_args().out, parser.parse_args().seed):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
