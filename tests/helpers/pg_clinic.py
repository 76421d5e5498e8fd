"""PostgreSQL databases for tests, on a real server named by COORDINATOR_TEST_PG.

COORDINATOR_TEST_PG is the URL of a server role that may CREATE DATABASE, e.g.
`postgresql+psycopg://coord:coord@127.0.0.1:54339/postgres`; tests make and drop their own
databases on it. Unset, PostgreSQL tests are skipped, except under CI (CI=true), where they fail:
a CI run that silently skipped the PostgreSQL half would pass on an engine it never tried.

The schema: every model table (Base.metadata), then migration 0014_pg_search's PostgreSQL part
(pg_trgm, fuzzystrmatch, the name vocabulary and its indexes), from the migration file itself.
(Until the Alembic history runs on PostgreSQL, branch pgcore, the tables come from the models;
booleans' SQLite server defaults 1/0 are written true/false for PostgreSQL on a copy.)
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Boolean, MetaData, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.schema import DefaultClause

from coordinator_tui.store.models import Base
from coordinator_tui.store.pg_listen import conninfo

PG_VARIABLE = "COORDINATOR_TEST_PG"
REPO = Path(__file__).resolve().parents[2]
MIGRATION = REPO / "migrations" / "versions" / "0014_pg_search.py"


def pg_server_url() -> str:
    """The test server's URL, or skip (fail under CI=true) when none is configured."""
    url = os.environ.get(PG_VARIABLE, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{PG_VARIABLE} is not set: CI must run the PostgreSQL tests against a real "
                    "server (postgresql+psycopg://ROLE:PASS@HOST:PORT/postgres)")
    pytest.skip(f"PostgreSQL tests need {PG_VARIABLE} (a server role that can CREATE DATABASE)")


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _admin(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(conninfo(server_url), autocommit=True) as conn:
        conn.execute(statement)


def create_database(server_url: str, *, template: str | None = None) -> str:
    name = f"coord_test_{uuid.uuid4().hex[:12]}"
    _admin(server_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def drop_database(server_url: str, name: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_metadata() -> MetaData:
    copy = MetaData()
    for table in Base.metadata.sorted_tables:
        moved = table.to_metadata(copy)
        for column in moved.columns:
            default = column.server_default
            if isinstance(column.type, Boolean) and default is not None:
                value = str(getattr(default.arg, "text", default.arg)).strip()
                column.server_default = None
                DefaultClause(text("true" if value in ("1", "true") else "false"))._set_parent(column)
    return copy


def migration_module():
    """migrations/versions/0014_pg_search.py (its PG_UPGRADE and PG_DOWNGRADE statements)."""
    spec = importlib.util.spec_from_file_location("migration_0014_pg_search", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pg_search_statements() -> tuple[str, ...]:
    return migration_module().PG_UPGRADE


def build_schema(url: str) -> None:
    engine = create_engine(url)
    try:
        pg_metadata().create_all(engine)
        with engine.begin() as conn:
            for statement in pg_search_statements():
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def copy_rows(sqlite_path: Path, url: str) -> dict[str, int]:
    """Every model table's rows from an SQLite clinic into the (empty) PostgreSQL one, values
    through the models' own types; identity sequences moved past the copied ids."""
    source = create_engine(f"sqlite:///{sqlite_path}")
    target = create_engine(url)
    counts: dict[str, int] = {}
    try:
        with source.connect() as src, target.begin() as dst:
            for table in Base.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(select(table))]
                if rows:
                    dst.execute(table.insert(), rows)
                counts[table.name] = len(rows)
                if "id" in table.c and rows:
                    dst.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))")
            dst.exec_driver_sql("ANALYZE")
    finally:
        source.dispose()
        target.dispose()
    return counts


@pytest.fixture(scope="session")
def pg_template(seeded_template):
    """The seeded test clinic on PostgreSQL, built once per test process; tests get copies."""
    server = pg_server_url()
    name = create_database(server)
    url = database_url(server, name)
    build_schema(url)
    copy_rows(seeded_template, url)
    yield name
    drop_database(server, name)


@pytest.fixture
def pg_ctx(pg_template, clock):
    """A private PostgreSQL copy of the seeded clinic (CREATE DATABASE ... TEMPLATE)."""
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database
    from tests.conftest import CLINIC_TZ

    server = pg_server_url()
    name = create_database(server, template=pg_template)
    url = database_url(server, name)
    settings = Settings(db_url=url, clinic_tz=CLINIC_TZ)
    context = AppContext(db=Database(url), settings=settings, clock=clock)
    yield context
    context.db.dispose()
    drop_database(server, name)


@pytest.fixture(name="ctx", params=["sqlite", "postgresql"])
def ctx_on_both_engines(request, clock):
    """`ctx` on each engine: a module that imports this runs its tests on the seeded clinic in
    SQLite and again on its copy in PostgreSQL (skipped without COORDINATOR_TEST_PG)."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_ctx")
        return
    from tests.conftest import make_context

    context = make_context(request.getfixturevalue("seeded_path"), clock)
    yield context
    context.db.dispose()
