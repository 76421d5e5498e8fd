"""Small files with one job each (GUIDE.md sections 2 and 10): no file of the package is over
400 lines. Migrations are excepted: a revision is a record of what happened, not a design.

The test lists every offender, not just the first, so one run shows the whole job.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coordinator_tui"
LIMIT = 400


def _line_count(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


def test_no_file_is_over_the_limit():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue
        lines = _line_count(path)
        if lines > LIMIT:
            offenders.append(f"coordinator_tui/{path.relative_to(PACKAGE).as_posix()}: {lines} lines")
    assert not offenders, f"over {LIMIT} lines, split by job:\n" + "\n".join(offenders)
