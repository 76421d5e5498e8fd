"""patient search: a name vocabulary with a trigram index, kept by triggers

Revision ID: 0002_patient_search
Revises: 0001_initial

The lookup finds typos and name parts ("jones" in "Smith-Jones") in a small vocabulary of the
distinct family and given name keys (tens of thousands of terms for a million patients), then
expands the matching terms through the patients' own (family_key, given_key) indexes. Triggers on
`patients` add new keys on every write path (the app, imports, merges, raw SQL), so the
vocabulary can never miss a name. It never shrinks: a term whose patients are gone costs one
empty index probe. Both tables start with `patient_search`, which migrations/env.py hides from
autogenerate (they are not modelled on purpose).

PostgreSQL has no FTS5: this revision makes nothing there. Its lookup candidates come from
pg_trgm and fuzzystrmatch (issue 20 item 3, migration 0014_pg_search).

Trap: a later batch migration of `patients` drops these triggers; recreate them there
(`create_triggers()` below).
"""

from __future__ import annotations

from alembic import op

revision = "0002_patient_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_ADD_TERMS = """
    INSERT INTO patient_search_vocab (kind, key, phonetic)
    SELECT 'f', new.family_key, new.family_phonetic
    WHERE NOT EXISTS (SELECT 1 FROM patient_search_vocab WHERE kind = 'f' AND key = new.family_key);
    INSERT INTO patient_search_vocab (kind, key, phonetic)
    SELECT 'g', new.given_key, new.given_phonetic
    WHERE NOT EXISTS (SELECT 1 FROM patient_search_vocab WHERE kind = 'g' AND key = new.given_key);
"""

TRIGGERS = {
    # NOT EXISTS rather than INSERT OR IGNORE: an outer INSERT OR REPLACE would turn OR IGNORE
    # into REPLACE inside the trigger.
    "patient_search_patients_ai": f"AFTER INSERT ON patients BEGIN {_ADD_TERMS} END",
    "patient_search_patients_au": (
        "AFTER UPDATE OF family_key, given_key, family_phonetic, given_phonetic ON patients "
        f"BEGIN {_ADD_TERMS} END"
    ),
    "patient_search_vocab_ai": (
        "AFTER INSERT ON patient_search_vocab BEGIN "
        "INSERT INTO patient_search_trigram (rowid, key) VALUES (new.id, new.key); END"
    ),
    "patient_search_vocab_ad": (
        "AFTER DELETE ON patient_search_vocab BEGIN "
        "INSERT INTO patient_search_trigram (patient_search_trigram, rowid, key) "
        "VALUES ('delete', old.id, old.key); END"
    ),
}


def create_triggers() -> None:
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE patient_search_vocab ("
        " id INTEGER PRIMARY KEY,"
        " kind TEXT NOT NULL CHECK (kind IN ('f', 'g')),"
        " key TEXT NOT NULL,"
        " phonetic TEXT NOT NULL,"
        " UNIQUE (kind, key))"
    )
    op.execute("CREATE INDEX patient_search_vocab_phonetic ON patient_search_vocab (kind, phonetic)")
    op.execute(
        "CREATE VIRTUAL TABLE patient_search_trigram USING fts5("
        "key, content='patient_search_vocab', content_rowid='id', tokenize='trigram')"
    )
    # Existing patients: fill the vocabulary in bulk, then the trigram index in one pass.
    op.execute(
        "INSERT INTO patient_search_vocab (kind, key, phonetic) "
        "SELECT 'f', family_key, min(family_phonetic) FROM patients GROUP BY family_key"
    )
    op.execute(
        "INSERT INTO patient_search_vocab (kind, key, phonetic) "
        "SELECT 'g', given_key, min(given_phonetic) FROM patients GROUP BY given_key"
    )
    op.execute("INSERT INTO patient_search_trigram (patient_search_trigram) VALUES ('rebuild')")
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    drop_triggers()
    op.execute("DROP TABLE IF EXISTS patient_search_trigram")
    op.execute("DROP TABLE IF EXISTS patient_search_vocab")
