"""`coordinator backup` on PostgreSQL: the server's own `pg_dump`, custom format (issue 20).

pg_dump reads one consistent snapshot while the desks keep working, like SQLite's online backup.
The password goes to pg_dump in its environment (PGPASSWORD), never on its command line (any
user of the machine can read a command line). A dump is checked by `pg_restore --list` before it
is given its name. Restoring is `pg_restore` into an empty database (docs/postgresql.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from coordinator_tui.errors import StorageError

TIMEOUT_SECONDS = 6 * 3600


def tool(name: str) -> str:
    """The newest installed PostgreSQL client program `name` (a dump from a newer server needs
    a pg_dump at least as new)."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise StorageError(f"{name} is missing: install PostgreSQL's client programs "
                           "(apt-get install postgresql-client-15); nothing was written")
    return found


def conninfo_and_password(url: str) -> tuple[str, str | None]:
    from psycopg.conninfo import make_conninfo

    from coordinator_tui.store.pg import connect_params

    params = connect_params(url)
    password = params.pop("password", None)
    return make_conninfo(**params), password


def _run(command: list[str], password: str | None) -> None:
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise StorageError(f"{Path(command[0]).name} failed ({last[:300]}); nothing was written")


def dump(url: str, path: Path) -> None:
    """The whole database into `path` (an owner-only file the caller made), then checked."""
    conninfo, password = conninfo_and_password(url)
    _run([tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}",
          f"--dbname={conninfo}"], password)
    _run([tool("pg_restore"), "--list", str(path)], None)
