"""Alembic environment for coordinator.

SQLite specifics: batch mode (ALTER TABLE is limited), foreign keys OFF while tables are being
rebuilt (checked with `PRAGMA foreign_key_check` afterwards), the whole upgrade in one
BEGIN IMMEDIATE transaction so a crash leaves the previous schema intact, and the full-text
search tables (virtual tables and their shadow tables) hidden from autogenerate.
"""

from __future__ import annotations

from alembic import context

from coordinator_tui.store.engine import WRITE_OPTION, make_engine
from coordinator_tui.store.models import Base

config = context.config
target_metadata = Base.metadata

# Tables the models do not describe on purpose: FTS5 virtual tables and their shadow tables.
UNMODELLED_TABLE_PREFIXES = ("patient_search",)


def include_name(name, type_, parent_names) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith(UNMODELLED_TABLE_PREFIXES)
    return True


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from coordinator_tui.config import load_settings

    return load_settings().db_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True,
                      include_name=include_name, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # Must be set outside a transaction, before anything else runs on it.
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
            connection.execution_options(**{WRITE_OPTION: True})
            _run(connection)
            if engine.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.rollback()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} broken foreign keys")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
