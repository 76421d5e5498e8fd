"""Keys typed ahead land where they were meant: one key at a time, each on the state the keys
before it produced.

Textual hands every key to the focused widget's message queue at once and moves on: with
"Smith Tab John" arriving in one SSH packet, "Jo" is already queued on the first box before the
Tab has moved the cursor, and an Enter typed with a name reaches the list before the search
has answered. A fast typist, a paste, or a link that batches keys all deliver keys that way.

So the app does not hand keys straight on. Every key goes into one queue, and one task (the
pump) delivers them in order: a key is passed on only once the one before it has *settled*:

- its handlers have run on the widget, the screen and the app (a callback is sent round each
  message queue behind it, and the round is repeated until neither the screen nor the focus
  changes: a screen that opens or closes has mounted and placed its cursor), and
- nothing is pending that decides where the next key goes: a service call (a save, a
  checklist being built) or a search whose answer Enter acts on. Those are *holds*, taken and
  released by `tui/service_call.py`, the one seam between screens and services.

A search hold lets plain text through to a focused text box (letters typed while the previous
letter's search runs still go into the box, so a name typed fast is one search, not seven);
any other key, and everything typed after it, waits for the answer. Lock (F12, Ctrl+L) and
Quit (Ctrl+Q) go first and drop the keys queued behind them: those were meant for a screen
that is going away, and must not end up typed into the password box.

A run of letters queued for the box with the cursor (a burst: a paste typed out by a terminal
without bracketed paste, a key held down, a link that stalled and then delivered everything) is
typed into the box at once, and only its last letter is delivered and settled as a key: the
screen sees one change and runs one search, where it used to settle, search and draw for every
letter (3,000 letters into Find took 20-30 s). Only plain text is taken that way: a printable
key the box itself would insert, that no priority binding or app-level route (Alt+digit, Esc
then a digit: `typed_as_text`) claims, passing the holds there are; the letters land in the same
order, with the box's own rules (length, allowed characters) applied to each.

A hold that is never released (a bug) would freeze the keyboard, so a hold older than
HOLD_LIMIT_SECONDS is given up and the keys move on.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from textual import events
from textual.widgets import Input

from coordinator_tui.domain.text import pasted_line

log = logging.getLogger(__name__)

HOLD_LIMIT_SECONDS = 20.0
# Rounds of "send a callback round the queues" before giving up on a screen that never settles
# (one that keeps opening screens or moving the focus by itself).
MAX_SETTLE_ROUNDS = 25
# Keys that act at once, whatever is queued: they leave the screen the queued keys were meant for.
JUMP_THE_QUEUE = frozenset({"f12", "ctrl+l", "ctrl+q"})
# Keys that edit the text in a box, and so may pass a search hold while the box has the cursor.
TEXT_EDITING_KEYS = frozenset({"backspace", "delete", "left", "right", "home", "end"})


@dataclass(eq=False)
class Hold:
    """Something pending that decides where the next key goes."""

    reason: str
    lets_text_through: bool
    started: float = field(default_factory=time.monotonic)
    # The thread worker whose answer releases the hold: one that ended without answering (it
    # was cancelled before it began) must not hold keys up.
    worker: object | None = None


class KeyGate:
    """The app's one queue of keys. `deliver` is the app's own handling of one key."""

    def __init__(self, deliver: Callable[[events.Event], Awaitable[None]],
                 focused: Callable[[], object], screen: Callable[[], object],
                 app_pump: object, typed_as_text: Callable[[events.Key], bool] | None = None) -> None:
        self._deliver = deliver
        self._typed_as_text = typed_as_text
        self._focused = focused
        self._screen = screen
        self._app_pump = app_pump
        self._queue: deque[events.Event] = deque()
        self._holds: dict[int, Hold] = {}
        self._ids = itertools.count(1)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._busy = False  # a key is being delivered or settling

    # --- holds ---------------------------------------------------------------------------------

    def hold(self, reason: str, *, lets_text_through: bool = False) -> int:
        token = next(self._ids)
        self._holds[token] = Hold(reason, lets_text_through)
        return token

    def release(self, token: int | None) -> None:
        if token is not None and self._holds.pop(token, None) is not None:
            self._wake.set()

    def tie_to_worker(self, token: int, worker: object) -> None:
        hold = self._holds.get(token)
        if hold is not None:
            hold.worker = worker

    @property
    def holding(self) -> bool:
        return bool(self._holds)

    def more_text_queued(self) -> bool:
        """The next key waiting is a printable character: typed into a box, it changes the
        text again (a search box need not look up the text it shows now: the typist is ahead)."""
        event = self._queue[0] if self._queue else None
        return isinstance(event, events.Key) and event.is_printable and event.key not in JUMP_THE_QUEUE

    def is_idle(self) -> bool:
        """No key waiting or being delivered, and nothing held (tests wait for this)."""
        self._give_up_stale_holds()
        return not self._queue and not self._busy and not self._holds

    def describe(self) -> str:
        """The queue's state for a stack report (tui/stack_report.py): counts, hold reasons and
        ages; never which keys were typed (a name being typed is patient data)."""
        now = time.monotonic()
        holds = ", ".join(f"{hold.reason} {now - hold.started:.1f} s" for hold in self._holds.values())
        pump = "none" if self._task is None else "done" if self._task.done() else "running"
        return (f"{len(self._queue)} queued, delivering or settling: {self._busy}, "
                f"holds: {holds or 'none'}, pump task: {pump}")

    async def wait_until_idle(self, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not self.is_idle() and time.monotonic() < end:
            await asyncio.sleep(0.005)

    # --- keys ----------------------------------------------------------------------------------

    def take(self, event: events.Event) -> None:
        """A key (or a paste) from the terminal: queue it for the pump. A paste is cleaned
        first, for every box at once (domain/text.py::pasted_line): a tab, a line break or an
        escape sequence copied with a cell never reaches a box (nor the terminal, drawn back)."""
        if isinstance(event, events.Paste):
            event.text = pasted_line(event.text)
            if not event.text:
                return
        if isinstance(event, events.Key) and event.key in JUMP_THE_QUEUE:
            dropped = len(self._queue)
            self._queue.clear()
            if dropped:
                log.info("dropped %d key(s) typed ahead of %s", dropped, event.key)
        self._queue.append(event)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._pump(), name="key-gate")

    def drop_queued(self, why: str) -> int:
        """Drop the keys typed ahead that are still waiting: for a question the desk must see
        before it is answered (checking a patient in with items outstanding). Keys typed after
        it is shown go in as usual. Returns how many were dropped (never which: patient data)."""
        dropped = len(self._queue)
        self._queue.clear()
        if dropped:
            log.info("dropped %d key(s) typed ahead of %s", dropped, why)
        return dropped

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _pump(self) -> None:
        while True:
            while not self._queue:
                self._wake.clear()
                await self._wake.wait()
            self._busy = True
            try:
                await self._wait_for_holds(self._queue[0])
                event = self._type_run_ahead(self._queue.popleft())
                await self._deliver(event)
                await self._settle()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let one key's failure stop the keyboard
                log.exception("a key could not be delivered")
            finally:
                self._busy = False

    def _type_run_ahead(self, event: events.Event) -> events.Event:
        """`event` and the plain letters queued behind it: all but the last typed into the box
        now, without a Changed message each; the last is returned, to be delivered as a key
        (its Changed carries the whole text to the screen, which searches once)."""
        box = self._focused()
        if not isinstance(box, Input) or not self._queue:
            return event
        chain = getattr(self._screen(), "_binding_chain", None) or ()
        bound_first = {key for _node, bindings in chain
                       for key, keys_bindings in bindings.key_to_bindings.items()
                       if any(binding.priority for binding in keys_bindings)}
        if not self._is_plain_text(event, box, bound_first):
            return event
        letters: list[str] = []
        while self._queue and self._is_plain_text(self._queue[0], box, bound_first) \
                and self._may_pass(self._queue[0]):
            letters.append(event.character)
            event = self._queue.popleft()
        if letters:
            type_into(box, letters)
        return event

    def _is_plain_text(self, event: events.Event, box: Input, bound_first: set[str]) -> bool:
        """A printable key the box inserts, that no priority binding takes first (those run
        before the box sees the key) and the app does not route elsewhere."""
        if not (isinstance(event, events.Key) and event.is_printable):
            return False
        if event.key in JUMP_THE_QUEUE or event.key in bound_first \
                or not box.check_consume_key(event.key, event.character):
            return False
        return self._typed_as_text is None or self._typed_as_text(event)

    def _may_pass(self, event: events.Event) -> bool:
        """Whether `event` may go on now, with the holds there are."""
        self._give_up_stale_holds()
        if not self._holds:
            return True
        if isinstance(event, events.Key) and event.key in JUMP_THE_QUEUE:
            return True
        if not all(hold.lets_text_through for hold in self._holds.values()):
            return False
        return is_text_for_a_box(event, self._focused())

    async def _wait_for_holds(self, event: events.Event) -> None:
        while not self._may_pass(event):
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except TimeoutError:
                pass
            await self._settle()  # what the released hold's answer opened or focused

    def _give_up_stale_holds(self) -> None:
        now = time.monotonic()
        for token, hold in list(self._holds.items()):
            worker = hold.worker
            if worker is not None and (worker.is_cancelled or worker.is_finished):
                # Replaced by a newer call (whose own hold counts now), or ended without an
                # answer: a worker cancelled before it began never reaches a final state.
                del self._holds[token]
            elif now - hold.started > HOLD_LIMIT_SECONDS:
                log.warning("gave up waiting for %s after %.0f s", hold.reason, now - hold.started)
                del self._holds[token]

    async def _settle(self) -> None:
        """Until the focused widget, its containers, the screen and the app have nothing left
        to handle and a whole round moved neither the screen nor the focus.

        A key's effects travel: the box handles the key and posts Changed to itself, which then
        bubbles to its container and on to the screen, whose handler starts the search (a
        hold). So one callback sent round each queue is not enough: the rounds go on until
        every queue on the way is empty."""
        quiet_rounds = 0
        for _ in range(MAX_SETTLE_ROUNDS):
            before = (id(self._screen()), id(self._focused()))
            chain = self._chain()
            for pump in chain:
                await round_trip(pump)
            after = (id(self._screen()), id(self._focused()))
            if after == before and not any(pending_messages(pump) for pump in chain):
                # Twice in a row: a message being handled (in no queue) while we looked is
                # seen by the next round, whose callback waits behind it in that pump.
                quiet_rounds += 1
                if quiet_rounds == 2:
                    return
            else:
                quiet_rounds = 0

    def _chain(self) -> list:
        """The focused widget and everything a message from it bubbles through, then the
        screen (when nothing has the focus) and the app."""
        chain: list = []
        node = self._focused() or self._screen()
        while node is not None and node is not self._app_pump:
            chain.append(node)
            node = getattr(node, "_parent", None)
        chain.append(self._app_pump)
        return chain


def type_into(box: Input, letters: list[str]) -> None:
    """Type `letters` into `box` as its own key handler would, one after another (a
    selection is replaced by the first), posting no Changed message: the key that follows
    them posts the one the screen acts on."""
    with box.prevent(Input.Changed):
        text = "".join(letters)
        if not box.restrict and box.type == "text" and \
                (not box.max_length or len(box.value) + len(text) <= box.max_length):
            letters = [text]  # nothing to refuse: one insertion, one repaint
        for typed in letters:
            selection = box.selection
            if selection.is_empty:
                box.insert_text_at_cursor(typed)
            else:
                box.replace(typed, *selection)


def pending_messages(pump: object) -> int:
    queue = getattr(pump, "_message_queue", None)
    return queue.qsize() if queue is not None else 0


def is_text_for_a_box(event: events.Event, focused: object) -> bool:
    """A printable character, a paste or an editing key, with a text box that has the cursor."""
    if not isinstance(focused, Input):
        return False
    if isinstance(event, events.Paste):
        return True
    if not isinstance(event, events.Key):
        return False
    return event.is_printable or event.key in TEXT_EDITING_KEYS


async def round_trip(pump: object, timeout: float = 2.0) -> None:
    """Wait until `pump` (a widget, screen or app) has handled everything queued on it now."""
    if pump is None:
        return
    future: asyncio.Future = asyncio.get_running_loop().create_future()

    def arrived() -> None:
        if not future.done():
            future.set_result(None)

    try:
        if not pump.call_later(arrived):  # closing or closed: nothing more will happen there
            return
    except Exception:
        return
    try:
        await asyncio.wait_for(future, timeout)
    except TimeoutError:
        pass
