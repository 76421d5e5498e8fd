"""`coordinator db downgrade` drops tables: a clinic's data is never dropped by accident."""

from __future__ import annotations

from tests.helpers.cli import one_line_error, run, snapshot


def test_downgrading_a_clinic_that_holds_data_needs_yes(tmp_path):
    db = tmp_path / "m.sqlite"
    assert run("seed", "--patients", "20", "--db", str(db)).returncode == 0
    before = snapshot(tmp_path)
    line = one_line_error(run("db", "downgrade", "base", "--db", str(db)))
    assert "holds 20 patients" in line and "coordinator backup" in line and "--yes" in line
    assert snapshot(tmp_path) == before
    assert run("db", "downgrade", "base", "--yes", "--db", str(db)).returncode == 0
    assert run("db", "current", "--db", str(db)).stdout.startswith("empty")
