"""Helpers for Pilot tests: read what a running Textual app shows, as plain text (the same
render as a screenshot), and let it settle after keys."""

from __future__ import annotations

import io

from rich.console import Console
from textual.worker import WorkerCancelled


def screen_text(app) -> str:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def wait_for_workers(app, pilot=None) -> None:
    """Wait for the workers the app is running, round after round (an answer may start the next
    call), but not for a prompt chain (tui/prompt_chain.py): it waits for a person, at a dialog."""
    for _ in range(100):
        busy = [w for w in app.workers if not w.is_finished and not w.group.startswith("chain-")]
        if not busy:
            return
        try:
            await app.workers.wait_for_complete(busy)
        except WorkerCancelled:
            # A newer call of the same group replaced it (a live-refresh poll overtaken by the
            # next one on a loaded machine): nothing to wait for; look again.
            pass
        if pilot is not None:
            await pilot.pause()


async def settle(app, pilot) -> None:
    """Let the app finish what the last keys started: messages, then thread workers (database
    calls), then the messages their results post."""
    await pilot.pause()
    await wait_for_workers(app, pilot)
    await pilot.pause()


def drawn_outside(app, region) -> list[str]:
    """What the screen shows outside `region` (a dialog's box), as "row: text" for each line with
    anything there: at 80x24 a dialog must not have stray words beside its border."""
    stray = []
    for y, line in enumerate(screen_text(app).rstrip("\n").split("\n")):
        outside = line[:region.x] + line[region.right:] if region.y <= y < region.bottom else line
        if outside.strip():
            stray.append(f"{y}: {outside.strip()}")
    return stray
