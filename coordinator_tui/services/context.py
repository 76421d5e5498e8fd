"""What every service call receives: where the data is, what time it is, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from coordinator_tui.clock import Clock, clock_from_environment
from coordinator_tui.config import Settings
from coordinator_tui.domain.vocab import Role
from coordinator_tui.store.engine import Database


@dataclass(frozen=True)
class Actor:
    """The signed-in staff member on whose behalf a service acts."""

    id: int
    username: str
    display_name: str
    role: Role
    # Set for an emergency (break-glass) sign-in: the elevated role ends then (the app locks).
    elevated_until: datetime | None = None


@dataclass
class AppContext:
    db: Database
    settings: Settings
    clock: Clock = field(default_factory=clock_from_environment)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """Today in the clinic's time zone (not the server's, not UTC)."""
        return self.clock.now().astimezone(self.settings.tz).date()

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.settings.tz)
