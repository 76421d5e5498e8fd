"""Keys as a fast typist, a paste or an SSH packet delivers them: all at once, with no pause
for the app to answer in between (Pilot's `press` waits for the app after every key)."""

from __future__ import annotations

import asyncio
import re
import unicodedata

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

ENTER, TAB, ESC = "enter", "tab", "escape"


def key_event(key: str) -> events.Key:
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def keys_of(*parts: str) -> list[str]:
    """`keys_of("smith", TAB, "john")`: text split into letters, named keys kept whole."""
    keys: list[str] = []
    for part in parts:
        keys.extend([part] if is_key_name(part) else list(part))
    return keys


NAMED = {ENTER, TAB, ESC, "backspace", "delete", "down", "up", "left", "right", "pagedown", "pageup",
         "space"}


def is_key_name(part: str) -> bool:
    return part in NAMED or bool(re.fullmatch(r"(ctrl|shift|alt)\+.+|f\d{1,2}", part))


async def burst(app, *parts: str) -> None:
    """Post every key to the app in one go, as the terminal driver would, then wait until the
    app has handled them all and the database calls they started have answered."""
    for key in keys_of(*parts):
        event = key_event(key)
        event.set_sender(app)
        app.post_message(event)
    await quiet(app)


async def quiet(app, rounds: int = 3) -> None:
    """Until the key queue is empty and no worker runs, `rounds` times in a row."""
    calm = 0
    for _ in range(400):
        await asyncio.sleep(0.02)
        busy = not app.key_gate.is_idle() or any(w.is_running for w in app.workers)
        calm = 0 if busy else calm + 1
        if calm >= rounds:
            return
    gate = app.key_gate
    raise AssertionError(f"the app never settled after the keys: queued {list(gate._queue)}, "
                         f"holds {list(gate._holds.values())}, busy {gate._busy}" + _stacks())


def _stacks() -> str:
    import sys
    import traceback

    return "\n".join("".join(traceback.format_stack(frame)[-6:]) for frame in sys._current_frames().values())
