"""`coordinator find` in a real process: text and JSON rows, limits, bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from tests.helpers.lookup import add_patient


def run(*args):
    return subprocess.run([sys.executable, "-m", "coordinator_tui", *args], capture_output=True,
                          text=True, timeout=120)


def test_find_json_and_text(ctx, seeded_path):
    add_patient(ctx, "Müller", "Renate", date(1985, 3, 4), phone="(617) 555-0199")
    done = run("find", "muller 3/4/1985", "--json", "--db", str(seeded_path), "--user", "demo")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows[0]["family_name"] == "Müller" and rows[0]["birth_date"] == "1985-03-04"
    assert rows[0]["phone"].endswith("0199") and "555" not in rows[0]["phone"]
    assert {"mrn", "given_name", "score", "reason"} <= set(rows[0])
    done = run("find", "a", "--limit", "3", "--db", str(seeded_path), "--user", "demo")
    assert done.returncode == 0 and len(done.stdout.strip().splitlines()) == 3


def test_find_bad_input_exits_2(seeded_path):
    for args in (["find", "", "--db", str(seeded_path), "--user", "demo"],
                 ["find", "smith", "--limit", "0", "--db", str(seeded_path)],
                 ["find", "smith", "--limit", "x", "--db", str(seeded_path)],
                 ["find", "smith", "--limit", "500", "--db", str(seeded_path), "--user", "demo"],
                 ["find", "\x1b\x07\t", "--db", str(seeded_path), "--user", "demo"]):
        done = run(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_date_that_cannot_be_used_is_named_not_silently_dropped(seeded_path):
    alone = run("find", "2/30/1985", "--db", str(seeded_path), "--user", "demo")
    assert alone.returncode == 2 and '"2/30/1985" is not a date or phone I can use' in alone.stderr
    with_name = run("find", "smith 13/13/2020", "--db", str(seeded_path), "--user", "demo")
    assert with_name.returncode == 0 and "Smith" in with_name.stdout
    assert 'left out "13/13/2020"' in with_name.stderr
