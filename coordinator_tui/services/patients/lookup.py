"""Patient lookup: one box, one grammar (domain.lookup_query), used by every desk and by
`coordinator find`.

How a query is answered (every database step is an indexed, bounded query; ranking is Python
over at most a few hundred candidates):
  1. identifiers: MRN (a merged-away MRN lands on its survivor) and insurance member id, exact;
  2. phone: the whole number, or its last four digits as a prefix range on the reversed digits;
  3. birth date: equality on (birth_date, family_key);
  4. names: every split of the words into family / given, both ways round (swapped names,
     double surnames "garcia lopez maria"):
       - prefix ranges on the (family_key, given_key) and (given_key, family_key) indexes
         (`key >= 'smi' AND key < 'smj'`, never lower() LIKE);
       - fuzzy terms from the name vocabulary (migration 0002): same phonetic key (Jon/John,
         Smyth/Smith) or sharing trigrams (typos, "jones" inside "smithjones"), ranked by
         Jaro-Winkler, the best few expanded through the patients' key indexes; two words that
         found nothing either way are also tried joined, as one double surname with a typo
         ("wallace gilmour" -> Wallace-Gilmore).
  5. rank: exact before fuzzy (tier), then score; with `today_first`, patients with an
     appointment today come first (the check-in desk).

Steps 1-4 are lookup_search.py (shared by both engines; lookup_pg.py runs them on PostgreSQL),
step 5 is here. Searching is not audited per keystroke (it would write on every key); opening a record is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from coordinator_tui.domain.lookup_query import LookupQuery, parse_lookup
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.errors import UserError
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.patients.lookup_rank import rank
from coordinator_tui.services.patients.lookup_search import FUZZY_TERMS, Search
from coordinator_tui.services.patients.lookup_sql import PG_SESSION, SQL_BY_LAST4, chunks
from coordinator_tui.services.patients.lookup_vocab import vocabulary_for
from coordinator_tui.store.bulk import sql_instant

__all__ = ["FUZZY_TERMS", "MAX_LIMIT", "SQL_BY_LAST4", "PatientHit", "search_patients"]

MAX_LIMIT = 200


@dataclass(frozen=True)
class PatientHit:
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    age: int
    sex: str
    phone_masked: str
    next_appointment: datetime | None
    has_alerts: bool
    possible_duplicate: bool
    score: float
    reason: str
    scheduled_today: bool = False
    # Every part of the query matched as typed (not a typo, sound-alike or near date): express
    # check-in picks the one such patient among today's (tui/screens/checkin/flow.py).
    exact: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


def searcher(ctx: AppContext, conn, query: LookupQuery, today: date, limit: int, *,
             fixed: bool = False) -> Search:
    """The dialect switch point: SQLite's vocabulary in memory, or PostgreSQL's pg_trgm (lookup_pg).
    `conn`: ctx.db's DB-API connection in a read transaction (`Database.read_driver`), or a
    SQLAlchemy Connection of it; `fixed`: from `read_driver(PG_SESSION)` (PostgreSQL: the
    lookup's settings are the session's, lookup_pg.PgStatements)."""
    raw = conn.connection.driver_connection if isinstance(conn, Connection) else conn
    if ctx.db.engine.dialect.name == "postgresql":
        from coordinator_tui.services.patients.lookup_pg import PgSearch
        return PgSearch(raw, query, today, limit, fixed=fixed)
    vocab = vocabulary_for(ctx.db)
    vocab.refresh(raw)
    return Search(raw, "sqlite", query, today, limit, vocab)


# One search of each kind, at sign-in on PostgreSQL (warm_lookup): a name no one has (its
# sound-alikes, close spellings, trigram neighbours and their expansions), a birth date, the
# last four digits of a phone, an MRN.
WARM_SEARCHES = ("qzxwv jkqvb", "1/1/1970", "0100", "M0000001")


def warm_lookup(ctx: AppContext) -> int:
    """At sign-in, in the background, so the desk's first search is as quick as the rest.
    SQLite: the name vocabulary into memory (lookup_vocab). PostgreSQL: the pool's connection
    opened (connecting and signing in cost more than a search) and one search of each kind run
    on it, which fills that server process's catalog caches and reads the lookup's indexes'
    upper pages and the name vocabulary with its trigram index. Returns the searches run (0 on
    SQLite), reading only: nothing is written, nothing audited."""
    if ctx.db.path is not None:
        from coordinator_tui.services.patients.lookup_vocab import warm_vocabulary

        warm_vocabulary(ctx)
        return 0
    today = ctx.today()
    for text in WARM_SEARCHES:  # on the lookup's own pool, as search_patients reads
        with ctx.db.read_driver(PG_SESSION) as conn:
            query = parse_lookup(text, day_first=ctx.settings.day_first, today=today)
            searcher(ctx, conn, query, today, 20, fixed=True).gather()
    return len(WARM_SEARCHES)


def _clamp_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise UserError("the number of results must be a whole number")
    if limit < 1 or limit > MAX_LIMIT:
        raise UserError(f"the number of results must be between 1 and {MAX_LIMIT}")
    return limit


def search_patients(ctx: AppContext, actor: Actor, text: str, *, limit: int = 20,
                    today_first: bool = False) -> list[PatientHit]:
    """Patients matching the search box text, best first (at most `limit`)."""
    if not isinstance(text, str):
        raise UserError("the search must be text")
    limit = _clamp_limit(limit)
    today = ctx.today()
    query = parse_lookup(text, day_first=ctx.settings.day_first, today=today)
    if query.is_empty:
        return []
    with ctx.db.read_driver(PG_SESSION) as conn:  # PostgreSQL: the lookup's own pool
        search = searcher(ctx, conn, query, today, limit, fixed=True)
        search.gather()
        today_ids: set[int] = set()
        if today_first:
            start, end = day_bounds_utc(today, ctx.settings.tz)
            today_ids = {r[0] for r in search.raw.execute(search.sql.today, (sql_instant(start), sql_instant(end)))}
            # Today's patients are few: look at all of them, so a common name cannot hide them.
            missing = [pid for pid in today_ids if pid not in search.found]
            for chunk in chunks(missing, 400):
                search.run(search.sql.by_ids(len(chunk)), chunk, "today")
        ranked = rank(search, query, today_ids, limit)
        return _hits(search, ranked, ctx, today, today_ids)


def _hits(search: Search, ranked, ctx: AppContext, today: date, today_ids: set[int]) -> list[PatientHit]:
    if not ranked:
        return []
    stored, dupes = search.page_facts([row for row, *_rest in ranked], sql_instant(ctx.now()))
    next_appt: dict[int, datetime] = {pid: _instant(at) for pid, at in stored.items()}
    hits = []
    for row, score, reason, exact in ranked:
        birth = date.fromisoformat(str(row[8]))
        hits.append(PatientHit(
            id=row[0], mrn=row[1], family_name=row[2], given_name=row[3], birth_date=birth,
            age=age_on(birth, today), sex=row[9], phone_masked=_masked(row, search.q),
            next_appointment=next_appt.get(row[0]), has_alerts=bool(row[12] and row[12].strip()),
            possible_duplicate=(str(row[8]), row[4]) in dupes, score=round(score, 3),
            reason=reason, scheduled_today=row[0] in today_ids, exact=exact,
        ))
    return hits


def _masked(row: tuple, query: LookupQuery) -> str:
    """The phone that matched the search (home or mobile), else the mobile, as '•••-0123'.

    Built from the stored reversed digits (as phones.masked does, without parsing each number)."""
    rev = row[14] or row[15]
    if row[15] and ((query.phone_last4 and row[15].startswith(query.phone_last4[::-1]))
                    or (query.phone and row[15] == query.phone[::-1])):
        rev = row[15]
    return "•••-" + rev[:4][::-1] if rev else ""


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

