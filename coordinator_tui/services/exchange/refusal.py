"""Why an understood message or resource was not applied (ACK AE), and a look-alike held."""

from __future__ import annotations

from coordinator_tui.errors import UserError


class Refused(UserError):
    """Understood but refused (slot taken, unknown provider, invalid birth date...): AE."""


class Held(UserError):
    """A patient who looks like one we have: kept for a person to decide (AE, never applied)."""

    def __init__(self, reason: str, candidates: list[str]):
        self.candidates = candidates
        super().__init__(reason)
