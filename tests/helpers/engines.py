"""The engine the suite runs on: SQLite files (the default) or PostgreSQL (issue 20).

`pytest --engine postgresql` (or COORDINATOR_TEST_ENGINE=postgresql) runs the same tests on
PostgreSQL: COORDINATOR_TEST_PG names a server (`.ci/postgres-start` prints it), where a role
that may CREATE DATABASE connects to its `postgres` database. Each test gets its own database,
made by `CREATE DATABASE ... TEMPLATE` from a migrated (or seeded) template built once per
worker: copying a template takes ~0.1 s where migrating takes seconds.

The fixtures still hand tests a path (`db_path`, `seeded_path`): on PostgreSQL the path is a
name for the test's database, registered here; `url_for` turns it into the URL, and the
command-line helper (tests/helpers/cli.py) passes the URL where a test says `--db PATH`. The
audit key and anchor files of a PostgreSQL clinic are named through COORDINATOR_AUDIT_KEY and
COORDINATOR_AUDIT_ANCHOR, per test.

A test that only makes sense on SQLite says why with `@pytest.mark.sqlite_only("reason")`, or
its module is listed in SQLITE_ONLY_MODULES (tests/conftest.py) with the reason.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from coordinator_tui.store.engine import url_for_path

ENGINE_VARIABLE = "COORDINATOR_TEST_ENGINE"
SERVER_VARIABLE = "COORDINATOR_TEST_PG"
ENGINES = ("sqlite", "postgresql")

_engine = "sqlite"
_urls: dict[Path, str] = {}
_names = itertools.count(1)


def configure(engine: str) -> None:
    global _engine
    if engine not in ENGINES:
        raise ValueError(f"--engine must be one of {', '.join(ENGINES)}")
    if engine == "postgresql" and not os.environ.get(SERVER_VARIABLE):
        raise RuntimeError(f"--engine postgresql needs {SERVER_VARIABLE} (run .ci/postgres-start)")
    _engine = engine


def engine() -> str:
    return _engine


def on_postgresql() -> bool:
    return _engine == "postgresql"


def server_url() -> str:
    return os.environ[SERVER_VARIABLE]


# Processes a test starts (desks under multiprocessing, the real command) find the clinics
# through the environment they inherit.
REGISTRY_VARIABLE = "COORDINATOR_TEST_CLINICS"


def _inherited() -> dict[str, str]:
    raw = os.environ.get(REGISTRY_VARIABLE)
    return json.loads(raw) if raw else {}


def url_for(path: Path | str) -> str:
    """The URL of the clinic a test knows by `path`."""
    return _urls.get(Path(path)) or _inherited().get(str(Path(path))) or url_for_path(path)


def register(path: Path | str, url: str) -> None:
    _urls[Path(path)] = url
    os.environ[REGISTRY_VARIABLE] = json.dumps({str(p): u for p, u in _urls.items()})


def forget(path: Path | str) -> None:
    _urls.pop(Path(path), None)
    os.environ[REGISTRY_VARIABLE] = json.dumps({str(p): u for p, u in _urls.items()})


def registered(path: Path | str) -> bool:
    return Path(path) in _urls or str(Path(path)) in _inherited()


def translate_args(args: tuple[str, ...]) -> tuple[str, ...]:
    """A command line with each registered clinic path replaced by its URL."""
    return tuple(url_for(arg) if isinstance(arg, str) and arg[:1] not in ("", "-")
                 and registered(arg) else arg for arg in args)


def _admin():
    import psycopg

    url = make_url(server_url())
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                           password=url.password, dbname=url.database or "postgres",
                           autocommit=True)


def new_database_name(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"coord_{prefix}_{worker}_{os.getpid()}_{next(_names)}"


def database_url(name: str) -> str:
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


def create_database(name: str, template: str | None = None) -> str:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return database_url(name)


_copies: list[str] = []


def copy_database(source: Path | str, dest: Path | str) -> str:
    """A copy of a registered clinic's database, registered as `dest` (dropped at the end of
    the session: drop_copies). Connections to the source are closed first (a template must have
    none); a desk's pool reconnects."""
    template = make_url(url_for(source)).database
    with _admin() as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
    name = new_database_name("copy")
    url = create_database(name, template)
    _copies.append(name)
    register(dest, url)
    return url


def drop_copies() -> None:
    while _copies:
        drop_database(_copies.pop())


def drop_database(name: str) -> None:
    """Drop a test's database; one an autovacuum worker holds at that moment is dropped by the
    next run's `create_database` of the same name, or left for the server's folder to go."""
    import time

    import psycopg

    for attempt in range(5):
        try:
            with _admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            time.sleep(0.2 * (attempt + 1))


def execute(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """Plain SQL on a test's PostgreSQL database (set-up, as the sqlite3 module does on a file)."""
    import psycopg

    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                         password=parsed.password, dbname=parsed.database) as conn:
        cursor = conn.execute(statement, params)
        rows = cursor.fetchall() if cursor.description else []
    return rows


class PgConnection:
    """The sqlite3.Connection calls tests make for plain SQL (execute with `?` placeholders,
    commit, rollback, close, `with conn:` committing), on a PostgreSQL database."""

    def __init__(self, url: str):
        import psycopg

        parsed = make_url(url)
        self.conn = psycopg.connect(host=parsed.host, port=parsed.port or 5432,
                                    user=parsed.username, password=parsed.password,
                                    dbname=parsed.database)

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql.replace("%", "%%").replace("?", "%s"), params)

    def executemany(self, sql: str, rows):
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("%", "%%").replace("?", "%s"), rows)

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()
        return False


def raw_connect(target):
    """Plain SQL on a test's clinic, as the sqlite3 module gives it: `target` is the clinic's
    path (registered: PostgreSQL), a database URL, or an SQLite file."""
    import sqlite3

    text = str(target)
    if text.startswith("postgresql"):
        return PgConnection(text)
    if registered(text):
        return PgConnection(url_for(text))
    if text.startswith("sqlite:"):
        text = make_url(text).database
    return sqlite3.connect(text)
