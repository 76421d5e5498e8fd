"""Accuracy on splink's fake people: one record of each person registered, every other record's
name and birth date searched. The rates asserted are what we measured (see the lookup report);
a change that lowers them fails here.

Records come with typos, nicknames, swapped fields, missing surnames and shifted birth dates, as
in real registration data (splink's synthetic benchmark, 1,000 records of 181 people).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from coordinator_tui.services.patients.lookup import search_patients
from tests.helpers.lookup import add_patient
from tests.helpers.pg_clinic import ctx_on_both_engines, pg_ctx, pg_template  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [REPO.parent / "shared" / "data", Path("/work/shared/data")]
NAME = "splink_fake_people/fake_1000_from_splink_demos.csv"

# Measured on this data set among the 600 seeded patients: top-1 0.857, top-5 0.893 of 819
# searches; kept a little below.
MIN_TOP1 = 0.85
MIN_TOP5 = 0.88


def data_file() -> Path | None:
    for base in CANDIDATES:
        if (base / NAME).exists():
            return base / NAME
    return None


def _clean(value: str) -> str:
    return " ".join(value.split())


def load_people(path: Path) -> dict[str, list[dict]]:
    clusters: dict[str, list[dict]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            clusters.setdefault(row["cluster"], []).append(
                {k: _clean(row[k]) for k in ("unique_id", "first_name", "surname", "dob")})
    return clusters


def complete(record: dict) -> bool:
    return bool(record["first_name"] and record["surname"] and record["dob"])


def measure(ctx, user, clusters) -> tuple[float, float, int]:
    registered: dict[str, int] = {}
    for cluster, records in clusters.items():
        first = next((r for r in records if complete(r)), None)
        if first is None:
            continue
        first["registered"] = True
        registered[cluster] = add_patient(ctx, first["surname"], first["first_name"],
                                          date.fromisoformat(first["dob"]))
    top1 = top5 = total = 0
    for cluster, records in clusters.items():
        if cluster not in registered:
            continue
        for record in records:
            if record.get("registered"):
                continue
            text = " ".join(x for x in (record["first_name"], record["surname"], record["dob"]) if x)
            hits = [h.id for h in search_patients(ctx, user, text, limit=5)]
            total += 1
            top1 += bool(hits) and hits[0] == registered[cluster]
            top5 += registered[cluster] in hits
    return top1 / total, top5 / total, total


def test_splink_fake_people_top1_and_top5(ctx, desk_user):
    path = data_file()
    if path is None:
        pytest.skip("shared data splink_fake_people not present")
    top1, top5, total = measure(ctx, desk_user, load_people(path))
    print(f"splink fake people: top-1 {top1:.3f}, top-5 {top5:.3f} of {total} searches")
    assert total > 700
    assert top1 >= MIN_TOP1, top1
    assert top5 >= MIN_TOP5, top5
