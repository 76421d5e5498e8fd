"""The seed builds the patients' indexes after inserting (store/bulk.indexes_built_after): the
result must be exactly what row-by-row inserts through the triggers give, and an interrupted
seed must leave nothing behind, not even a missing index."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.store.engine import url_for_path
from coordinator_tui.store.migrate import ensure_current
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers import engines
from tests.helpers.engines import raw_connect


def schema_objects(path) -> set[tuple[str, str, str]]:
    if engines.registered(path):  # PostgreSQL: its indexes and triggers, with their definitions
        with raw_connect(path) as conn:
            return (set(conn.execute("SELECT 'index', indexname, indexdef FROM pg_indexes "
                                     "WHERE schemaname = 'public'"))
                    | set(conn.execute("SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                       "WHERE NOT tgisinternal")))
    with raw_connect(path) as conn:
        return set(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"))


@pytest.mark.sqlite_only("the FTS5 vocabulary and its triggers, rebuilt after the bulk insert")
def test_a_seeded_database_has_every_index_trigger_and_search_term(db_path):
    before = schema_objects(db_path)
    seed_clinic(make_context(db_path), patients=400, seed=3, day=CLINIC_DAY)
    after = schema_objects(db_path)
    assert {o for o in after if o[0] in ("index", "trigger")} == {o for o in before if o[0] in ("index", "trigger")}
    with raw_connect(db_path) as conn:
        vocab = set(conn.execute("SELECT kind, key FROM patient_search_vocab"))
        expected = ({("f", k) for (k,) in conn.execute("SELECT DISTINCT family_key FROM patients")}
                    | {("g", k) for (k,) in conn.execute("SELECT DISTINCT given_key FROM patients")})
        assert vocab == expected
        some_key = conn.execute("SELECT family_key FROM patients WHERE length(family_key) >= 5 LIMIT 1").fetchone()[0]
        found = {k for (k,) in conn.execute(
            "SELECT v.key FROM patient_search_trigram t JOIN patient_search_vocab v ON v.id = t.rowid "
            "WHERE patient_search_trigram MATCH ?", (f'"{some_key[1:4]}"',))}
        assert some_key in found  # the trigram index was filled through the vocabulary's trigger
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # A patient added afterwards still reaches the vocabulary: the triggers are back.
        conn.execute("UPDATE patients SET family_key = 'zzqqxy' WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM patient_search_vocab WHERE key = 'zzqqxy'").fetchone()[0] == 1


def test_an_interrupted_seed_leaves_the_database_as_it_was(db_path):
    before = schema_objects(db_path)

    def interrupt(stage, done, total):
        if stage == "patients" and done >= 20_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_clinic(make_context(db_path), patients=50_000, seed=3, day=CLINIC_DAY, progress=interrupt)
    assert_nothing_seeded(db_path)
    assert {o for o in schema_objects(db_path) if o[0] != "table"} == {o for o in before if o[0] != "table"}


def assert_nothing_seeded(path) -> None:
    # Not the patients only: the clinic's setup (staff, providers, settings) goes with them.
    with raw_connect(path) as conn:
        search = () if engines.registered(path) else ("patient_search_vocab",)  # SQLite's FTS5
        for table in ("patients", *search, "staff_users", "providers", "settings",
                      "appointments", "callbacks"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


@pytest.mark.parametrize("stage, when", [("names", 1), ("patients", 300), ("indexes", 1),
                                         ("schedule", 0)])
def test_a_seed_interrupted_at_any_stage_leaves_no_staff_providers_or_settings(db_path, stage, when):
    def interrupt(at, done, total):
        if at == stage and done == when:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_clinic(make_context(db_path), patients=300, seed=3, day=CLINIC_DAY, progress=interrupt)
    assert_nothing_seeded(db_path)


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(1, 1, 1)])
def test_a_clinic_day_out_of_range_is_refused_before_anything_is_written(db_path, day):
    with pytest.raises(UserError, match="year must be 1900 to 2200"):
        seed_clinic(make_context(db_path), patients=10, seed=1, day=day)
    assert_nothing_seeded(db_path)


@pytest.mark.parametrize("patients", [1, 2, 10])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_tiny_clinic_seeds_with_one_open_callback_per_patient_and_reason(tmp_path, patients, seed):
    path = tmp_path / "tiny.sqlite"
    ensure_current(url_for_path(path))
    report = seed_clinic(make_context(path), patients=patients, seed=seed, day=CLINIC_DAY)
    assert report.patients == patients and report.callbacks > 0


def test_a_clinic_with_fewer_patients_than_todays_appointments_still_seeds(db_path):
    # Today's schedule has about 120 appointments; 50 patients used to loop forever.
    report = seed_clinic(make_context(db_path), patients=50, seed=3, day=CLINIC_DAY)
    assert report.patients == 50 and report.today_appointments > 50


@pytest.mark.parametrize("rows", [3, 2500], ids=["a few rows: one statement", "a large batch: COPY on PostgreSQL"])
def test_a_bulk_insert_stores_each_value_as_given_and_ids_continue_after_it(db_path, rows):
    """Large batches go through COPY on PostgreSQL: the stored values (text with commas, quotes,
    a backslash and a tab, NULL, 0/1 into a boolean) must be what the row-by-row INSERT stores,
    and a row added afterwards without an id must get the next one."""
    from sqlalchemy import text

    from coordinator_tui.store.bulk import insert_many

    ctx = make_context(db_path)
    given = [(n, f"Dr. O'Neil, {n}", f"P{n}", "Cardiology, \\ \t adults" if n % 2 else None, n % 3 == 0)
             for n in range(1, rows + 1)]
    with ctx.db.engine.begin() as conn:
        assert insert_many(conn, "providers", ("id", "display_name", "short_name", "specialty", "active"),
                           [(*row[:4], int(row[4])) for row in given]) == rows
    with ctx.db.write() as session:
        session.execute(text("INSERT INTO providers (display_name, short_name) VALUES ('Added after', 'NEXT')"))
    with ctx.db.read() as session:
        stored = session.execute(text(
            "SELECT id, display_name, short_name, specialty, active FROM providers ORDER BY id")).all()
    assert [(r[0], r[1], r[2], r[3], bool(r[4])) for r in stored[:rows]] == given
    assert (stored[rows].id, stored[rows].short_name) == (rows + 1, "NEXT")
    ctx.db.dispose()
