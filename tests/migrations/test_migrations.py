"""Migrations: upgrade from empty, downgrade to base, no drift, start-up upgrade under a lock,
and a database from a newer version refused without being touched."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory

from coordinator_tui.errors import StorageError
from coordinator_tui.store.migrate import (
    alembic_config,
    downgrade,
    ensure_current,
    read_revision,
    upgrade,
)
from coordinator_tui.store.models import Base
from coordinator_tui.store.schema_version import SCHEMA_HEAD
from tests.helpers import engines
from tests.helpers.engines import raw_connect
from tests.helpers.engines import url_for as url_for_path


def tables(path) -> set[str]:
    conn = raw_connect(path)
    sql = ("SELECT tablename FROM pg_tables WHERE schemaname = 'public'" if engines.registered(path)
           else "SELECT name FROM sqlite_master WHERE type = 'table'")
    names = {r[0] for r in conn.execute(sql)}
    conn.close()
    return names - {"sqlite_sequence"}


def triggers(path) -> int:
    conn = raw_connect(path)
    sql = ("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal" if engines.registered(path)
           else "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
    count = conn.execute(sql).fetchone()[0]
    conn.close()
    return count


def digest(path) -> str:
    """The file's bytes; on PostgreSQL, every table's rows and the schema's objects."""
    if not engines.registered(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    conn = raw_connect(path)
    h = hashlib.sha256()
    for table in sorted(tables(path)):
        h.update(repr(conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()).encode())
    h.update(repr(conn.execute("SELECT relname, relkind FROM pg_class ORDER BY 1, 2").fetchall()).encode())
    conn.close()
    return h.hexdigest()


def test_schema_head_constant_matches_alembic_head(tmp_path):
    script = ScriptDirectory.from_config(alembic_config(url_for_path(tmp_path / "x.sqlite")))
    assert script.get_current_head() == SCHEMA_HEAD


def test_upgrade_from_empty_creates_exactly_the_models(tmp_path):
    path = tmp_path / "fresh.sqlite"
    url = url_for_path(path)
    assert ensure_current(url) is True
    made = tables(path)
    search = {t for t in made if t.startswith("patient_search")}  # FTS5 + shadow tables, unmodelled
    assert made - search == set(Base.metadata.tables) | {"alembic_version"}
    assert {"patient_search_vocab", "patient_search_trigram"} <= search
    assert read_revision(url) == SCHEMA_HEAD


def test_no_drift_between_models_and_migrations(db_path):
    from alembic import command

    command.check(alembic_config(url_for_path(db_path)))  # raises on any difference


def test_downgrade_to_base_and_back_up(db_path):
    url = url_for_path(db_path)
    downgrade(url, "base")
    assert tables(db_path) == {"alembic_version"}
    assert triggers(db_path) == 0
    upgrade(url)
    assert read_revision(url) == SCHEMA_HEAD


def test_start_up_upgrades_an_older_database(db_path):
    url = url_for_path(db_path)
    downgrade(url, "base")  # the oldest possible database
    assert ensure_current(url) is True
    assert ensure_current(url) is False  # the second start finds nothing to do
    assert read_revision(url) == SCHEMA_HEAD


def test_a_database_from_a_newer_version_is_refused_and_untouched(db_path):
    conn = raw_connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    before = digest(db_path)
    with pytest.raises(StorageError, match="newer version of coordinator"):
        ensure_current(url_for_path(db_path))
    assert digest(db_path) == before


def test_another_programs_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StorageError, match="another program"):
        ensure_current(url_for_path(path))
    assert digest(path) == before


UPGRADE_IN_CHILD = """
import sys
from coordinator_tui.store.migrate import ensure_current
print(ensure_current(sys.argv[1]))
"""


def test_desks_starting_together_upgrade_once(tmp_path):
    """Four real processes start on an empty file at once: one migrates, the others wait for
    the lock and find the schema current; all succeed."""
    url = url_for_path(tmp_path / "together.sqlite")
    procs = [subprocess.Popen([sys.executable, "-c", UPGRADE_IN_CHILD, url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in results]
    ran = [out.strip() for out, _ in results]
    assert ran.count("True") == 1, ran
    assert read_revision(url) == SCHEMA_HEAD


@pytest.mark.sqlite_only("the FTS5 vocabulary of migration 0002")
def test_search_index_is_built_for_existing_patients_and_dropped_on_downgrade(seeded_path):
    """0002 on a database that already has patients fills the vocabulary; downgrade removes
    the tables and triggers; upgrading again rebuilds it the same."""
    url = url_for_path(seeded_path)
    conn = sqlite3.connect(seeded_path)
    expected = conn.execute("SELECT count(DISTINCT family_key) + (SELECT count(DISTINCT given_key) "
                            "FROM patients) FROM patients").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM patient_search_vocab").fetchone()[0] == expected
    conn.close()
    downgrade(url, "0001_initial")
    conn = sqlite3.connect(seeded_path)
    assert not {t for t in tables(seeded_path) if t.startswith("patient_search")}
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'patient_search%'").fetchone()[0] == 0
    conn.close()
    upgrade(url)
    conn = sqlite3.connect(seeded_path)
    assert conn.execute("SELECT count(*) FROM patient_search_vocab").fetchone()[0] == expected
    assert conn.execute("SELECT count(*) FROM patient_search_trigram WHERE patient_search_trigram "
                        "MATCH 'smi'").fetchone()[0] >= 0
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'patient_search%'").fetchone()[0] == 4
    conn.close()


@pytest.mark.sqlite_only("PostgreSQL support starts after 0005: no PostgreSQL clinic holds older referrals")
def test_referrals_from_before_0005_keep_their_meaning(db_path):
    """0005 rebuilds the referrals table: old statuses and directions map to the new words, and
    a downgrade maps them back."""
    url = url_for_path(db_path)
    downgrade(url, "0003_checkin_checks")
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO patients (id, mrn, given_name, family_name, family_key, given_key, "
                 "family_phonetic, given_phonetic, birth_date, sex, country, preferred_language, "
                 "created_at, updated_at, version_id) VALUES (1, 'M1', 'Ana', 'Diaz', 'diaz', 'ana', "
                 "'TS', 'AN', '1980-01-01', 'F', 'US', 'English', '2026-01-01', '2026-01-01', 1)")
    old = [("incoming", "received"), ("outgoing", "auth_pending"), ("incoming", "authorised"),
           ("incoming", "scheduled"), ("outgoing", "closed")]
    for direction, status in old:
        conn.execute("INSERT INTO referrals (patient_id, direction, received_on, status, auth_required, "
                     "created_at, version_id) VALUES (1, ?, '2026-11-20', ?, 0, '2026-11-20', 1)",
                     (direction, status))
    conn.commit()
    conn.close()
    upgrade(url)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT kind, status FROM referrals ORDER BY id").fetchall() == [
        ("incoming_referral", "requested"), ("outgoing_referral", "pending"), ("incoming_referral", "approved"),
        ("incoming_referral", "active"), ("outgoing_referral", "closed")]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                        "AND name LIKE 'trg_referral_events%'").fetchone()[0] == 2
    conn.close()
    downgrade(url, "0003_checkin_checks")
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT direction, status FROM referrals ORDER BY id").fetchall() == old
    conn.close()
