"""The periods the Reports desk steps through, and what a period key does to the dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# (name as shown, length in days)
PERIODS: tuple[tuple[str, int], ...] = (
    ("day", 1),
    ("week", 7),
    ("4 weeks", 28),
    ("13 weeks", 91),
    ("52 weeks", 364),
)
DEFAULT_PERIOD = 2  # four weeks to today


@dataclass(frozen=True)
class Span:
    index: int  # into PERIODS
    end: date

    @property
    def days(self) -> int:
        return PERIODS[self.index][1]

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def words(self) -> str:
        name = PERIODS[self.index][0]
        if self.days == 1:
            return f"{self.end:%a %Y-%m-%d}"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} ({name})"

    def next_length(self) -> Span:
        return Span((self.index + 1) % len(PERIODS), self.end)

    def moved(self, steps: int) -> Span:
        return Span(self.index, self.end + timedelta(days=steps * self.days))
