"""The lookup on PostgreSQL against the same lookup on SQLite (issue 20 item 3): one clinic in
both, the same searches, the same answers in the same order. Needs COORDINATOR_TEST_PG (a real
server); skipped without it, failed under CI=true without it (tests/helpers/pg_clinic.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import text as sql

from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.patients.lookup_sql import PG_SESSION, statements_for
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.lookup import add_patient
from tests.helpers.pg_clinic import pg_ctx, pg_template  # noqa: F401 (fixtures)


@pytest.fixture
def both(pg_ctx, seeded_path, clock):  # noqa: F811 (the fixture imported above)
    sqlite_ctx = make_context(seeded_path, clock)
    yield sqlite_ctx, pg_ctx
    sqlite_ctx.db.dispose()


def searches(ctx) -> list[str]:
    """Every exact kind of query, for patients of the seeded clinic picked at random."""
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(sql(
            "SELECT mrn, family_name, given_name, birth_date, phone_mobile FROM patients "
            "WHERE merged_into_id IS NULL ORDER BY id")).fetchall()
    texts = []
    for mrn, family, given, born, mobile in random.Random(20).sample(rows, 25):
        born = date.fromisoformat(str(born))
        texts += [family, f"{family}, {given}", f"{given} {family}", f"{family[:3]} {given[:2]}",
                  f"{family} {born.month}/{born.day}/{born.year}", f"{born.month}/{born.day}/{born.year}",
                  mrn, mobile[-4:], f"({mobile[2:5]}) {mobile[5:8]}-{mobile[8:]}", given]
    return texts


FUZZY = ("typo", "sounds like", "name part", "part of name", "weak name")


def test_the_same_searches_give_the_same_rows_in_the_same_order(both):
    """Exact, prefix, birth date, phone and MRN matches: the same rows, scores and order on both
    engines. After them a name search lists fuzzy matches; PostgreSQL's pool for those is wider
    (pg_trgm nearness and Double Metaphone, lookup_pg.py), so its tail may hold more of them."""
    sqlite_ctx, pg = both
    sqlite_user, pg_user = actor_for(sqlite_ctx, "demo"), actor_for(pg, "demo")
    texts = searches(sqlite_ctx)
    differ, tails = [], 0
    for text in texts:
        on_sqlite = [(h.id, h.score, h.reason, h.possible_duplicate, h.next_appointment)
                     for h in search_patients(sqlite_ctx, sqlite_user, text, limit=20)]
        on_pg = [(h.id, h.score, h.reason, h.possible_duplicate, h.next_appointment)
                 for h in search_patients(pg, pg_user, text, limit=20)]
        exact_sqlite = [h for h in on_sqlite if not h[2].startswith(FUZZY)]
        exact_pg = [h for h in on_pg if not h[2].startswith(FUZZY)]
        if exact_sqlite != exact_pg or on_pg[:len(exact_pg)] != exact_pg or not on_sqlite:
            differ.append((text, on_sqlite[:3], on_pg[:3]))
        tails += on_sqlite != on_pg
    assert len(texts) == 250
    assert differ == []
    assert tails < 25, tails  # measured 6 of 250: the fuzzy tail of a one-word search


def test_typos_and_sound_alikes_found_through_pg_trgm_and_dmetaphone(pg_ctx):  # noqa: F811
    user = actor_for(pg_ctx, "demo")
    who = add_patient(pg_ctx, "Schmidt", "Katharina", date(1971, 4, 5))
    other = add_patient(pg_ctx, "Wallace-Gilmore", "Hamish", date(1958, 6, 7))
    for text, wanted in (("shmidt katharina", who), ("schmit katharina", who),  # sound-alikes
                         ("cshmidt katharina", who),  # a typo in the first letters: trigrams
                         ("gilmore hamish", other), ("wallace gilmour", other)):  # name parts
        hits = search_patients(pg_ctx, user, text, limit=5)
        assert wanted in [h.id for h in hits][:3], (text, hits[:3])


def test_instants_mean_utc_whatever_the_sessions_time_zone(pg_ctx):  # noqa: F811
    """Next appointments are asked with naive-UTC instants: a server or database configured for
    the clinic's own zone must not shift them by hours (the engine runs every session in UTC,
    store/pg.py, whatever the database's own setting)."""
    with pg_ctx.db.engine.connect() as conn:
        name = conn.execute(sql("SELECT current_database()")).scalar()
        conn.execute(sql(f'ALTER DATABASE "{name}" SET timezone = \'Pacific/Kiritimati\''))
        conn.commit()
    pg_ctx.db.engine.dispose()  # new connections take the database's setting
    user = actor_for(pg_ctx, "demo")
    booked = next(a for offset in range(15)
                  for a in day_appointments(pg_ctx, user, CLINIC_DAY + timedelta(days=offset))
                  if a.starts_at > pg_ctx.now() and a.status.value in ("scheduled", "confirmed"))
    with pg_ctx.db.engine.connect() as conn:
        assert conn.execute(sql("SHOW timezone")).scalar() == "UTC"
        mrn = conn.execute(sql("SELECT mrn FROM patients WHERE id = :id"), {"id": booked.patient_id}).scalar()
    hit = search_patients(pg_ctx, user, mrn)[0]
    assert hit.next_appointment == booked.starts_at


def test_each_engine_has_its_own_statements_built_once():
    """Statements are built per engine in its own form (never SQLite text rewritten per search):
    the same question, parameters in the same order; PostgreSQL walks an index by its order."""
    sqlite, pg = statements_for("sqlite"), statements_for("postgresql")
    assert statements_for("postgresql") is pg
    assert "INDEXED BY ix_patients_given_key_family_key" in sqlite.given_only
    assert "INDEXED BY" not in pg.given_only and "ORDER BY p.given_key, p.family_key" in pg.given_only
    for name in ("by_mrn", "by_phone", "by_last4", "by_dob", "family_prefix", "given_prefix",
                 "family_only", "given_only", "vocab_phonetic", "vocab_prefix", "today"):
        mine, theirs = getattr(sqlite, name), getattr(pg, name)
        assert "%s" not in mine and "?" not in theirs, name
        assert mine.count("?") == theirs.count("%s"), name
    assert pg.by_both_keys(8, 9) is pg.by_both_keys(8, 9)  # kept, not built again
    assert pg.by_both_keys(3, 2).count("%s") == sqlite.by_both_keys(3, 2).count("?") == 6
    assert pg.dupes(4).count("%s") == sqlite.dupes(4).count("?") == 8
    assert pg.page(20).count("%s") == 21 and pg.page(20) in pg.generic
    assert pg.by_family_keys(3) not in pg.generic and pg.by_last4 in pg.generic
    assert pg.family_only in pg.generic and pg.dupes(4) in pg.generic and not sqlite.generic


def _candidates(ctx, text: str) -> tuple[set[int], int]:
    """A search's candidates found by an exact step (the fuzzy pools differ by engine, see
    above), and the round trips it took on PostgreSQL (0 on SQLite)."""
    from coordinator_tui.domain.lookup_query import parse_lookup
    from coordinator_tui.services.patients.lookup import searcher

    query = parse_lookup(text, day_first=ctx.settings.day_first, today=ctx.today())
    with ctx.db.read() as session:
        search = searcher(ctx, session.connection(), query, ctx.today(), 20)
        search.gather()
        exact = {pid for pid, cand in search.found.items() if cand.via - {"fuzzy"}}
        return exact, getattr(search.raw, "round_trips", 0)


def test_each_search_phase_is_one_round_trip_with_the_same_candidates(both):
    """The search asks PostgreSQL a phase at a time (names as typed with the vocabulary's
    sound-alikes and close spellings; trigram neighbours; fuzzy expansions), each phase one
    pipelined round trip, and gathers the same candidates as SQLite for every exact kind. Before
    this a typo search made up to ~20 round trips."""
    sqlite_ctx, pg = both
    with sqlite_ctx.db.engine.connect() as conn:
        family, given, born, mobile, mrn = conn.execute(sql(
            "SELECT family_name, given_name, birth_date, phone_mobile, mrn FROM patients "
            "WHERE merged_into_id IS NULL AND length(family_key) >= 6 ORDER BY id LIMIT 1")).one()
    born = date.fromisoformat(str(born))
    typo = family[0] + family[2] + family[1] + family[3:]  # the first letters swapped: trigrams
    exact = {mrn: 1, mobile[-4:]: 1, f"{born.month}/{born.day}/{born.year}": 1,
             f"{family} {born.month}/{born.day}/{born.year}": 2, f"{family}, {given}": 3,
             f"{given} {family}": 3, family: 3}
    for text, most in exact.items():
        on_sqlite, _none = _candidates(sqlite_ctx, text)
        on_pg, trips = _candidates(pg, text)
        assert on_pg == on_sqlite, text
        assert 1 <= trips <= most, (text, trips)
    _exact, trips = _candidates(pg, f"{typo} {given}")
    assert trips <= 3, trips  # names as typed + vocabulary, trigram neighbours, expansions
    hits = search_patients(pg, actor_for(pg, "demo"), f"{typo} {given}", limit=5)
    assert (family, given) in [(h.family_name, h.given_name) for h in hits]


def test_answers_fetched_ahead_are_the_answers_asked_alone(pg_ctx):  # noqa: F811
    """Statements fetched together in one round trip come back each with its own rows, as each
    asked alone; asked again, an answer costs no round trip."""
    from coordinator_tui.services.patients.lookup_pg import PgStatements
    from coordinator_tui.services.patients.lookup_scores import phonetic_key

    pg = statements_for("postgresql")
    sounds = (pg.vocab_phonetic, ("f", phonetic_key("smiht")))
    prefix = (pg.vocab_prefix, ("f", "sm", "sn"))
    with pg_ctx.db.read() as session:
        raw = session.connection().connection.driver_connection
        alone = [raw.execute(s, p).fetchall() for s, p in (sounds, prefix)]
        statements = PgStatements(raw)
        statements.fetch_ahead([sounds, prefix])
        assert statements.round_trips == 1 and statements.statements == 2  # the plan mode, one UNION ALL
        together = [statements.execute(*sounds).fetchall(), statements.execute(*prefix).fetchall()]
        assert statements.round_trips == 1  # answered from what came back
    assert together[0] == alone[0] and sorted(together[1]) == sorted(alone[1])
    assert ("smith",) in together[1]


def test_names_as_typed_and_their_vocabulary_questions_are_one_statement(pg_ctx):  # noqa: F811
    """A name search's first round trip (its names as typed, its words' sound-alikes and close
    spellings) is one statement, each answer as asked alone; past psycopg's cache of converted
    statements (50 parameters) it stays two."""
    from coordinator_tui.services.patients.lookup_pg import PgStatements
    from coordinator_tui.services.patients.lookup_scores import phonetic_key

    pg = statements_for("postgresql")
    names = [(pg.family_only, ("smith", "smiti", 60)), (pg.given_only, ("john", "joho", 15))]
    words = [(pg.vocab_phonetic, ("f", phonetic_key("smiht"))), (pg.vocab_prefix, ("f", "sm", "sn"))]
    with pg_ctx.db.read_driver(PG_SESSION) as raw:
        alone = [raw.execute(*ask).fetchall() for ask in (*names, *words)]
        statements = PgStatements(raw, fixed=True)
        statements.fetch_ahead([*names, *words])
        assert statements.round_trips == 1 and statements.statements == 1
        together = [statements.execute(*ask).fetchall() for ask in (*names, *words)]
        assert statements.round_trips == 1  # answered from what came back
        many = [(pg.vocab_prefix, ("g", chr(97 + i), chr(98 + i))) for i in range(16)]  # 48 more
        statements = PgStatements(raw, fixed=True)
        statements.fetch_ahead([*names, *many])
        assert statements.round_trips == 1 and statements.statements == 2
        assert statements.execute(*many[9]).fetchall() == raw.execute(*many[9]).fetchall()
    assert together[:2] == alone[:2] and together[1]
    assert together[2] == alone[2] and sorted(together[3]) == sorted(alone[3]) and ("smith",) in together[3]


def test_the_sign_in_warm_up_leaves_a_connection_the_first_search_uses(pg_ctx):  # noqa: F811
    """Connecting (and signing in to the server) costs more than a search: the warm-up at
    sign-in opens the lookup pool's connection, so the desk's first search does not; it reads
    only."""
    from coordinator_tui.services.patients.lookup import WARM_SEARCHES, warm_lookup

    lookup_pool = pg_ctx.db.fixed_engine(PG_SESSION)
    with pg_ctx.db.engine.connect() as conn:
        audit = conn.execute(sql("SELECT count(*) FROM audit_events")).scalar()
    lookup_pool.dispose()  # no connection in the pool now
    assert warm_lookup(pg_ctx) == len(WARM_SEARCHES)
    pool = lookup_pool.pool
    assert pool.checkedin() == 1
    with pg_ctx.db.read_driver(PG_SESSION) as raw:
        warm_pid = raw.info.backend_pid
    search_patients(pg_ctx, actor_for(pg_ctx, "demo"), "smith", limit=5)
    assert pool.checkedin() == 1  # the same connection, none opened for the search
    with pg_ctx.db.read_driver(PG_SESSION) as raw:
        assert raw.info.backend_pid == warm_pid
    with pg_ctx.db.read() as session:
        assert session.execute(sql("SELECT count(*) FROM audit_events")).scalar() == audit


def test_the_lookup_reads_on_a_pool_of_its_own_with_its_settings_and_no_transaction(pg_ctx):  # noqa: F811
    """The lookup's connections are opened with its settings (lookup_sql.PG_SESSION) and in
    autocommit: a search sends no BEGIN, SET or COMMIT (an MRN: its row, then the page's
    appointments and duplicates as one statement; 5 statements before), and the desk's other
    connections keep PostgreSQL's own settings."""
    from coordinator_tui.services.patients import lookup_pg

    counts = []
    fetch = lookup_pg.PgStatements.fetch_ahead

    def counted(self, statements):
        before = self.statements
        fetch(self, statements)
        counts.append(self.statements - before)

    lookup_pg.PgStatements.fetch_ahead = counted
    try:
        hits = search_patients(pg_ctx, actor_for(pg_ctx, "demo"), "M0000042", limit=5)
    finally:
        lookup_pg.PgStatements.fetch_ahead = fetch
    assert [h.mrn for h in hits] == ["M0000042"] and counts == [1, 1]
    with pg_ctx.db.read_driver(PG_SESSION) as raw:
        assert raw.autocommit
        assert [raw.execute(f"SHOW {name}").fetchone()[0] for name, _v in PG_SESSION] == [v for _n, v in PG_SESSION]
    with pg_ctx.db.read() as session:
        assert session.execute(sql("SHOW plan_cache_mode")).scalar() == "auto"


def test_trigram_neighbours_share_one_of_the_words_own_trigrams(pg_ctx):  # noqa: F811
    """The typo step's pool: word similarity of at least 0.25 and one trigram of the word's own
    letters in common (as SQLite's vocabulary); terms sharing only the first two letters, or only
    the ending, no longer crowd the nearest 80 (they cost most of the step at 1M patients)."""
    from coordinator_tui.services.patients.lookup_pg import (
        PgStatements,
        PgVocabulary,
        shared_trigram_pattern,
    )

    for family in ("Marquez", "Maddox", "Malone", "Martinez"):
        add_patient(pg_ctx, family, "Ana", date(1980, 1, 2))
    assert shared_trigram_pattern("ma.qz") == r"(\.qz|a\.q|ma\.)"  # letters only, escaped
    with pg_ctx.db.read() as session:
        raw = session.connection().connection.driver_connection
        vocab = PgVocabulary(PgStatements(raw))
        near = vocab.sharing_trigrams("f", "maqruez")
    assert "marquez" in near  # starts "ma", ends "uez"
    assert "maddox" not in near and "malone" not in near  # only "ma" in common


def test_pair_statements_in_planner_form_give_the_rows_of_the_shared_form(pg_ctx):  # noqa: F811
    """The fuzzy expansion (family keys x given keys) and the duplicates question go to
    PostgreSQL as joins of their lists (lookup_sql: the IN-list form read every patient with
    any of the given names); the rows are those of SQLite's form of the statement, a term
    listed twice included."""
    sqlite, pg = statements_for("sqlite"), statements_for("postgresql")

    with pg_ctx.db.read() as session:
        raw = session.connection().connection.driver_connection
        rows = raw.execute("SELECT family_key, given_key, birth_date::text FROM patients "
                           "WHERE merged_into_id IS NULL ORDER BY id LIMIT 6").fetchall()
        families = [r[0] for r in rows[:4]] + [rows[0][0], "nosuchname"]
        givens = [r[1] for r in rows[1:]]
        both = pg.by_both_keys(len(families), len(givens))
        params = (*families, *givens, 200)
        shared = sqlite.by_both_keys(len(families), len(givens)).replace("?", "%s")
        assert "VALUES" in both
        joined = raw.execute(both, params).fetchall()
        assert joined and sorted(joined) == sorted(raw.execute(shared, params).fetchall())
        pairs = sorted({(r[2], r[0]) for r in rows})
        flat = tuple(v for pair in pairs for v in pair)
        assert "VALUES" in pg.dupes(len(pairs))
        assert (sorted(raw.execute(pg.dupes(len(pairs)), flat).fetchall())
                == sorted(raw.execute(sqlite.dupes(len(pairs)).replace("?", "%s"), flat).fetchall()))


def test_generic_plans_for_value_independent_statements_never_for_fuzzy_family_names(pg_ctx):  # noqa: F811
    """Name statements and a phone's last four digits run on generic plans (a prepared
    statement is then not planned again, lookup_sql); the fuzzy family names alone (a generic
    plan cannot know a name is common) on plans made for their values, also when a search
    before them in the same transaction left generic plans on (the sign-in warm-up runs its
    searches in one transaction)."""
    from coordinator_tui.services.patients.lookup_pg import PgStatements

    pg = statements_for("postgresql")
    name = (pg.family_only, ("smith", "smiti", 60))
    last4 = (pg.by_last4, ("0010", "0011", "0010", "0011"))
    families = (pg.by_family_keys(2), ("smith", "smyth", 60))
    with pg_ctx.db.read() as session:
        raw = session.connection().connection.driver_connection
        modes = []
        for statement in (name, families, last4, families):
            PgStatements(raw).fetch_ahead([statement])  # a search of its own, each
            modes.append(raw.execute("SHOW plan_cache_mode").fetchone()[0])
        both = PgStatements(raw)
        both.fetch_ahead([name, families])  # one UNION ALL: on plans made for its values
        assert both.round_trips == 1 and both.statements == 2  # the plan mode, the union
        modes.append(raw.execute("SHOW plan_cache_mode").fetchone()[0])
    assert modes == ["force_generic_plan", "auto", "force_generic_plan", "auto", "auto"]


def test_last_four_digits_read_each_row_once_with_the_rows_of_the_shared_form(pg_ctx):  # noqa: F811
    """PostgreSQL's form of the last-four question (the phone indexes ORed into one bitmap, each
    row read once; lookup_sql._last4_pg) returns the rows of SQLite's form (the ids by the
    phone indexes, then the rows) in the same order, the first 200 kept, and its generic plan
    never walks the primary key in id order (the plan that read every patient)."""
    sqlite, pg = statements_for("sqlite"), statements_for("postgresql")
    shared = sqlite.by_last4.replace("?", "%s")
    assert pg.by_last4 != shared and "OR" in pg.by_last4
    with pg_ctx.db.read() as session:
        raw = session.connection().connection.driver_connection
        tails = [r[0][:1] for r in raw.execute("SELECT phone_mobile_rev FROM patients "
                                               "WHERE phone_mobile_rev IS NOT NULL LIMIT 3").fetchall()]
        for lo, hi in [("0010", "0011"), *((t, chr(ord(t) + 1)) for t in tails), ("0", ":")]:
            params = (lo, hi) * 2  # the last: every number, more than 200 rows
            mine = raw.execute(pg.by_last4, params).fetchall()
            assert mine == raw.execute(shared, params).fetchall(), lo
        assert len(mine) == 200
        raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        numbered = pg.by_last4
        for n in range(1, 5):
            numbered = numbered.replace("%s", f"${n}", 1)
        raw.execute(f"PREPARE last4 AS {numbered}")
        plan = "\n".join(r[0] for r in raw.execute("EXPLAIN EXECUTE last4('0010', '0011', '0010', '0011')"))
        raw.execute("DEALLOCATE last4")
    assert "$1" in plan, plan  # the generic plan
    assert "pk_patients" not in plan, plan


def test_a_result_pages_appointments_and_duplicates_are_one_statement(pg_ctx):  # noqa: F811
    """The result page's next appointments and possible duplicates: one statement on
    PostgreSQL (lookup_sql.page, per id), the answers of the two questions the shared search
    asks (next_appt, dupes), a pair two patients hold included."""
    from coordinator_tui.domain.lookup_query import parse_lookup
    from coordinator_tui.services.patients.lookup import searcher
    from coordinator_tui.services.patients.lookup_search import Search
    from coordinator_tui.services.patients.lookup_sql import HIT_COLUMNS

    twin = add_patient(pg_ctx, "Quenby", "Ada", date(1961, 2, 3))
    add_patient(pg_ctx, "Quenby", "Ava", date(1961, 2, 3))
    today = pg_ctx.today()
    query = parse_lookup("quenby", day_first=pg_ctx.settings.day_first, today=today)
    with pg_ctx.db.read_driver(PG_SESSION) as raw:
        rows = raw.execute(f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.merged_into_id IS NULL AND "
                           f"(p.id = %s OR EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p.id)) "
                           f"ORDER BY p.id DESC LIMIT 20", (twin,)).fetchall()
        now = raw.execute("SELECT min(starts_at) AT TIME ZONE 'UTC' FROM appointments").fetchone()[0].isoformat(" ")
        one = searcher(pg_ctx, raw, query, today, 20, fixed=True)
        facts = one.page_facts(rows, now)
        assert one.raw.round_trips == 1 and one.raw.statements == 1
        two = searcher(pg_ctx, raw, query, today, 20, fixed=True)
        assert Search.page_facts(two, rows, now) == facts  # next_appt and dupes, asked apart
        assert two.raw.statements == 2
    next_appt, dupes = facts
    assert len(next_appt) >= 10 and dupes == {("1961-02-03", "quenby")}
