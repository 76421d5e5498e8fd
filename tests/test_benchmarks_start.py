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
