"""A clinic is its database file plus the audit key and anchor beside it
(store/audit_files.py): a copy that is to verify takes them along."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

COMPANIONS = (".audit-key", ".audit-anchor")


def copy_clinic(source: Path, dest: Path) -> Path:
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
    are plain schema objects), then run the statements. Our SQL functions are not there."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name in ("trg_audit_events_no_update", "trg_audit_events_no_delete",
                 "trg_audit_events_writer_only"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        conn.execute(statement)
    conn.close()
