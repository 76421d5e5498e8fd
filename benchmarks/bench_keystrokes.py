"""Keystroke to results drawn on the Patients desk (issue 23), beside a minimal Textual app.

    python benchmarks/bench_keystrokes.py --patients 1000000 --db /tmp/lookup-1m.sqlite
                                          [--names 30] [--gap-ms 0,12] [--time-limit 900]

For each typing speed (`--gap-ms`: 0 = each key once the previous key's results are drawn;
N = a typist pressing a key every N ms, faster than the screen when N is below a frame), both
apps take the same keys, in alternating blocks in this one process (the machine is shared: read
the ratio):

  floor   a bare Textual app: one Input and a fixed-size 20-line Static that shows the text
          typed on every key (no database, no table)
  desk    the real Patients desk at 80x24 on the seeded clinic (thread worker, lookup service,
          result table)

Keys are handed to the driver as the terminal driver does when it reads stdin (not Pilot.press,
whose waits cost 100+ ms a key). "Drawn": the first frame written (`App._display`) after the
screen holds the answer for the text now in the box. Printed per app: p50/p95 ms from the last
key typed to that frame, frames and layout passes per key typed (every frame written and every
`Screen._refresh_layout` while typing), and the process's CPU time per key typed (both threads:
the UI and the search), which the machine's load does not inflate as it does the wall clock.
Each speed's line ends with the load average when it was measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db_arg import clinic_db  # noqa: E402
from limits import add_time_limit, start_time_limit  # noqa: E402
from textual import events  # noqa: E402
from textual.app import App  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Input, Static  # noqa: E402

LAYOUTS = [0]
_refresh_layout = Screen._refresh_layout


def _counted_layout(self, *args, **kwargs):
    LAYOUTS[0] += 1
    return _refresh_layout(self, *args, **kwargs)


Screen._refresh_layout = _counted_layout


class Tally:
    """Frames written by an app, stamped."""

    def __init__(self, app: App) -> None:
        self.frames: list[float] = []
        display = app._display

        def stamped(screen, renderable):
            if renderable is not None:  # None: Textual found nothing to draw, nothing is written
                self.frames.append(time.perf_counter())
            return display(screen, renderable)

        app._display = stamped


class FloorApp(App):
    CSS = "#floor-box { height: 1; border: none; padding: 0; } #floor-lines { height: 20; }"

    def compose(self):
        yield Input(id="floor-box")
        yield Static("", id="floor-lines")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.shown_text = event.value
        self.query_one("#floor-lines", Static).update("\n".join([event.value] * 20), layout=False)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def type_words(app, box, shown, words: list[str], gap_ms: float, tally: Tally,
                     clear, result: dict) -> None:
    """Type each word (its keys `gap_ms` apart, or each after the previous one is drawn)."""
    for word in words:
        await clear()
        frames_before, layouts_before = len(tally.frames), LAYOUTS[0]
        cpu_before = time.process_time()
        for i, ch in enumerate(word):
            key = events.Key("space" if ch == " " else ch, ch)
            key.set_sender(app)
            sent = time.perf_counter()
            app._driver.send_message(key)
            if gap_ms and i < len(word) - 1:
                await asyncio.sleep(gap_ms / 1000)
                continue
            answered = None
            while time.perf_counter() - sent < 5:
                if answered is None and box.value == word[:i + 1] and shown() == box.value:
                    answered = time.perf_counter()
                if answered is not None and tally.frames and tally.frames[-1] >= answered:
                    break
                await asyncio.sleep(0.0005)
            result["times"].append((tally.frames[-1] - sent) * 1000)
        result["cpu"] += time.process_time() - cpu_before
        result["keys"] += len(word)
        result["frames"] += len(tally.frames) - frames_before
        result["layouts"] += LAYOUTS[0] - layouts_before


async def floor_block(words, gap_ms, result) -> None:
    app = FloorApp()
    app.shown_text = ""
    tally = Tally(app)
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.query_one(Input)
        box.focus()
        await pilot.pause()

        async def clear():
            box.value = ""
            await pilot.pause()
            await asyncio.sleep(0.05)

        await type_words(app, box, lambda: app.shown_text, words, gap_ms, tally, clear, result)


async def desk_block(ctx, actor, words, gap_ms, result) -> None:
    from coordinator_tui.tui.app import CoordinatorApp

    app = CoordinatorApp(ctx, actor)
    tally = Tally(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        box = screen.query_one("#patients-search")

        async def clear():
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await asyncio.sleep(0.05)

        await type_words(app, box, lambda: screen.shown_text, words, gap_ms, tally, clear, result)


def words_from(db: Path, count: int) -> list[str]:
    conn = sqlite3.connect(db)
    top = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    rng = random.Random(11)
    words = []
    while len(words) < count:
        row = conn.execute("SELECT family_key, given_key FROM patients WHERE id = ?",
                           (rng.randrange(1, top + 1),)).fetchone()
        if row and len(row[0]) >= 3 and row[0].isascii() and row[0].isalpha():
            words.append(f"{row[0][:5]} {row[1][:2]}")
    conn.close()
    return words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000, help="seed this many when the file is empty")
    parser.add_argument("--db", default="/tmp/lookup-bench.sqlite", type=clinic_db)
    parser.add_argument("--names", type=int, default=30, help="names typed per app and speed")
    parser.add_argument("--gap-ms", default="0,12", help="typing speeds: 0 = wait for each draw")
    parser.add_argument("--blocks", type=int, default=3, help="alternating blocks per app and speed")
    add_time_limit(parser, 900)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_keystrokes")

    from coordinator_tui.config import load_settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.patients.lookup_vocab import warm_vocabulary
    from coordinator_tui.services.staff.actors import actor_for
    from coordinator_tui.store.engine import Database, url_for_path
    from coordinator_tui.store.migrate import ensure_current
    from coordinator_tui.tui.app import preload_desks

    path = Path(args.db)
    url = url_for_path(path)
    ensure_current(url)
    ctx = AppContext(db=Database(url), settings=load_settings(db_url=url))
    have = sqlite3.connect(path).execute("SELECT count(*) FROM patients").fetchone()[0]
    if have == 0:
        from coordinator_tui.services.demo.clinic import seed_clinic

        seed_clinic(ctx, patients=args.patients, seed=1, day=ctx.today())
        have = args.patients
    actor = actor_for(ctx, "demo")
    preload_desks(freeze=True)  # as at sign-in in a real terminal
    warm_vocabulary(ctx)
    words = words_from(path, args.names)
    print(f"{have:,} patients; {len(words)} names typed per app and speed, as 'famil gi' "
          f"(e.g. {words[0]!r}), 80x24\n")
    print(f"{'typing':<18} {'app':<6} {'p50':>7} {'p95':>7}  {'frames/key':>10} {'layouts/key':>11} "
          f"{'CPU ms/key':>10}  (p50/p95: ms from the last key to its results drawn)")
    for gap in [float(g) for g in args.gap_ms.split(",")]:
        results = {name: {"times": [], "keys": 0, "frames": 0, "layouts": 0, "cpu": 0.0}
                   for name in ("floor", "desk")}
        chunk = max(1, len(words) // args.blocks)
        for start in range(0, len(words), chunk):
            block = words[start:start + chunk]
            asyncio.run(floor_block(block, gap, results["floor"]))
            asyncio.run(desk_block(ctx, actor, block, gap, results["desk"]))
        label = "wait for each draw" if not gap else f"a key every {gap:g} ms"
        for name, r in results.items():
            print(f"{label:<18} {name:<6} {statistics.median(r['times']):>7.1f} {pct(r['times'], 95):>7.1f}  "
                  f"{r['frames'] / r['keys']:>10.2f} {r['layouts'] / r['keys']:>11.2f} "
                  f"{r['cpu'] * 1000 / r['keys']:>10.2f}")
        ratio = pct(results["desk"]["times"], 95) / max(0.001, pct(results["floor"]["times"], 95))
        cpu = results["desk"]["cpu"] / max(1e-9, results["floor"]["cpu"])
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        print(f"{'':<18} desk/floor p95 {ratio:.2f}x, CPU {cpu:.2f}x  (load average {load} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
