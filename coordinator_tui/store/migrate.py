"""Bringing a database to the schema this code expects.

Start-up compares the database's revision with `SCHEMA_HEAD` without importing Alembic (a few
milliseconds); only when they differ does it take a file lock and run Alembic, so several desks
starting at once upgrade once. A database from a newer version is refused, never touched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from coordinator_tui.errors import StorageError
from coordinator_tui.store.engine import (
    describe_storage_error,
    make_engine,
    no_database,
    owner_only,
    prepare_file,
    sqlite_path,
)
from coordinator_tui.store.schema_version import SCHEMA_HEAD
from coordinator_tui.store.startup_probe import connect_without_writing

REPO_ROOT = Path(__file__).resolve().parents[2]


def migrations_dir() -> Path:
    return REPO_ROOT / "migrations"


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def known_revisions(url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}


def read_revision(url: str) -> str | None:
    """The database's schema revision; None for an empty database.

    SQLite files are opened read-only with no pragmas (our engine would switch a foreign file to
    WAL, rewriting its header). Raises StorageError for a file that is not an SQLite database, or
    an SQLite database that is not ours (tables but no revision).
    """
    path = sqlite_path(url)
    if path is not None:
        return _read_sqlite_revision(path, url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            return _revision_from(tables, lambda: conn.execute(
                text("SELECT version_num FROM alembic_version")).scalar(), url)
    except (OperationalError, DatabaseError) as exc:
        raise StorageError(describe_storage_error(exc, url)) from None
    finally:
        engine.dispose()


def _read_sqlite_revision(path: Path, url: str) -> str | None:
    conn = connect_without_writing(path, url)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return _revision_from(tables, lambda: next(iter(conn.execute(
            "SELECT version_num FROM alembic_version").fetchone() or ()), None), url)
    except sqlite3.Error as exc:
        raise StorageError(describe_storage_error(exc, url)) from None
    finally:
        conn.close()


def _revision_from(tables: set[str], fetch, url: str) -> str | None:
    if "alembic_version" not in tables:
        if tables:
            raise StorageError(f"{sqlite_path(url) or url} holds another program's data, not coordinator's")
        return None
    return fetch()


def check_not_newer(url: str, revision: str | None) -> None:
    if revision is None or revision == SCHEMA_HEAD:
        return
    if revision not in known_revisions(url):
        raise StorageError(
            f"this database was written by a newer version of coordinator (schema {revision}); "
            f"this version understands up to {SCHEMA_HEAD}: upgrade coordinator"
        )


def upgrade(url: str, target: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), target)


def downgrade(url: str, target: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), target)


def ensure_current(url: str, *, create: bool = True) -> bool:
    """Make the database current; return True when a migration ran.

    With `create` False the database must already hold a coordinator schema: a missing or empty
    file is refused, for commands that work on an existing clinic. Nothing on disk changes when
    the path is unusable, the file is not a database, or the schema is newer than this code.
    """
    path = sqlite_path(url)
    if path is not None:
        existed = path.exists()
        prepare_file(path, create=create)
        try:
            revision = read_revision(url)
            check_not_newer(url, revision)
        except StorageError:
            if not existed:
                path.unlink(missing_ok=True)
            raise
    else:
        revision = read_revision(url)
        check_not_newer(url, revision)
    if revision == SCHEMA_HEAD:
        return False
    if revision is None:
        if not create:
            raise no_database(path or make_url(url).render_as_string(hide_password=True))
        if path is not None:
            owner_only(path)  # an empty file is about to receive the clinic's data
    if path is None:
        upgrade(url)
        return True

    from filelock import FileLock

    lock_path = path.with_name(path.name + ".migrate-lock")
    with FileLock(str(lock_path), timeout=120, mode=0o600):
        # Another desk may have upgraded while we waited for the lock.
        if read_revision(url) != SCHEMA_HEAD:
            upgrade(url)
            return True
    return False
