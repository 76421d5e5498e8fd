"""`coordinator find` in a real process: text and JSON rows, limits, bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

from coordinator_tui.services.clinic import DEMO_MARK
from tests.helpers.engines import raw_connect
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


def test_nothing_found_exits_1_as_grep_does_with_one_line_on_stderr(seeded_path):
    """QA: `find` exited 0 when nothing matched, so a script could not tell "no such patient"
    from a match without reading the words. Exit 1 (2 stays for bad input), stdout holds only
    rows (for --json the empty array), and the line does not repeat the query (a name)."""
    text = run("find", "zzqxv", "--db", str(seeded_path), "--user", "demo")
    assert (text.returncode, text.stdout, text.stderr) == (1, "", "coordinator: no patient found\n")
    as_json = run("find", "zzqxv", "--json", "--db", str(seeded_path), "--user", "demo")
    assert as_json.returncode == 1 and json.loads(as_json.stdout) == []
    assert "zzqxv" not in as_json.stderr + text.stderr


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


def _as_login(extra_env: dict | None = None) -> dict:
    """The environment of a user whose login name is no staff account, and no COORDINATOR_USER."""
    env = {k: v for k, v in os.environ.items() if k != "COORDINATOR_USER"}
    return {**env, "LOGNAME": "nurse-nobody", "USER": "nurse-nobody", **(extra_env or {})}


def _run_as_login(*args):
    # os.getlogin() reads the terminal's owner when there is one: no terminal here, so the
    # login name comes from LOGNAME, as under cron, ssh without -t or a CI runner.
    return subprocess.run([sys.executable, "-m", "coordinator_tui", *args], capture_output=True,
                          text=True, timeout=120, env=_as_login(), stdin=subprocess.DEVNULL,
                          start_new_session=True)


def test_find_without_a_staff_account_says_which_and_how(seeded_path):
    done = _run_as_login("find", "smith", "--db", str(seeded_path))
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert line.startswith("coordinator: coordinator find needs a staff account: add --user NAME "
                           "or set COORDINATOR_USER"), line
    assert "'nurse-nobody'" in line and "root" not in line and len(line.splitlines()) == 1


def test_find_on_the_demo_clinic_works_as_the_readme_prints_it(seeded_path):
    """The README's `coordinator find "QUERY"` on the demo: no --user needed, it acts as the
    demo's front desk (whose logins are public) when the login name is no staff account."""
    conn = raw_connect(seeded_path)
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, 'coordinator demo')", (DEMO_MARK,))
    conn.close()
    done = _run_as_login("find", "a", "--limit", "3", "--db", str(seeded_path))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 3
    # A name given explicitly is never replaced by the demo's.
    named = run("find", "a", "--db", str(seeded_path), "--user", "ghost")
    assert named.returncode == 2 and "acts as 'ghost': sign in" in named.stderr
