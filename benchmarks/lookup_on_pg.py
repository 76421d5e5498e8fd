"""bench_lookup.py's PostgreSQL run: the same clinic in SQLite and in PostgreSQL, the same searches
on both, interleaved query by query (so the load of a shared machine falls on both alike), with
each engine's raw-query floor beside it.

The SQLite clinic is seeded as bench_lookup always does (`seed_clinic`); PostgreSQL gets the same
rows by COPY (psycopg's `cursor.copy`), with its secondary indexes and the name vocabulary's
trigger set aside during the load and built once afterwards. The load time is printed.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from coordinator_tui.services.patients.lookup_pg import shared_trigram_pattern
from coordinator_tui.services.patients.lookup_sql import WORD_SIMILARITY
from coordinator_tui.store.models import Base

SKIP_TABLES = ("audit_events",)  # the lookup reads none; the audit chain is not copied
# The typo step's trigram question alone, as the lookup asks it (lookup_pg.VOCAB_NEAR).
FLOOR_TYPO_PG = ("SELECT key FROM patient_search_vocab WHERE kind = 'f' "
                 "AND key %%> %s AND key ~ %s ORDER BY key <->> %s LIMIT 80")


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_patients(url: str) -> int | None:
    """Patients in the PostgreSQL clinic; None when it has no schema yet."""
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        exists = conn.execute("SELECT to_regclass('patients')").fetchone()[0]
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0] if exists else None


def build_schema(url: str) -> None:
    # Until the Alembic history runs on PostgreSQL (branch pgcore), the test helper builds the
    # schema from the models plus migration 0014's PostgreSQL part; afterwards: ensure_current.
    from tests.helpers.pg_clinic import build_schema as from_models

    from_models(url)


def copy_clinic(sqlite_path: Path, url: str) -> dict[str, float]:
    """COPY every table (but the audit trail) from the SQLite clinic; seconds per stage."""
    import psycopg

    times: dict[str, float] = {}
    src = sqlite3.connect(sqlite_path)
    with psycopg.connect(conninfo(url)) as conn:
        start = time.perf_counter()
        tables = [t for t in Base.metadata.sorted_tables if t.name not in SKIP_TABLES]
        names = [t.name for t in tables]
        saved = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)", (names,)).fetchall()
        for index, _definition in saved:
            conn.execute(f'DROP INDEX "{index}"')
        conn.execute("ALTER TABLE patients DISABLE TRIGGER USER")
        for table in tables:
            columns = [c.name for c in table.columns]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = src.execute(f'SELECT {quoted} FROM "{table.name}"')
            with conn.cursor().copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        times["copy"] = time.perf_counter() - start
        start = time.perf_counter()
        for _index, definition in saved:
            conn.execute(definition)
        conn.execute("ALTER TABLE patients ENABLE TRIGGER USER")
        for kind, key, sound in (("f", "family_key", "family_phonetic"), ("g", "given_key", "given_phonetic")):
            conn.execute(f"INSERT INTO patient_search_vocab (kind, key, phonetic) SELECT '{kind}', {key}, "
                         f"min({sound}) FROM patients GROUP BY {key} ON CONFLICT (kind, key) DO NOTHING")
        for table in tables:
            if "id" in table.c:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                             f"coalesce((SELECT max(id) FROM \"{table.name}\"), 1))")
        conn.commit()
        times["indexes"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        times["analyze"] = time.perf_counter() - start
    src.close()
    return times


def pg_floor(kind: str, sql: str, params: tuple, text: str) -> tuple[str, tuple]:
    """bench_lookup's SQLite floor statement for a kind, as PostgreSQL asks the same question.
    A typo's: the trigram question for the misspelt family name the search holds (it was the
    name's first three letters, whose question the lookup never asks: at 1M patients it cost
    more than the whole word's)."""
    if kind == "typo":
        from coordinator_tui.domain.names import name_key

        word = name_key(text.split()[0])
        return FLOOR_TYPO_PG, (word, shared_trigram_pattern(word), word)
    return sql.replace("?", "%s").replace("\uffff", "\U0010ffff"), params


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _fetch(conn, sql: str, params) -> list:
    return conn.execute(sql, params).fetchall()


TRIPS: list[int] = []  # the round trips of PostgreSQL searches (lookup_pg.PgStatements)
BACKENDS: set[int] = set()  # the server processes that answered them


def server_cpu_ms() -> float | None:
    """CPU time the searches' server processes have used so far (a server on this machine:
    /proc; None otherwise). On a loaded machine wall time mostly waits for a core; this does not."""
    total = 0
    try:
        for pid in BACKENDS:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    except (OSError, IndexError, ValueError):
        return None
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def _count_trips() -> None:
    from coordinator_tui.services.patients import lookup_pg

    fetch = lookup_pg.PgStatements.fetch_ahead
    if getattr(fetch, "counted", False):
        return

    def counted(self, statements) -> None:
        BACKENDS.add(self._conn.info.backend_pid)
        before = self.round_trips
        fetch(self, statements)
        TRIPS.append(self.round_trips - before)

    counted.counted = True
    lookup_pg.PgStatements.fetch_ahead = counted


def compare(search, sqlite_ctx, pg_ctx, sqlite_actor, pg_actor, raw_sqlite, pg_url, kinds) -> dict:
    """Per kind: service p50/p95 on each engine and each engine's floor, interleaved."""
    import psycopg

    _count_trips()

    raw_pg = psycopg.connect(conninfo(pg_url), autocommit=True)
    raw_pg.execute(f"SET pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}")  # as the lookup

    def run_search(ctx, actor, text: str):
        return search(ctx, actor, text, limit=20)

    print(f"load average {os.getloadavg()[0]:.2f} (2 cores; wall figures wait for a core when it is high)")
    print(f"{'query kind':<22} {'sqlite p50':>10} {'p95':>6} {'cpu p95':>7} {'floor p95':>9} | "
          f"{'postgres p50':>12} {'p95':>6} {'client cpu p95':>14} {'server cpu':>10} {'trips':>5} {'floor p95':>9}  (ms)")
    results = {}
    for kind, items in kinds.items():
        for text, _sql, _p in items[:10]:  # warm both
            search(sqlite_ctx, sqlite_actor, text, limit=20)
            search(pg_ctx, pg_actor, text, limit=20)
        timing: dict[str, list[float]] = {"s": [], "sf": [], "p": [], "pf": [], "sc": [], "pc": []}
        trips_before, server_before = sum(TRIPS), server_cpu_ms()
        for text, sql, params in items:
            pg_sql, pg_params = pg_floor(kind, sql, params, text)
            calls = (("s", run_search, (sqlite_ctx, sqlite_actor, text)),
                     ("sf", _fetch, (raw_sqlite, sql, params)),
                     ("p", run_search, (pg_ctx, pg_actor, text)),
                     ("pf", _fetch, (raw_pg, pg_sql, pg_params)))
            for key, call, call_args in calls:
                start, cpu = time.perf_counter(), time.thread_time()
                call(*call_args)
                timing[key].append((time.perf_counter() - start) * 1000)
                if key in ("s", "p"):
                    timing[key + "c"].append((time.thread_time() - cpu) * 1000)
        s, sf, p, pf = timing["s"], timing["sf"], timing["p"], timing["pf"]
        trips = (sum(TRIPS) - trips_before) / len(items)  # round trips per search (warm-up excluded)
        server_after = server_cpu_ms()
        server = ("-" if server_before is None or server_after is None  # mean per search
                  else f"{(server_after - server_before) / len(items):.2f}")
        print(f"{kind:<22} {statistics.median(s):>10.2f} {pct(s, 95):>6.2f} {pct(timing['sc'], 95):>7.2f} "
              f"{pct(sf, 95):>9.3f} | {statistics.median(p):>12.2f} {pct(p, 95):>6.2f} "
              f"{pct(timing['pc'], 95):>14.2f} {server:>10} {trips:>5.1f} {pct(pf, 95):>9.3f}")
        results[kind] = {"sqlite_p95": pct(s, 95), "pg_p95": pct(p, 95)}
    print(f"load average {os.getloadavg()[0]:.2f}; trips: PostgreSQL round trips per search (the "
          "pool no longer pings at checkout); server cpu: the server process's CPU per search, mean")
    raw_pg.close()
    return results
