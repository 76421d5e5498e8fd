"""No patient data outside the database: do a day's realistic work with every log at DEBUG,
then read every file written under HOME, the XDG folders, TMPDIR and the data folder, and look
for the seeded patients' names, birth dates (ISO and US), phone numbers and MRNs.

Excluded: the database itself (and its -wal/-shm) and files the user explicitly asked for
(an export, a backup). A self-check proves the search finds a planted name."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Input

from coordinator_tui import cli
from coordinator_tui.config import data_dir
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import Patient
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.screen import wait_for_workers

SIZE = (80, 24)


def patient_needles(ctx) -> dict[str, str]:
    """Search text -> what it is (never printed with the value in a failure message)."""
    needles: dict[str, str] = {}
    with ctx.db.read() as session:
        for p in session.scalars(select(Patient)):
            for name in (p.family_name, p.given_name):
                if len(name) >= 3:
                    needles.setdefault(name, f"name of patient {p.id}")
            born: date = p.birth_date
            for text in (born.isoformat(), f"{born:%m/%d/%Y}", f"{born.month}/{born.day}/{born.year}"):
                needles[text] = f"birth date of patient {p.id}"
            for phone in (p.phone_mobile, p.phone_home):
                if phone:
                    digits = phone[-10:]
                    needles[digits] = f"phone of patient {p.id}"
                    needles[f"{digits[3:6]}-{digits[6:]}"] = f"phone of patient {p.id}"
            needles[p.mrn] = f"MRN of patient {p.id}"
    return needles


def find_patient_data(roots: list[Path], needles: dict[str, str], excluded: set[Path]) -> list[str]:
    """'file: what' for each file under `roots` holding any needle (whole words only)."""
    pattern = re.compile("|".join(rf"(?<![\w]){re.escape(n)}(?![\w])"
                                  for n in sorted(needles, key=len, reverse=True)))
    found, seen = [], set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            path = path.resolve()
            if not path.is_file() or path in excluded or path in seen:
                continue
            seen.add(path)
            raw = path.read_bytes()
            for text in (raw.decode("utf-8", "ignore"), raw.decode("utf-16-le", "ignore")):
                hit = pattern.search(text)
                if hit:
                    found.append(f"{path.name}: {needles[hit.group(0)]}")
                    break
    return found


def test_the_search_finds_a_planted_name(tmp_path, seeded_path):
    ctx = make_context(seeded_path)
    needles = patient_needles(ctx)
    with ctx.db.read() as session:
        someone = session.scalars(select(Patient).where(Patient.id == 7)).one()
    ctx.db.dispose()
    logs = tmp_path / "state" / "coordinator"
    logs.mkdir(parents=True)
    (logs / "clean.log").write_text("opened record 7 at 10:45\n")
    assert find_patient_data([logs], needles, set()) == []
    (logs / "leaky.log").write_text(f"DEBUG opened record for {someone.family_name}\n")
    assert [hit.split(" patient")[0] for hit in find_patient_data([logs], needles, set())] \
        == ["leaky.log: name of"]
    (logs / "leaky.log").write_text(f"born {someone.birth_date:%m/%d/%Y}\n")
    assert [hit.split(" patient")[0] for hit in find_patient_data([logs], needles, set())] \
        == ["leaky.log: birth date of"]


@pytest.fixture
def private_dirs(tmp_path, monkeypatch):
    dirs = {name: tmp_path / name for name in ("home", "data", "state", "cache", "config", "tmp")}
    for folder in dirs.values():
        folder.mkdir()
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("TMPDIR", str(dirs["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the cached temp folder
    return dirs


async def test_realistic_work_leaves_no_patient_data_in_files(private_dirs, seeded_template,
                                                              monkeypatch, capsys):
    db = data_dir() / "coordinator.sqlite"
    db.parent.mkdir(parents=True)
    shutil.copyfile(seeded_template, db)
    db.chmod(0o600)
    monkeypatch.setenv("COORDINATOR_DB_URL", str(db))
    log_file = private_dirs["state"] / "coordinator" / "debug.log"
    log_file.parent.mkdir(parents=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    ctx = make_context(db)
    logging.getLogger("coordinator.test").debug("realistic work starts")
    try:
        desk = actor_for(ctx, "demo")
        row = next(r for r in day_appointments(ctx, desk, CLINIC_DAY)
                   if r.status in ("scheduled", "confirmed"))
        family = row.patient_name.split(",")[0]
        app = CoordinatorApp(ctx, desk)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await wait_for_workers(app)
            await pilot.press("f4")  # Patients desk: a search by name, then open the record
            await pilot.pause()
            app.screen.query_one(Input).focus()
            await pilot.press(*[c if c.isalnum() else "space" for c in family.lower()[:6]])
            await pilot.pause()
            await wait_for_workers(app)
            app.open_patient(row.patient_id)
            await pilot.pause()
            await wait_for_workers(app)
            await pilot.pause()
            assert isinstance(app.screen, PatientRecordScreen)
            await pilot.press("escape", "f2")
            await pilot.pause()
            await wait_for_workers(app)
        from coordinator_tui.domain.vocab import AppointmentStatus
        from coordinator_tui.services.appointment_status import change_status

        change_status(ctx, desk, row.id, AppointmentStatus.ARRIVED)

        # An unexpected error whose message holds a patient's name: the report must not.
        def explode(self, record):
            raise ValueError(f"cannot show {record.display_name} born {record.birth_date}")

        monkeypatch.setattr(PatientRecordScreen, "show", explode)
        crashing = CoordinatorApp(ctx, desk)
        with pytest.raises(ValueError):
            async with crashing.run_test(size=SIZE) as pilot:
                await pilot.pause()
                crashing.open_patient(row.patient_id)
                await pilot.pause()
                await crashing.workers.wait_for_complete()
                await pilot.pause()
        reports = list((data_dir() / "crash-reports").glob("crash-*.txt"))
        assert len(reports) == 1

        export = private_dirs["home"] / "payments-asked-for.csv"
        backup = private_dirs["home"] / "backup-asked-for.sqlite"
        for argv in (["find", family, "--user", "demo"],
                     ["find", f"{row.patient_name[:8]}", "--json", "--user", "demo"],
                     ["audit", "show", "--as", "super", "--limit", "50"],
                     ["audit", "verify"],
                     ["users", "list", "--user", "admin"],
                     ["export", "payments", "--date", "T", "--output", str(export), "--user", "demo"],
                     ["backup", str(backup), "--user", "super"],
                     ["find", "no such person zzz", "--user", "demo"],
                     ["export", "payments", "--date", "31/31/2026", "--user", "demo"]):
            cli.main(argv)
        capsys.readouterr()
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
    needles = patient_needles(ctx)
    ctx.db.dispose()
    assert "realistic work starts" in log_file.read_text(), "the DEBUG log was not written"
    assert export.exists() and backup.exists()
    excluded = {db.resolve(), Path(f"{db}-wal").resolve(), Path(f"{db}-shm").resolve(),
                export.resolve(), backup.resolve()}
    assert find_patient_data(list(private_dirs.values()), needles, excluded) == []
