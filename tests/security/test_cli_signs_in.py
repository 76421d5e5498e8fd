"""Issue 22, point 1: the command line signs in. A name alone (--user, --as, --by,
COORDINATOR_USER) proves nothing; the password (stdin, a password file, a terminal) or the OS
account bound to the staff account does. Wrong passwords count towards the desk's lockout."""

from __future__ import annotations

import os

import pytest

from coordinator_tui.services.staff import accounts
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.cli import one_line_error, password_file, run
from tests.helpers.engines import raw_connect
from tests.helpers.passwords import unbind_os_accounts

NO_FILE = {"COORDINATOR_PASSWORD_FILE": ""}  # no password file: only what the test gives


@pytest.fixture(autouse=True)
def _unbound(request):
    """The test clinic's accounts are bound to this OS account for the rest of the suite
    (tests/helpers/passwords.py); here they prove themselves from scratch."""
    if "seeded_path" in request.fixturenames:
        unbind_os_accounts(request.getfixturevalue("seeded_path"))


def _hash(db, username):
    conn = raw_connect(db)
    try:
        return conn.execute("SELECT password_hash FROM staff_users WHERE username = ?",
                            (username,)).fetchone()[0]
    finally:
        conn.close()


def _events(db, action):
    conn = raw_connect(db)
    try:
        return conn.execute("SELECT user_id, entity_id, detail FROM audit_events WHERE action = ?",
                            (action,)).fetchall()
    finally:
        conn.close()


def test_the_reported_takeover_is_refused(seeded_path):
    """A front-desk user ran `users reset-password admin --password-stdin --user admin`, then
    signed in as admin. Now the first line of stdin must be admin's own password."""
    db = str(seeded_path)
    before = _hash(db, "admin")
    taken = run("users", "reset-password", "admin", "--password-stdin", "--user", "admin",
                "--db", db, input="mine now 12345\nmine now 12345\n", env=NO_FILE)
    assert "wrong username or password" in one_line_error(taken)
    assert _hash(db, "admin") == before
    # The failure is on the trail, under the account named (it exists), never the text typed.
    failed = _events(db, "cli.login.failed")
    assert len(failed) == 1 and "mine now" not in (failed[0][2] or "")


@pytest.mark.parametrize("args", [
    ["users", "list", "--user", "admin"],
    ["users", "add", "eve", "--name", "Eve", "--role", "admin", "--user", "admin"],
    ["audit", "show", "--as", "super"],
    ["backup", "{tmp}/b.sqlite", "--user", "super"],
    ["users", "break-glass", "enable", "--by", "super"],
    ["find", "smith", "--user", "demo"],
    ["export", "schedule", "--date", CLINIC_DAY.isoformat(), "--format", "csv", "--user", "super"],
    ["callbacks", "generate", "--user", "demo"],
    ["audit", "rotate-key", "--user", "admin"],
    ["users", "bind-os", "demo", "--os-user", "0", "--user", "admin"],
    ["hl7", "send", "--to", "127.0.0.1:9", "--once", "--user", "demo"],  # an interface sender
])
def test_a_name_alone_signs_nobody_in(seeded_path, tmp_path, args):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    refused = run(*args, "--db", str(seeded_path), env=NO_FILE)
    assert "sign in with --password-stdin" in one_line_error(refused)
    assert not (tmp_path / "b.sqlite").exists()


def test_coordinator_user_alone_signs_nobody_in(seeded_path):
    refused = run("users", "list", "--db", str(seeded_path),
                  env={**NO_FILE, "COORDINATOR_USER": "admin"})
    assert "acts as 'admin': sign in" in one_line_error(refused)


def test_the_password_on_stdin_signs_in_and_the_events_name_the_account(seeded_path, tmp_path):
    db = str(seeded_path)
    done = run("audit", "show", "--as", "super", "--limit", "1", "--password-stdin",
               "--db", db, input="demo\n", env=NO_FILE)
    assert done.returncode == 0, done.stderr
    ctx = make_context(seeded_path)
    try:
        from coordinator_tui.services.staff.actors import actor_for

        super_id = actor_for(ctx, "super").id
    finally:
        ctx.db.dispose()
    assert [row[0] for row in _events(db, "audit.read")] == [super_id]


def test_wrong_passwords_on_the_command_line_lock_the_account_as_at_the_desk(seeded_path):
    db = str(seeded_path)
    ctx = make_context(seeded_path)
    limit = ctx.settings.login_max_failures
    for _ in range(limit):
        wrong = run("users", "list", "--user", "admin", "--password-stdin", "--db", db,
                    input="not it\n", env=NO_FILE)
        assert "wrong username or password" in one_line_error(wrong)
    # Locked now: the right password is refused on the command line and at the desk alike.
    right = run("users", "list", "--user", "admin", "--password-stdin", "--db", db,
                input="demo\n", env=NO_FILE)
    assert "wrong username or password" in one_line_error(right)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(ctx, "admin", "demo")
    ctx.db.dispose()
    assert len(_events(db, "cli.login.failed")) == limit + 1
    assert len(_events(db, "login.lockout")) == 1


def test_a_password_file_must_be_private(seeded_path, tmp_path):
    path = password_file({"admin": "demo"}, tmp_path)
    listing = run("users", "list", "--user", "admin", "--db", str(seeded_path),
                  env={"COORDINATOR_PASSWORD_FILE": str(path)})
    assert listing.returncode == 0 and "admin" in listing.stdout
    path.chmod(0o644)
    shared = run("users", "list", "--user", "admin", "--db", str(seeded_path),
                 env={"COORDINATOR_PASSWORD_FILE": str(path)})
    assert "can be read by others" in one_line_error(shared)
    missing = run("users", "list", "--user", "admin", "--db", str(seeded_path),
                  env={"COORDINATOR_PASSWORD_FILE": str(tmp_path / "nope")})
    assert "cannot read" in one_line_error(missing)


def test_the_bound_os_account_signs_in_without_a_password(seeded_path):
    db = str(seeded_path)
    uid = os.getuid()
    bound = run("users", "bind-os", "super", "--os-user", str(uid), "--user", "admin", "--db", db)
    assert bound.returncode == 0, bound.stderr
    assert _events(db, "user.bind_os")[0][2] == f'{{"uid": {uid}, "username": "super"}}'
    listing = run("audit", "show", "--as", "super", "--limit", "1", "--db", db, env=NO_FILE)
    assert listing.returncode == 0, listing.stderr
    # Bound to another OS account: this process's uid proves nothing.
    run("users", "bind-os", "super", "--os-user", str(uid + 1), "--user", "admin", "--db", db)
    other = run("audit", "show", "--as", "super", "--db", db, env=NO_FILE)
    assert "sign in" in one_line_error(other)
    # Only an admin binds (else anyone could bind themselves to an admin).
    assert "may not" in one_line_error(run("users", "bind-os", "admin", "--os-user", str(uid),
                                           "--user", "super", "--db", db))


def test_the_first_admin_says_so_and_is_bound_to_the_os_account_that_made_it(tmp_path):
    db = str(tmp_path / "new.sqlite")
    first = run("users", "add", "alex", "--name", "Alex Admin", "--role", "admin",
                "--password-stdin", "--db", db, input="long enough 1\n", env=NO_FILE)
    assert first.returncode == 0, first.stderr
    assert "first admin needs no sign-in" in first.stderr and f"uid {os.getuid()}" in first.stderr
    # The second account needs a signed-in admin: alex, from the OS account bound to it.
    second = run("users", "add", "eve", "--name", "Eve", "--role", "admin", "--user", "alex",
                 "--password-stdin", "--db", db, input="long enough 2\n", env=NO_FILE)
    assert second.returncode == 0, second.stderr
    assert "first admin" not in second.stderr


def test_a_service_account_runs_its_job_without_a_password_and_never_at_a_desk(seeded_path):
    db = str(seeded_path)
    added = run("users", "add", "nightly", "--name", "Nightly jobs", "--role", "front_desk",
                "--service", "--os-user", str(os.getuid()), "--user", "admin", "--db", db)
    assert added.returncode == 0, added.stderr
    listed = run("users", "list", "--user", "admin", "--db", db).stdout
    assert f"Nightly jobs (OS uid {os.getuid()})" in listed
    job = run("callbacks", "generate", "--user", "nightly", "--db", db, env=NO_FILE)
    assert job.returncode == 0, job.stderr
    sender = run("hl7", "send", "--to", "127.0.0.1:9", "--once", "--user", "nightly", "--db", db,
                 env=NO_FILE)
    assert sender.returncode == 0 and "sent 0" in sender.stderr, sender.stderr
    # Only the role it needs: it may not read the audit trail or manage accounts.
    assert "may not" in one_line_error(run("users", "list", "--user", "nightly", "--db", db))
    ctx = make_context(seeded_path)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(ctx, "nightly", "")
    ctx.db.dispose()
    assert "--os-user" in one_line_error(run("users", "add", "x", "--name", "X", "--role",
                                             "front_desk", "--service", "--user", "admin",
                                             "--db", db))


def test_the_demo_clinics_public_password_stops_working_once_changed(seeded_path):
    from coordinator_tui.services.clinic import DEMO_MARK

    db = str(seeded_path)
    conn = raw_connect(db)
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, 'coordinator demo')", (DEMO_MARK,))
    conn.close()
    assert run("find", "smith", "--user", "super", "--db", db, env=NO_FILE).returncode == 0
    run("users", "reset-password", "super", "--password-stdin", "--user", "admin", "--db", db,
        input="a private one now\n")
    refused = run("find", "smith", "--user", "super", "--db", db, env=NO_FILE)
    assert "sign in" in one_line_error(refused)


def test_on_stdin_the_admins_own_password_comes_first_then_the_new_one(seeded_path):
    db = str(seeded_path)
    done = run("users", "reset-password", "demo", "--password-stdin", "--user", "admin",
               "--db", db, input="demo\nthe new one 123\n", env=NO_FILE)
    assert done.returncode == 0, done.stderr
    ctx = make_context(seeded_path)
    try:
        assert accounts.authenticate(ctx, "demo", "the new one 123").username == "demo"
    finally:
        ctx.db.dispose()


def test_no_command_takes_a_staff_member_but_through_acting_user():
    """A command added later that builds its actor from a name (actor_for, an Actor by hand)
    would act unsigned: every command module reaches staff only through acting_user."""
    from pathlib import Path

    import coordinator_tui.commands as commands

    folder = Path(commands.__file__).parent
    mechanism = {"common.py", "sign_in.py"}  # acting_user itself and how it proves the account
    offenders = [f"{path.name}: {word}" for path in sorted(folder.glob("*.py"))
                 if path.name not in mechanism
                 for word in ("actor_for(", "ensure_user(", "Actor(", "staff.actors")
                 if word in path.read_text(encoding="utf-8")]
    assert offenders == []
