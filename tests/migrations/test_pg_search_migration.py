"""Migration 0014_pg_search on PostgreSQL (a real server, COORDINATOR_TEST_PG): it fills the name
vocabulary from the patients already there, its trigger keeps it, it can run again over a
vocabulary another migration made (IF NOT EXISTS throughout), and its downgrade removes its
indexes. On SQLite it does nothing (tests/migrations/test_migrations.py walks the history)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from coordinator_tui.domain.names import name_key, phonetic
from tests.helpers.pg_clinic import (
    create_database,
    database_url,
    drop_database,
    migration_module,
    pg_metadata,
    pg_server_url,
)

PATIENT = text(
    "INSERT INTO patients (mrn, given_name, family_name, family_key, given_key, family_phonetic, "
    "given_phonetic, birth_date, sex, country, preferred_language, created_at, updated_at, version_id) "
    "VALUES (:mrn, :given, :family, :fk, :gk, :fp, :gp, '1980-01-01', 'F', 'US', 'English', "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)")


def add(conn, mrn: str, family: str, given: str) -> None:
    conn.execute(PATIENT, {"mrn": mrn, "given": given, "family": family, "fk": name_key(family),
                           "gk": name_key(given), "fp": phonetic(family), "gp": phonetic(given)})


@pytest.fixture
def engine():
    server = pg_server_url()
    name = create_database(server)
    made = create_engine(database_url(server, name))
    pg_metadata().create_all(made)
    yield made
    made.dispose()
    drop_database(server, name)


def run(engine, statements) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def indexes(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'patient_search_vocab'"))}


def test_upgrade_fills_keeps_repeats_and_downgrades(engine):
    migration = migration_module()
    with engine.begin() as conn:
        add(conn, "M1", "Wallace-Gilmore", "Hamish")  # a clinic that had patients before
    run(engine, migration.PG_UPGRADE)
    run(engine, migration.PG_UPGRADE)  # again: over a vocabulary that is already there
    with engine.begin() as conn:
        add(conn, "M2", "Müller", "Renate")  # after: the trigger adds the new keys
        conn.execute(text("UPDATE patients SET given_key = 'hamishjohn' WHERE mrn = 'M1'"))
        vocab = set(conn.execute(text("SELECT kind, key FROM patient_search_vocab")).all())
        near = conn.execute(text("SELECT key FROM patient_search_vocab WHERE kind = 'f' "
                                 "ORDER BY key <->> 'gilmour' LIMIT 1")).scalar()
        sounds = conn.execute(text("SELECT key FROM patient_search_vocab WHERE kind = 'f' "
                                   "AND dmetaphone(key) = dmetaphone('mueller')")).scalar()
    assert vocab == {("f", "wallacegilmore"), ("g", "hamish"), ("f", "muller"), ("g", "renate"),
                     ("g", "hamishjohn")}
    assert near == "wallacegilmore" and sounds == "muller"
    mine = {"patient_search_vocab_f_trgm", "patient_search_vocab_g_trgm",
            "patient_search_vocab_dmetaphone"}
    assert mine <= indexes(engine)
    run(engine, migration.PG_DOWNGRADE)
    assert not mine & indexes(engine)
    run(engine, migration.PG_UPGRADE)
    assert mine <= indexes(engine)
