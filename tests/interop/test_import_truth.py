"""Imports tell the truth (issue #22, point 6): an interrupted import says how many patients were
saved and that running it again finishes it; exit status 1 whenever a row was not imported; a
family sharing one phone is imported whole; duplicate header columns and unclosed quotes are
refused, naming the line."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest

from coordinator_tui.domain.vocab import Role
from coordinator_tui.services.patients.importing import import_patients
from coordinator_tui.services.staff.actors import ensure_user
from tests.conftest import make_context
from tests.helpers.cli import run


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _count(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0]
    finally:
        conn.close()


def _import(db, source, *extra):
    return run("--db", str(db), "import", "patients", str(source), "--user", "demo", *extra)


def test_a_family_sharing_one_phone_is_imported_whole(db_path, clock, tmp_path):
    ctx = make_context(db_path, clock)
    actor = ensure_user(ctx, "demo", "Dana Demo", Role.FRONT_DESK)
    family = _write(tmp_path / "family.csv", [
        ["first_name", "surname", "dob", "gender", "phone", "address"],
        ["Maria", "Okonkwo", "1979-04-02", "F", "(617) 555-0177", "12 Elm St"],
        ["Chidi", "Okonkwo", "1977-11-30", "M", "(617) 555-0177", "12 Elm St"],
        ["Ada", "Okonkwo", "2009-06-15", "F", "(617) 555-0177", "12 Elm St"],
        ["Emeka", "Okonkwo", "2012-01-08", "M", "(617) 555-0177", "12 Elm St"],
    ])
    report = import_patients(ctx, actor, family)
    assert (report.imported, report.flagged, report.bad) == (4, [], [])
    assert _count(db_path) == 4
    ctx.db.dispose()


def test_exit_status_is_1_when_a_row_is_held_back_as_a_look_alike(seeded_path, tmp_path):
    conn = sqlite3.connect(seeded_path)
    given, family, born = conn.execute("SELECT given_name, family_name, birth_date FROM patients "
                                       "WHERE id = 5").fetchone()
    conn.close()
    source = _write(tmp_path / "people.csv", [
        ["first_name", "surname", "dob", "gender"],
        [given + "e", family, born, "F"],  # same birth date, similar name: flagged
        ["Quentin", "Zyxwvut", "1966-06-06", "M"],
    ])
    before = _count(seeded_path)
    result = _import(seeded_path, source)
    assert result.returncode == 1, result.stderr
    assert "line 2: look-alike:" in result.stderr and "1 look like existing patients" in result.stdout
    assert _count(seeded_path) == before + 1
    clean = _write(tmp_path / "clean.csv", [["first_name", "surname", "dob", "gender"],
                                            ["Ottilie", "Vexford", "1970-07-07", "F"]])
    assert _import(seeded_path, clean).returncode == 0


def test_duplicate_header_columns_are_refused_naming_them(seeded_path, tmp_path):
    source = _write(tmp_path / "twice.csv", [
        ["first_name", "surname", "dob", "Phone", "gender", "phone"],
        ["Ana", "Garcia", "1980-02-03", "(617) 555-0101", "F", "(617) 555-0199"],
    ])
    before = _count(seeded_path)
    result = _import(seeded_path, source)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 1" in lines[0] and "columns 4 and 6" in lines[0], lines
    assert _count(seeded_path) == before


def test_an_unclosed_quote_names_the_row_and_the_lines_it_swallowed(seeded_path, tmp_path):
    source = tmp_path / "quote.csv"
    source.write_text("first_name,surname,dob,gender\n"
                      "Ana,Garcia,1980-02-03,F\n"
                      'Bea,"Lopez,1981-03-04,F\n'
                      "Cyd,Moreno,1982-04-05,M\n"
                      "Dee,Nunez,1983-05-06,F\n", encoding="utf-8")
    before = _count(seeded_path)
    result = _import(seeded_path, source)
    assert result.returncode == 1
    assert "line 3: bad:" in result.stderr and "lines 4-5 were not read as rows" in result.stderr
    assert "imported 1" in result.stdout
    assert _count(seeded_path) == before + 1


def test_an_interrupted_import_says_what_was_saved_and_a_rerun_finishes_it(seeded_path, tmp_path):
    rows = [["first_name", "surname", "dob", "gender"]]
    for n in range(6000):  # twelve batches, every one a new patient (each born on its own day)
        letters = "".join(chr(97 + n // 26 ** k % 26) for k in range(3))
        rows.append([f"Ann{letters}", f"Fam{letters}", (date(1940, 1, 1) + timedelta(days=n)).isoformat(),
                     "FM"[n % 2]])
    source = _write(tmp_path / "many.csv", rows)
    before = _count(seeded_path)
    env = {**os.environ, "COORDINATOR_CLOCK": "2026-11-23T10:45-05:00"}
    child = subprocess.Popen([sys.executable, "-m", "coordinator_tui", "--db", str(seeded_path), "import",
                              "patients", str(source), "--user", "demo"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while _count(seeded_path) == before:  # the first batch is committed
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    saved = _count(seeded_path) - before
    if child.returncode == 0:
        pytest.skip("the import finished before it could be interrupted (a very fast machine)")
    assert child.returncode == 130, err
    assert f"interrupted after {saved:,} patient(s) were imported" in err
    assert "run the same command again to finish" in err and "nothing half-written" not in err
    assert 0 < saved < 6000 and saved % 500 == 0  # whole batches only
    again = _import(seeded_path, source)
    assert again.returncode == 0, again.stderr
    assert f"imported {6000 - saved} " in again.stdout and f"{saved} already imported" in again.stdout
    assert _count(seeded_path) == before + 6000
