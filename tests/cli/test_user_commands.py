"""`coordinator users ...` as an admin runs it: real processes, a real file."""

from __future__ import annotations

from tests.helpers.cli import one_line_error, run


def test_first_admin_then_accounts_by_that_admin(tmp_path):
    db = str(tmp_path / "c.sqlite")
    first = run("users", "add", "alex", "--name", "Alex Admin", "--role", "admin",
                "--password-stdin", "--db", db, input="long enough 1\n")
    assert first.returncode == 0, first.stderr
    assert "added alex (admin)" in first.stdout
    # No acting user given and the login name is not an account: refused, one line.
    one_line_error(run("users", "add", "bo", "--name", "Bo", "--role", "front_desk",
                       "--password-stdin", "--db", db, input="long enough 2\n",
                       env={"COORDINATOR_USER": "nobody"}))
    added = run("users", "add", "bo", "--name", "Bo Desk", "--role", "front_desk",
                "--password-stdin", "--user", "alex", "--db", db, input="long enough 2\n")
    assert added.returncode == 0, added.stderr
    # A front-desk user may not manage accounts (bo signs in with the password on stdin).
    assert "may not" in one_line_error(run("users", "list", "--user", "bo", "--password-stdin",
                                           "--db", db, input="long enough 2\n"))
    listing = run("users", "list", "--db", db, env={"COORDINATOR_USER": "alex"})
    assert listing.returncode == 0 and "bo" in listing.stdout and "Bo Desk" in listing.stdout
    assert "at least 8" in one_line_error(
        run("users", "reset-password", "bo", "--password-stdin", "--user", "alex", "--db", db,
            input="short\n"))
    assert run("users", "reset-password", "bo", "--password-stdin", "--user", "alex", "--db", db,
               input="a new password\n").returncode == 0
    assert run("users", "disable", "bo", "--user", "alex", "--db", db).returncode == 0
    assert "disabled" in run("users", "list", "--user", "alex", "--db", db).stdout
    assert "no terminal" in one_line_error(
        run("users", "reset-password", "bo", "--user", "alex", "--db", db, input=""))
    assert "invalid choice" in one_line_error(run("users", "add", "x", "--name", "X", "--role",
                                                  "boss", "--db", db))


def test_users_help():
    for command in (["users"], ["users", "add"], ["users", "list"]):
        assert run(*command, "--help").returncode == 0


def test_break_glass_enable_and_disable(seeded_path):
    db = str(seeded_path)
    opened = run("users", "break-glass", "enable", "demo", "--minutes", "30", "--by", "super",
                 "--db", db)
    assert opened.returncode == 0, opened.stderr
    assert "emergency access open for demo" in opened.stdout
    assert "may not" in one_line_error(run("users", "break-glass", "enable", "--by", "demo",
                                           "--db", db))
    assert "1 to 1440" in one_line_error(run("users", "break-glass", "enable", "--minutes", "0",
                                             "--by", "super", "--db", db))
    assert "no staff account" in one_line_error(run("users", "break-glass", "enable", "nobody",
                                                    "--by", "super", "--db", db))
    closed = run("users", "break-glass", "disable", "demo", "--by", "super", "--db", db)
    assert closed.returncode == 0 and "closed for demo" in closed.stdout
