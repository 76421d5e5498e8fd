"""A clinic is its database file plus the audit key and anchor beside it
(store/audit_files.py): a copy that is to verify takes them along."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

COMPANIONS = (".audit-key", ".audit-anchor")


def copy_clinic(source: Path, dest: Path) -> Path:
    from tests.helpers import engines

    if engines.registered(source):  # PostgreSQL: CREATE DATABASE ... TEMPLATE
        engines.copy_database(source, dest)
    else:
        shutil.copyfile(source, dest)
        dest.chmod(0o600)
    for suffix in COMPANIONS:
        companion = source.with_name(source.name + suffix)
        if companion.exists():
            shutil.copyfile(companion, dest.with_name(dest.name + suffix))
            dest.with_name(dest.name + suffix).chmod(0o600)
    return dest


def shell(path: Path | str, *statements: str) -> None:
    """What someone with the sqlite3 shell could do to the file: drop the guard triggers (they
    are plain schema objects), then run the statements. Our SQL functions are not there.
    On PostgreSQL (a registered clinic, or its URL): what the database's owner could do in psql,
    where the owner may switch the table's triggers off."""
    from tests.helpers.engines import PgConnection, raw_connect

    if str(path).startswith("postgresql") or not str(path).startswith("sqlite:"):
        conn = raw_connect(path)
        if isinstance(conn, PgConnection):
            conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
            for statement in statements:
                conn.execute(statement)
            conn.commit()
            conn.close()
            return
        conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for name in ("trg_audit_events_no_update", "trg_audit_events_no_delete",
                 "trg_audit_events_writer_only"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        conn.execute(statement)
    conn.close()
