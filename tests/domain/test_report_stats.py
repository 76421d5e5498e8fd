"""The reports' arithmetic, checked by hand: percentiles, lead-time buckets, rates with their
counts, and text bars that carry their number."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.domain.report_stats import (
    Rate,
    Spread,
    histogram_spread,
    lead_bucket,
    quantile,
)
from coordinator_tui.domain.text_bars import bar, bar_lines, sparkline
from coordinator_tui.domain.zone_offsets import offset_changes


def test_median_and_90th_percentile_interpolate_between_ranks():
    assert quantile([10, 20], 0.5) == 15
    assert quantile([3, 1, 2], 0.5) == 2
    assert quantile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert quantile([7], 0.9) == 7
    assert quantile([], 0.5) is None


def test_a_spread_counts_the_visits_that_never_got_there():
    spread = Spread.of([10, 10, 10, 20, 30, 50], open_count=1)
    assert (spread.n, spread.median, spread.p90, spread.open) == (6, 15, 40, 1)


@pytest.mark.parametrize(("days", "bucket"), [
    (-2, "same day"), (0, "same day"), (1, "1-7 days"), (7, "1-7 days"), (8, "8-28 days"),
    (28, "8-28 days"), (29, "29+ days"), (400, "29+ days"),
])
def test_lead_time_buckets(days, bucket):
    assert lead_bucket(days) == bucket


def test_a_rate_is_never_without_its_counts():
    assert Rate(41, 225).words() == "18.2% 41/225"
    assert Rate(0, 0).words() == "- 0/0"
    assert Rate(0, 0).value is None


def test_bars_are_exact_text_with_the_number_beside_them():
    assert bar(1, 2, 8) == "████    "
    assert bar(1, 16, 2) == "▏ "  # one eighth of a cell per 1/16 of two cells
    assert bar(0, 5, 3) == "   "
    assert bar(0.001, 1000, 3).startswith("▏")  # above zero never looks like zero
    lines = bar_lines([("Mon", 20.0, "20.0% 2/10"), ("Tue", 10.0, "10.0% 1/10"), ("Wed", None, "- 0/0")],
                      width=40)
    assert all(len(line) == 40 for line in lines)
    assert lines[0].endswith("20.0% 2/10") and lines[0].startswith("Mon █")
    assert lines[0].split()[1] == "█" * 25  # the largest fills the bar's 25 cells
    assert lines[1].split()[1] == "█" * 12 + "▌"  # half of it: 12.5 cells
    assert lines[2].endswith("- 0/0") and "█" not in lines[2]


def test_sparkline_heights_follow_the_values():
    assert sparkline([1, 2, 3]) == "▁▅█"
    assert sparkline([None, 4, 4]) == " ▁▁"
    assert sparkline([]) == ""


def test_a_histogram_gives_the_quantiles_of_its_values_written_out():
    values = [10, 10, 10, 20, 30, 50]
    assert histogram_spread([(50, 1), (10, 3), (30, 1), (20, 1)]) == \
        (6, quantile(values, 0.5), quantile(values, 0.9))
    assert histogram_spread([]) == (0, None, None)
    assert histogram_spread([(7.5, 1)]) == (1, 7.5, 7.5)


def test_zone_offsets_find_the_daylight_saving_changes_to_the_second():
    changes = offset_changes(ZoneInfo("America/New_York"), datetime(2026, 1, 1, tzinfo=UTC),
                             datetime(2026, 12, 31, tzinfo=UTC))
    assert [(at.isoformat(), minutes) for at, minutes in changes] == [
        ("2026-01-01T00:00:00+00:00", -300),
        ("2026-03-08T07:00:00+00:00", -240),  # 02:00 EST
        ("2026-11-01T06:00:00+00:00", -300),  # 02:00 EDT
    ]
    assert len(offset_changes(ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC),
                              datetime(2027, 1, 1, tzinfo=UTC))) == 1
