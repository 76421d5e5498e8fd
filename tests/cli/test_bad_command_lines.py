"""Command lines the app cannot use at all are refused before anything runs: bytes that are not
UTF-8, database URLs of engines we do not support, a settings file named but missing. One line on
stderr, exit 2, and the folder is left exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.cli import one_line_error, run, snapshot
from tests.helpers.engines import raw_connect


def count(path, table) -> int:
    conn = raw_connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("args", [
    ["find", b"m\xfcller"],                       # Latin-1 bytes from an old terminal
    ["users", "add", b"b\xffob", "--name", "Bob", "--role", "front_desk", "--password-stdin"],
    ["audit", "show", "--patient", b"\xff"],
    ["backup", b"/tmp/\xffcopy.sqlite"],
])
def test_an_argument_that_is_not_utf8_changes_nothing(seeded_path, args):
    before = snapshot(seeded_path.parent), count(seeded_path, "audit_events"), count(seeded_path, "staff_users")
    result = run("--db", str(seeded_path), *args, "--user", "admin", input="long enough 1\n")
    line = one_line_error(result)
    assert "not valid UTF-8" in line
    assert (snapshot(seeded_path.parent), count(seeded_path, "audit_events"),
            count(seeded_path, "staff_users")) == before


def test_a_coordinator_variable_that_is_not_utf8_is_named(seeded_path):
    env = os.environb.copy()
    env[b"COORDINATOR_USER"] = b"\xff"
    result = subprocess.run([sys.executable, "-m", "coordinator_tui", "--db", str(seeded_path), "find", "smith"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert "COORDINATOR_USER is not valid UTF-8" in one_line_error(result)


@pytest.mark.parametrize("url", ["postgresql://clinic:secret@db/clinic", "mysql://u@h/d", "foo://bar"])
def test_a_database_url_we_do_not_support_is_one_line_without_the_password(tmp_path, url):
    result = run("find", "smith", "--db", url, "--user", "demo", cwd=tmp_path)
    line = one_line_error(result)
    assert "database URL is not supported" in line and "secret" not in line
    assert list(tmp_path.iterdir()) == []


def test_a_settings_file_named_but_missing_is_refused(tmp_path):
    result = run("find", "smith", "--db", str(tmp_path / "c.sqlite"),
                 env={"COORDINATOR_CONFIG": str(tmp_path / "nope.toml")})
    assert "is not a file" in one_line_error(result)
    assert list(tmp_path.iterdir()) == []
