"""Prompt chains as straight-line code: "ask the date, then the patient, then which one, then
book" reads top to bottom instead of as callbacks nested four deep.

    @chain
    async def action_undo(self, ask: PromptChain) -> None:
        values = await ask.prompt(PromptModal("Undo...", [("reason", "Reason", "")]))
        if values:
            change = await ask.call(lambda: undo_last_change(ctx, actor, ...))
            self._after_change(f"Back to {change.to_status.words}")

The chain runs in an (async) worker of the screen, so `prompt` can wait for the dialog with
Textual's `push_screen(..., wait_for_dismiss=True)`. Service calls still go through the one seam,
`call_service` (tui/service_call.py): keys typed meanwhile wait for the answer as before.
Between one step and the next (a dialog closed, the answer arrived, the next dialog not yet
open) the chain holds the app's key queue (tui/key_gate.py), so a key typed ahead reaches the
next dialog, not the desk behind it. A refused call shows its words and ends the chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from coordinator_tui.tui.service_call import call_service, error_in_words


class ChainStopped(Exception):
    """The service refused (its words are already on screen): the chain ends here."""


class PromptChain:
    def __init__(self, node) -> None:
        self.node = node
        self._token: int | None = None

    @property
    def _gate(self):
        return getattr(self.node.app, "key_gate", None)

    def _hold(self) -> None:
        gate = self._gate
        if gate is not None and self._token is None:
            self._token = gate.hold(f"{type(self.node).__name__}/chain")

    def release(self) -> None:
        gate, token, self._token = self._gate, self._token, None
        if gate is not None and token is not None:
            gate.release(token)

    async def prompt(self, screen: Screen) -> Any:
        """Show a dialog and wait for what it is dismissed with (None: Esc)."""
        self.release()  # the keys typed next belong to this dialog
        waiting = self.node.app.push_screen(screen, wait_for_dismiss=True)
        try:
            return await waiting
        finally:
            self._hold()

    async def call(self, work: Callable[[], Any], *, group: str = "act") -> Any:
        """`work` through call_service; its answer, or ChainStopped once the refusal is shown."""
        answer: asyncio.Future = asyncio.get_running_loop().create_future()

        def settle(ok: bool, value: Any) -> None:
            self._hold()  # taken before call_service lets its own hold go
            if not answer.done():
                answer.set_result((ok, value))

        self.release()  # call_service holds the keys while the call is out
        call_service(self.node, work, lambda value: settle(True, value),
                     refused=lambda error: settle(False, error), group=group)
        ok, value = await answer
        if not ok:
            self.node.notify(error_in_words(value), severity="error", timeout=8)
            raise ChainStopped
        return value


def chain(method):
    """Run `method(self, ask, *args)` as a prompt chain in a worker of the screen."""

    def start(self, *args, **kwargs) -> None:
        ask = PromptChain(self)

        async def run() -> None:
            try:
                await method(self, ask, *args, **kwargs)
            except ChainStopped:
                pass
            finally:
                ask.release()

        self.run_worker(run, group=f"chain-{method.__name__}", exclusive=True, exit_on_error=True)

    # Not functools.wraps: Textual counts an action's parameters, and `ask` is not one of them.
    start.__name__, start.__doc__ = method.__name__, method.__doc__
    return start
