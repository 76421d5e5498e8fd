"""The test clinic's password file: how the suite's commands sign in (tests/helpers/cli.py).

`COORDINATOR_PASSWORD_FILE` (commands/sign_in.py, a documented mechanism like PGPASSFILE) names
an owner-only file of `USERNAME:PASSWORD` lines. tests/conftest.py sets it for every test, so
a command started in any way (`run`, `run_process`, a bare subprocess) signs in as the account
it names with the seeded clinic's password, really checked by the command.
"""

from __future__ import annotations

import functools
import os
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
