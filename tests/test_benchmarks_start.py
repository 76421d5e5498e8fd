"""Every script in benchmarks/ starts, takes a size or a database, and has a time limit (issue 23:
a benchmark that cannot hang). A moved module once left bench_desks.py failing at its import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_starts_and_has_a_time_limit(script):
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--time-limit" in done.stdout
    sized = ("--patients", "--appointments", "--years", "--events", "--answers", "--messages",
             "--inserts", "--db", "source")
    assert any(word in done.stdout for word in sized), f"{script.name} takes no size"


def test_the_time_limit_stops_a_benchmark_with_one_line(tmp_path):
    runner = tmp_path / "slow.py"
    runner.write_text("import sys, time\n"
                      f"sys.path.insert(0, {str(BENCHMARKS[0].parent)!r})\n"
                      "from limits import start_time_limit\n"
                      "start_time_limit(1, 'bench_slow')\n"
                      "time.sleep(60)\n")
    done = subprocess.run([sys.executable, str(runner)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == "bench_slow: stopped after its 1 s time limit"


@pytest.mark.parametrize("script", ["bench_lookup.py", "bench_keystrokes.py"])
def test_a_database_url_that_is_no_sqlite_file_is_refused_in_one_line(script, tmp_path):
    """A sqlite:/// URL once made a new clinic under ./sqlite:/ and seeded it, so the run timed
    that instead of the clinic named; another scheme is refused before anything is made."""
    path = BENCHMARKS[0].parent / script
    done = subprocess.run([sys.executable, str(path), "--db", "mysql://clinic"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert "--db: not a SQLite file or a sqlite:/// URL" in done.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_url_names_its_file():
    """Run as the benchmarks run (their folder on the path), not imported into the tests."""
    check = ("import sys\n"
             f"sys.path.insert(0, {str(BENCHMARKS[0].parent)!r})\n"
             "from db_arg import clinic_db, sqlite_or_postgresql\n"
             "url = 'postgresql+psycopg://c:c@127.0.0.1/clinic'\n"
             "print(clinic_db('sqlite:////srv/clinic.sqlite'), clinic_db('sqlite:///clinic.sqlite'),\n"
             "      clinic_db('/srv/clinic.sqlite'), sqlite_or_postgresql(url) == url)\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["/srv/clinic.sqlite", "clinic.sqlite", "/srv/clinic.sqlite", "True"]
