"""How the suite's commands sign in (commands/sign_in.py), set up once in tests/conftest.py.

Two real mechanisms, both checked by the command itself:

- The seeded test clinic's accounts (`demo`, `super`, `admin`) are bound to the OS account the
  tests run as (`staff_users.os_uid`, what `coordinator users bind-os` sets), so `run(...,
  "--user", "super")` signs in as `super` from this process's real uid, in about a millisecond.
  (A password is an Argon2 check: about 1 s each on these loaded 2-core machines.)
- `COORDINATOR_PASSWORD_FILE` (like PGPASSFILE) names an owner-only file of `USERNAME:PASSWORD`
  lines with the same accounts' password, set for every test, so a clinic a test builds itself
  (`coordinator seed`, a fresh demo) signs in too, by password.

Tests of signing in itself unbind the accounts (`unbind_os_accounts`) and clear the file
(`env={"COORDINATOR_PASSWORD_FILE": ""}`).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import tempfile
from pathlib import Path

PASSWORD_FILE_VARIABLE = "COORDINATOR_PASSWORD_FILE"
# The seeded test clinic's accounts (services/demo/clinic.py STAFF, DEMO_PASSWORD).
TEST_CLINIC_PASSWORDS = {"demo": "demo", "super": "demo", "admin": "demo"}


def password_file(passwords: dict[str, str], folder: Path | str | None = None) -> Path:
    """An owner-only password file (USERNAME:PASSWORD lines) for COORDINATOR_PASSWORD_FILE."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="coord-pw-"))
    path = folder / "passwords"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# staff passwords for coordinator's command line\n")
        handle.writelines(f"{name}:{password}\n" for name, password in passwords.items())
    os.chmod(path, 0o600)
    return path


@functools.cache
def clinic_password_file() -> str:
    return str(password_file(TEST_CLINIC_PASSWORDS))


def bind_test_clinic_to_this_os_account(path: Path | str) -> None:
    # Plain SQL on the template before any test copies it (no audit event: set-up, not use).
    from tests.helpers import engines

    if engines.registered(path):  # PostgreSQL
        engines.execute(engines.url_for(path), "UPDATE staff_users SET os_uid = %s WHERE "
                        "username IN (%s, %s, %s)", (os.getuid(), *TEST_CLINIC_PASSWORDS))
        return
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE staff_users SET os_uid = ? WHERE username IN (?, ?, ?)",
                     (os.getuid(), *TEST_CLINIC_PASSWORDS))
    conn.close()


def unbind_os_accounts(path: Path | str) -> None:
    from tests.helpers import engines

    if engines.registered(path):  # PostgreSQL
        engines.execute(engines.url_for(path), "UPDATE staff_users SET os_uid = NULL")
        return
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE staff_users SET os_uid = NULL")
    conn.close()
