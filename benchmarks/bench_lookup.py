"""Patient lookup at scale: p50/p95/p99 per query kind at the service level, beside the raw SQLite
floor for the same question, keystroke-to-results-drawn in the app at 80x24, and peak RSS.

    python benchmarks/bench_lookup.py --patients 1000000 --db /tmp/lookup-1m.sqlite [--cold]
    python benchmarks/bench_lookup.py --patients 1000000 --db postgresql+psycopg://USER:PASS@HOST:PORT/DB \
        [--sqlite /tmp/lookup-1m.sqlite]

Given a PostgreSQL URL, the same clinic is measured in SQLite (--sqlite) and in PostgreSQL side
by side (benchmarks/lookup_on_pg.py); the PostgreSQL database is loaded by COPY when empty.

The database is seeded when empty (`coordinator seed`, ~80-120 s for a million) and reused
otherwise. Prints figures; never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db_arg import sqlite_or_postgresql  # noqa: E402
from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.config import load_settings  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.patients.lookup import search_patients  # noqa: E402
from coordinator_tui.services.patients.lookup_vocab import warm_vocabulary  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402
from coordinator_tui.store.migrate import ensure_current  # noqa: E402
from coordinator_tui.store.page_warmer import warm_page_cache  # noqa: E402

RUNS = 200


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def sample(conn: sqlite3.Connection, count: int, rng: random.Random) -> list[tuple]:
    top = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    rows = []
    while len(rows) < count:
        row = conn.execute(
            "SELECT mrn, family_name, given_name, birth_date, phone_mobile, family_key, given_key, "
            "phone_mobile_rev FROM patients WHERE id = ? AND merged_into_id IS NULL",
            (rng.randrange(1, top + 1),)).fetchone()
        if row:
            rows.append(row)
    return rows


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap two letters


def queries(rows, rng) -> dict[str, list[tuple[str, str, tuple]]]:
    """kind -> [(search text, floor SQL, floor params)]"""
    cols = "SELECT id FROM patients WHERE "
    out: dict[str, list] = {k: [] for k in ("surname", "surname, given", "prefix 'smi jo'",
                                            "first last (swapped)", "typo", "sounds like",
                                            "name + DOB", "DOB", "phone", "phone last 4", "MRN")}
    for mrn, family, given, born, mobile, fkey, gkey, rev in rows:
        d = date.fromisoformat(born)
        out["surname"].append((family, cols + "family_key >= ? AND family_key < ? LIMIT 60",
                               (fkey, fkey + "\uffff")))
        out["surname, given"].append((f"{family}, {given}", cols + "family_key = ? AND given_key = ? LIMIT 60",
                                      (fkey, gkey)))
        out["prefix 'smi jo'"].append((f"{fkey[:3]} {gkey[:2]}", cols +
                                       "family_key >= ? AND family_key < ? AND given_key >= ? AND given_key < ? LIMIT 60",
                                       (fkey[:3], fkey[:3] + "\uffff", gkey[:2], gkey[:2] + "\uffff")))
        out["first last (swapped)"].append((f"{given} {family}", cols + "family_key = ? AND given_key = ? LIMIT 60",
                                            (fkey, gkey)))
        out["typo"].append((f"{typo(family, rng)} {given}", "SELECT rowid FROM patient_search_trigram "
                            "WHERE patient_search_trigram MATCH ? LIMIT 80", (f'"{fkey[:3]}"',)))
        out["sounds like"].append((f"{family.replace('i', 'y').replace('C', 'K')} {given}",
                                   cols + "family_phonetic = (SELECT family_phonetic FROM patients WHERE family_key = ? LIMIT 1) LIMIT 60",
                                   (fkey,)))
        out["name + DOB"].append((f"{family} {d.month}/{d.day}/{d.year}", cols + "birth_date = ? AND family_key = ?",
                                  (born, fkey)))
        out["DOB"].append((f"{d.month}/{d.day}/{d.year}", cols + "birth_date = ? LIMIT 200", (born,)))
        nat = mobile[2:]
        out["phone"].append((f"({nat[:3]}) {nat[3:6]}-{nat[6:]}", cols + "phone_mobile_rev = ? "
                             "UNION SELECT id FROM patients WHERE phone_home_rev = ?", (rev, rev)))
        out["phone last 4"].append((nat[-4:], cols + "phone_mobile_rev >= ? AND phone_mobile_rev < ? LIMIT 200",
                                    (rev[:4], rev[:4] + "\uffff")))
        out["MRN"].append((mrn, cols + "mrn = ?", (mrn,)))
    return out


def bench_service(ctx, actor, raw: sqlite3.Connection, kinds) -> None:
    """Wall time, and the search's CPU time (this thread: on a shared machine the wall time
    also holds the waits for a core, the CPU time does not), beside the floor."""
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores; wall figures wait for a core when it is high)")
    print(f"{'query kind':<22} {'service p50':>11} {'p95':>7} {'p99':>7} {'cpu p50':>7} {'p95':>6}"
          f"   {'sqlite floor p50':>16} {'p95':>7}  (ms)")
    for kind, items in kinds.items():
        for text, _sql, _p in items[:10]:  # warm caches
            search_patients(ctx, actor, text, limit=20)
        service, cpu, floor = [], [], []
        for text, sql, params in items:
            t, c = time.perf_counter(), time.thread_time()
            search_patients(ctx, actor, text, limit=20)
            cpu.append((time.thread_time() - c) * 1000)
            service.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw.execute(sql, params).fetchall()
            floor.append((time.perf_counter() - t) * 1000)
        print(f"{kind:<22} {statistics.median(service):>11.2f} {pct(service, 95):>7.2f} {pct(service, 99):>7.2f}"
              f" {statistics.median(cpu):>7.2f} {pct(cpu, 95):>6.2f}"
              f"   {statistics.median(floor):>16.3f} {pct(floor, 95):>7.3f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


async def bench_keystrokes(ctx, actor, rows) -> list[float]:
    """Time from a key arriving to the first frame drawn with the answer for the new text.

    Keys are handed to the app's driver as the terminal driver does when it reads stdin (not
    through Pilot.press, whose waits for the whole process to go idle cost 100+ ms a key and
    would measure the test harness). "Drawn" is the first screen update (`App._display`, which
    writes the frame to the terminal) after the table holds the results for the text now in the
    box. Keys are typed one at a time, each once the previous one's results are drawn."""
    from textual import events

    from coordinator_tui.tui.app import CoordinatorApp, preload_desks

    preload_desks(freeze=True)  # as the app does in a real terminal while the user signs in
    app = CoordinatorApp(ctx, actor)
    frames: list[float] = []
    display = app._display

    def stamped_display(screen, renderable):
        frames.append(time.perf_counter())
        return display(screen, renderable)

    app._display = stamped_display
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        box = screen.query_one("#patients-search")
        for _mrn, family, given, *_ in rows[:40]:
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            for ch in f"{family[:5]} {given[:2]}".lower():
                key = events.Key("space" if ch == " " else ch, ch)
                key.set_sender(app)
                start = time.perf_counter()
                app._driver.send_message(key)
                answered = None
                while time.perf_counter() - start < 5:
                    if answered is None and box.value.endswith(ch) and screen.shown_text == box.value:
                        answered = time.perf_counter()
                    if answered is not None and frames and frames[-1] >= answered:
                        break
                    await asyncio.sleep(0.0005)
                times.append((frames[-1] - start) * 1000)
    return times


def bench_vocabulary_step(ctx, raw: sqlite3.Connection, rows, rng) -> None:
    """The typo step's question to the name vocabulary, beside the former code: the FTS5
    trigram query sorted by rank (54% of a typo lookup before issue 23) against the vocabulary
    in memory (services/patients/lookup_vocab.py), alternating word by word."""
    from coordinator_tui.services.patients.lookup_sql import SQL_VOCAB_TRIGRAM, trigram_query
    from coordinator_tui.services.patients.lookup_vocab import vocabulary_for

    vocab = vocabulary_for(ctx.db)
    former, now = [], []
    for row in rows:
        word = typo(row[5], rng)
        if len(word) < 4:
            continue
        t = time.perf_counter()
        raw.execute(SQL_VOCAB_TRIGRAM, (trigram_query(word), "f")).fetchall()
        former.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        vocab.sharing_trigrams("f", word)
        now.append((time.perf_counter() - t) * 1000)
    print(f"\ntypo step, terms sharing trigrams ({len(now)} words): former FTS5 rank query "
          f"p50 {statistics.median(former):.2f} p95 {pct(former, 95):.2f} ms; in memory "
          f"p50 {statistics.median(now):.3f} p95 {pct(now, 95):.3f} ms")


def drop_page_cache() -> None:
    """Empty the kernel's page cache, so the database is read from disk as after a reboot."""
    import os

    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as error:
        sys.exit(f"bench_lookup: --cold needs root to drop the page cache ({error.strerror})")
    print("page cache dropped: the database is read from disk")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/lookup-bench.sqlite", type=sqlite_or_postgresql)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--cold", action="store_true",
                        help="drop the OS page cache first (root only), as after a reboot, then let the "
                             "app's sign-in warm-up read the file back")
    parser.add_argument("--no-keystrokes", action="store_true",
                        help="service figures only (bench_keystrokes.py times the desk beside a bare app)")
    parser.add_argument("--sqlite", default=None, metavar="PATH",
                        help="with a PostgreSQL --db: the SQLite clinic to compare with "
                             "(default /tmp/lookup-bench-PATIENTS.sqlite)")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_lookup")
    if args.db.startswith("postgresql"):
        return bench_both_engines(args)
    if args.cold:
        drop_page_cache()
        t = time.perf_counter()
        read = warm_page_cache(Path(args.db))
        print(f"as at sign-in, store/page_warmer read {read / 2**20:,.0f} MB back in "
              f"{time.perf_counter() - t:.2f} s")
    path = Path(args.db)
    url = url_for_path(path)
    ensure_current(url)
    settings = load_settings(db_url=url)
    ctx = AppContext(db=Database(url), settings=settings)
    raw = sqlite3.connect(path)
    have = raw.execute("SELECT count(*) FROM patients").fetchone()[0]
    if have == 0:
        from coordinator_tui.services.demo.clinic import seed_clinic

        t = time.perf_counter()
        seed_clinic(ctx, patients=args.patients, seed=1, day=ctx.today())
        print(f"seeded {args.patients:,} patients in {time.perf_counter() - t:.0f} s")
        have = args.patients
    elif have != args.patients:
        print(f"note: {path} holds {have:,} patients (asked {args.patients:,}); measuring it as is")
    actor = actor_for(ctx, "demo")
    t = time.perf_counter()
    terms = warm_vocabulary(ctx)  # as the app does at sign-in
    print(f"name vocabulary: {terms:,} terms read into memory in {time.perf_counter() - t:.2f} s")
    rng = random.Random(7)
    rows = sample(raw, args.runs, rng)
    print(f"{have:,} patients, {args.runs} queries per kind, limit 20\n")
    bench_service(ctx, actor, raw, queries(rows, rng))
    bench_vocabulary_step(ctx, raw, rows, rng)
    if args.no_keystrokes:
        return 0
    times = asyncio.run(bench_keystrokes(ctx, actor, rows))
    print(f"\nkeystroke to results drawn (80x24, {len(times)} keys): "
          f"p50 {statistics.median(times):.1f} ms, p95 {pct(times, 95):.1f} ms, p99 {pct(times, 99):.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    return 0


def bench_both_engines(args) -> int:
    """SQLite and PostgreSQL side by side on the same clinic (benchmarks/lookup_on_pg.py)."""
    import lookup_on_pg as pg

    path = Path(args.sqlite or f"/tmp/lookup-bench-{args.patients}.sqlite")
    url = url_for_path(path)
    ensure_current(url)
    ctx = AppContext(db=Database(url), settings=load_settings(db_url=url))
    raw = sqlite3.connect(path)
    if raw.execute("SELECT count(*) FROM patients").fetchone()[0] == 0:
        from coordinator_tui.services.demo.clinic import seed_clinic

        t = time.perf_counter()
        seed_clinic(ctx, patients=args.patients, seed=1, day=ctx.today())
        print(f"sqlite: seeded {args.patients:,} patients in {time.perf_counter() - t:.0f} s")
    have = pg.pg_patients(args.db)
    if have is None:
        pg.build_schema(args.db)
    if not have:
        t = time.perf_counter()
        stages = pg.copy_clinic(path, args.db)
        print(f"postgresql: loaded the same clinic by COPY in {time.perf_counter() - t:.0f} s ("
              + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()) + ")")
    warm_vocabulary(ctx)  # SQLite's name vocabulary in memory, as the app has it after sign-in
    pg_ctx = AppContext(db=Database(args.db), settings=replace(ctx.settings, db_url=args.db))
    count = raw.execute("SELECT count(*) FROM patients").fetchone()[0]
    print(f"{count:,} patients on both, {args.runs} queries per kind, limit 20\n")
    rng = random.Random(7)
    rows = sample(raw, args.runs, rng)
    pg.compare(search_patients, ctx, pg_ctx, actor_for(ctx, "demo"), actor_for(pg_ctx, "demo"),
               raw, args.db, queries(rows, rng))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
