"""The one seam between screens and services: run a service call off the UI thread, hand its
answer back on the UI thread, and turn any failure into one clear line.

    call_service(self, lambda: checkin.check_in(ctx, actor, visit_id), self.checked_in,
                 refused=self.show_error)

- `work` runs in a thread worker (one service call = one transaction); it never touches widgets.
- `done(result)` runs on the UI thread, only if the screen that asked is still there and no
  newer call of the same group replaced this one (`exclusive`, as a search box wants).
- `refused(error)` runs instead when the service said no (a UserError: bad input, no
  permission, another desk first) or failed; by default the words are shown as a notice.
  `error_in_words` is the only place an exception becomes text: never a traceback (it could
  hold patient data), the kind of failure only.
- `keys` says what happens to keys typed while the call is out (see tui/key_gate.py):
  WAIT_FOR_ANSWER holds them until `done`/`refused` has run (a save, a checklist being built:
  the next key belongs to whatever the answer opens); TEXT_PASSES lets letters into a focused
  search box meanwhile and holds the rest (a search: Enter acts on its answer); IGNORE_KEYS for
  background polling that no key depends on.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from textual.worker import Worker, get_current_worker

from coordinator_tui.errors import UserError


class Keys(Enum):
    WAIT_FOR_ANSWER = "wait"
    TEXT_PASSES = "text"
    IGNORE_KEYS = "ignore"


WAIT_FOR_ANSWER = Keys.WAIT_FOR_ANSWER
TEXT_PASSES = Keys.TEXT_PASSES
IGNORE_KEYS = Keys.IGNORE_KEYS


def error_in_words(error: BaseException, *, nothing: str = "nothing was changed") -> str:
    """What the user reads about a failed call: the service's own words for a refusal, else
    only the kind of failure."""
    if isinstance(error, UserError):
        return str(error)
    return f"Something went wrong ({type(error).__name__}); {nothing}."


def _still_shown(node) -> bool:
    """The node is in the DOM and neither it nor any parent is being removed. A screen that
    was just popped is still attached while Textual prunes its children, so `is_attached`
    alone lets an answer reach a screen whose widgets are already gone."""
    if not node.is_attached:
        return False
    while node is not None:
        if getattr(node, "_closing", False) or getattr(node, "_closed", False) \
                or getattr(node, "_pruning", False):
            return False
        node = node._parent
    return True


def call_service(node, work: Callable[[], Any], done: Callable[[Any], None] | None = None, *,
                 refused: Callable[[BaseException], None] | None = None, group: str = "service",
                 exclusive: bool = True, keys: Keys = WAIT_FOR_ANSWER) -> Worker:
    app = node.app
    gate = getattr(app, "key_gate", None)
    token = None
    if gate is not None and keys is not IGNORE_KEYS:
        token = gate.hold(f"{type(node).__name__}/{group}",
                          lets_text_through=keys is TEXT_PASSES)

    def answer(worker: Worker, ok: bool, value: Any) -> None:
        try:
            if worker.is_cancelled or not _still_shown(node) or getattr(app, "_exit", False):
                # Replaced by a newer call, the screen that asked is gone or being taken down,
                # or the app is closing (its widgets are being removed: drawing the answer
                # would find none). The work itself is done; only showing it is dropped.
                return
            if ok:
                if done is not None:
                    done(value)
            elif refused is not None:
                refused(value)
            else:
                node.notify(error_in_words(value), severity="error", timeout=8)
        except Exception as error:  # a bug in the screen's own handler: the app's crash path
            app._handle_exception(error)  # (a redacted report, never a traceback on screen)
        finally:
            if gate is not None:
                gate.release(token)

    def run() -> None:
        worker = get_current_worker()
        try:
            ok, value = True, work()
        except Exception as error:  # handed to `refused` as words, never raised into Textual
            ok, value = False, error
        try:
            app.call_from_thread(answer, worker, ok, value)
        except RuntimeError:  # the app is closing: no screen to answer
            pass

    worker = node.run_worker(run, thread=True, exclusive=exclusive, group=group,
                             exit_on_error=False)
    if gate is not None and token is not None:
        gate.tie_to_worker(token, worker)
    return worker
