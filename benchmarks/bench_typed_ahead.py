"""What the key queue (tui/key_gate.py) costs: a burst of keys typed ahead, handled one at a time
and each settled before the next, against a bare Textual app taking the same keys with no queue.

    python benchmarks/bench_typed_ahead.py [--patients 20000] [--runs 15]

Rows, all in the same run:
- floor: a bare Textual app with one Input; the burst typed into it (no queue, no database).
- gate, no database: the same bare app with our KeyGate in front (the queue's own cost).
- patients desk: the real desk on a seeded clinic, a 12-letter name typed in one burst
  (each letter may start a search; Enter waits for the last one's answer), then Enter opening
  the record.
Prints the median and p95 milliseconds from the first key posted until every key is handled.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from textual import events
from textual.app import App
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.tui.key_gate import KeyGate  # noqa: E402
from tests.helpers.keys import key_event  # noqa: E402

TEXT = "abcdefghijkl"


class BareApp(App):
    def __init__(self, gated: bool) -> None:
        super().__init__()
        self.gated = gated
        self.key_gate = KeyGate(self._deliver, focused=lambda: self.focused,
                                screen=lambda: self.screen, app_pump=self)

    def compose(self):
        yield Input(id="box")

    async def on_event(self, event):
        if self.gated and isinstance(event, events.Key) and not event.is_forwarded:
            self.key_gate.take(event)
            return
        await super().on_event(event)

    async def _deliver(self, event):
        await App.on_event(self, event)


async def time_burst(app, keys, done) -> float:
    start = time.perf_counter()
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app.post_message(event)
    while not done():
        await asyncio.sleep(0.0005)
    return (time.perf_counter() - start) * 1000


async def bare(gated: bool, runs: int) -> list[float]:
    app = BareApp(gated)
    times = []
    async with app.run_test(size=(80, 24)):
        box = app.query_one(Input)
        box.focus()
        await asyncio.sleep(0.1)
        for _ in range(runs):
            box.value = ""
            await asyncio.sleep(0.02)
            times.append(await time_burst(app, list(TEXT), lambda: box.value == TEXT
                                          and (not gated or app.key_gate.is_idle())))
    return times


async def patients_desk(db: Path, runs: int) -> list[float]:
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.services.staff import actor_for
    from coordinator_tui.store.engine import Database, url_for_path
    from coordinator_tui.tui.app import CoordinatorApp
    from coordinator_tui.tui.screens.patients.record import PatientRecordScreen
    from tests.helpers.keys import quiet

    url = url_for_path(db)
    ctx = AppContext(db=Database(url), settings=Settings(db_url=url))
    actor = actor_for(ctx, "demo")
    names = [row[0].lower() for row in ctx.db.engine.connect().exec_driver_sql(
        "SELECT family_name FROM patients WHERE length(family_name) >= 6 "
        "AND family_name NOT GLOB '*[^A-Za-z]*' LIMIT 200").fetchall()]
    times = []
    app = CoordinatorApp(ctx, actor)
    async with app.run_test(size=(80, 24)) as pilot:
        await quiet(app)
        await pilot.press("f4")
        await quiet(app)
        for name in names[:runs]:
            times.append(await time_burst(app, [*name, "enter"],
                                          lambda: isinstance(app.screen, PatientRecordScreen)
                                          and app.key_gate.is_idle()))
            await quiet(app)
            await pilot.press("escape")
            await quiet(app)
            await pilot.press("escape")
            await quiet(app)
    ctx.db.dispose()
    return times


def show(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<34} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   n={len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", default=None)
    add_time_limit(parser, 900)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "bench_typed_ahead")
    db = Path(args.db or f"/tmp/bench-typed-ahead-{args.patients}.sqlite")
    if not db.exists():
        subprocess.run([str(Path(sys.executable).parent / "coordinator"), "seed", "--patients",
                        str(args.patients), "--db", str(db)], check=True)
    print(f"burst of {len(TEXT)} letters (bare) / a family name + Enter (desk), {args.patients:,} patients")
    show("floor: bare Textual, no queue", asyncio.run(bare(False, args.runs)))
    show("key queue, no database", asyncio.run(bare(True, args.runs)))
    show("patients desk: name + Enter", asyncio.run(patients_desk(db, args.runs)))


if __name__ == "__main__":
    main()
