"""Every figure of the reports against the hand-built history of tests/helpers/reports_history.py,
where the right answer is known by counting: a daylight-saving day, a visit spanning midnight,
a cancelled-then-rebooked visit, merged patients, an undone arrival, a walk-in."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services.reports import median_wait_today, run_report
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import make_context
from tests.helpers.reports_history import build_history

START, END = date(2026, 10, 26), date(2026, 11, 8)


@pytest.fixture
def hctx(db_path, clock):
    build_history(db_path)
    context = make_context(db_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def boss(hctx):
    return actor_for(hctx, "boss")


def rows(report) -> dict:
    return {row[0]: row[1:] for row in report.rows}


@pytest.mark.parametrize(("by", "expected"), [
    # group: (attended, no-shows, visits, rate %)
    ("provider", {"ALPHA": (5, 4, 9, 44.4), "BETA": (2, 0, 2, 0.0)}),
    ("weekday", {"Mon": (3, 2, 5, 40.0), "Tue": (1, 0, 1, 0.0), "Wed": (1, 1, 2, 50.0),
                 "Thu": (1, 0, 1, 0.0), "Fri": (0, 1, 1, 100.0), "Sun": (1, 0, 1, 0.0)}),
    ("lead", {"same day": (4, 0, 4, 0.0), "1-7 days": (1, 1, 2, 50.0), "8-28 days": (0, 1, 1, 100.0),
              "29+ days": (2, 2, 4, 50.0)}),
    ("patient", {"new": (6, 4, 10, 40.0), "established": (1, 0, 1, 0.0)}),
    # P4's no-show counts as P5's once P4 is merged into P5: V8 has one earlier, V9 two.
    ("history", {"none earlier": (6, 3, 9, 33.3), "1 earlier": (0, 1, 1, 100.0),
                 "2+ earlier": (1, 0, 1, 0.0)}),
    # V6 starts 23:30 and ends after midnight: it is the 23:00 hour of Thursday.
    ("hour", {"01:00": (1, 0, 1, 0.0), "09:00": (3, 2, 5, 40.0), "10:00": (0, 1, 1, 100.0),
              "11:00": (1, 1, 2, 50.0), "14:00": (1, 0, 1, 0.0), "23:00": (1, 0, 1, 0.0)}),
    ("type", {"FU": (7, 4, 11, 36.4)}),
])
def test_no_show_rate_by_every_cut(hctx, boss, by, expected):
    report = run_report(hctx, boss, "no-shows", START, END, by=by)
    found = rows(report)
    assert found.pop("All") == (7, 4, 11, 36.4)
    assert found == expected
    assert list(found) == list(expected)  # in the cut's own order
    # The cancelled V3 (rebooked as V4) and the never-marked V11 are out of every count.
    assert "1 cancelled or rescheduled, 1 still booked or never marked" in report.notes[1]
    assert report.headline == "no-show rate 36.4% 4/11"


def test_the_title_names_the_cut_in_words(hctx, boss):
    titles = {by: run_report(hctx, boss, "no-shows", START, END, by=by).title for by in ("history", "patient")}
    assert titles == {"history": "No-shows by earlier no-shows",
                      "patient": "No-shows by new or established patient"}


def test_every_rate_has_its_counts_beside_it_in_the_chart(hctx, boss):
    report = run_report(hctx, boss, "no-shows", START, END, by="provider")
    assert report.bars == (("ALPHA", pytest.approx(400 / 9), "44.4% 4/9"), ("BETA", 0.0, "0.0% 0/2"))


def test_one_provider(hctx, boss):
    report = run_report(hctx, boss, "no-shows", START, END, by="weekday", provider="BETA")
    assert rows(report) == {"Mon": (1, 0, 1, 0.0), "Tue": (1, 0, 1, 0.0), "All": (2, 0, 2, 0.0)}
    with pytest.raises(UserError, match="no provider 'GAMMA'"):
        run_report(hctx, boss, "no-shows", START, END, provider="GAMMA")


def test_flow_medians_and_90th_percentiles_count_what_never_finished(hctx, boss):
    report = run_report(hctx, boss, "flow", START, END)
    measures = {row[1]: row[2:] for row in report.rows}
    # (n, median, p90, not reached). Lateness: -10 (the DST day, by real time), -5, 0, 5, 10, 10;
    # the walk-in V12 is left out. Waits: 10, 10, 10, 20, 30, 50 (V5 across the clock change:
    # 01:20 EDT to 01:10 EST is 50 real minutes), V10 never roomed. Cycle: 40, 50, 60 (V6 past
    # midnight), 70, 90; V10 and V12 never done. The undone arrival of V13 is no arrival.
    assert measures == {
        "Late (arr-start)": (6, 2.5, 10.0, 0),
        "Wait (arr-room)": (6, 15.0, 40.0, 1),
        "Room-provider": (6, 10.0, 12.5, 0),
        "Cycle (arr-done)": (5, 60.0, 82.0, 2),
    }


def test_flow_by_provider_and_hour(hctx, boss):
    report = run_report(hctx, boss, "flow", START, END, by="provider")
    wait = {row[0]: row[2:] for row in report.rows if row[1].startswith("Wait")}
    assert wait == {"ALPHA": (5, 20.0, 42.0, 0), "BETA": (1, 10.0, 10.0, 1)}
    by_hour = run_report(hctx, boss, "flow", START, END, by="hour")
    cycle = {row[0]: row[2:] for row in by_hour.rows if row[1].startswith("Cycle")}
    assert cycle["23:00"] == (1, 60.0, 60.0, 0)
    assert cycle["01:00"] == (1, 90.0, 90.0, 0)


def test_collection_rate_per_desk_user_and_day(hctx, boss):
    by_user = run_report(hctx, boss, "collections", START, END, by="user")
    # (visits with a copay, paid in full, due, collected, rate): V9's $40 counts as its $25 copay,
    # V4's second payment (next day) and V10's voided one do not count.
    assert rows(by_user) == {"desk1": (2, 1, 5000, 3000, 60.0), "desk2": (2, 1, 3500, 2500, 71.4),
                             "All": (4, 2, 8500, 5500, 64.7)}
    by_day = run_report(hctx, boss, "collections", START, END, by="day")
    assert rows(by_day) == {"2026-10-26": (1, 1, 2000, 2000, 100.0), "2026-10-28": (1, 0, 3000, 1000, 33.3),
                            "2026-11-02": (2, 1, 3500, 2500, 71.4), "All": (4, 2, 8500, 5500, 64.7)}


def test_daily_summary(hctx, boss):
    day = date(2026, 11, 2)
    report = run_report(hctx, boss, "day", day, day)
    found = {(row[0], row[1]): row[2:] for row in report.rows}
    assert found[("Visits", "Done")] == (1, None)
    assert found[("Visits", "Arrived")] == (1, None)
    assert found[("Visits", "All appointments")] == (2, None)
    assert found[("Visits", "Walk-ins")] == (0, None)
    assert found[("Patients", "First visits")] == (2, None)
    assert found[("Patients", "Registered")] == (1, None)
    assert found[("Payments", "card")] == (1, 4000)
    assert found[("Payments", "All (no voids)")] == (1, 4000)
    assert found[("Payments", "Voided")] == (1, 1000)
    assert found[("Callbacks", "Opened")] == (1, None)
    assert found[("Callbacks", "Closed done")] == (1, None)


def test_daylight_saving_days_hold_their_own_visits(hctx, boss):
    # 2026-03-08 is 23 hours long: V14 at 23:30 that evening is 03:30 UTC on the 9th.
    spring = run_report(hctx, boss, "day", date(2026, 3, 8), date(2026, 3, 8))
    after = run_report(hctx, boss, "day", date(2026, 3, 9), date(2026, 3, 9))
    count = {r[1]: r[2] for r in spring.rows}
    assert count["All appointments"] == 1 and count["Done"] == 1
    assert {r[1]: r[2] for r in after.rows}["All appointments"] == 0
    # 2026-11-01 is 25 hours long; V5 at 01:30 EDT is on it.
    autumn = run_report(hctx, boss, "day", date(2026, 11, 1), date(2026, 11, 1))
    assert {r[1]: r[2] for r in autumn.rows}["All appointments"] == 1


def test_upcoming_two_years_by_an_old_mrn_after_a_merge(hctx, boss):
    report = run_report(hctx, boss, "upcoming", START, END, mrn="M000004")
    assert [row[0] for row in report.rows] == ["2027-01-05", "2027-02-01", "2027-05-03"]
    assert [row[5] for row in report.rows] == ["Booked", "Cancelled", "Booked"]
    with pytest.raises(UserError, match="no patient with MRN"):
        run_report(hctx, boss, "upcoming", START, END, mrn="NOPE")


def test_the_front_desk_sees_its_own_day_only(hctx):
    desk = actor_for(hctx, "desk1")
    today = hctx.today()
    assert run_report(hctx, desk, "day", today, today).start == today
    with pytest.raises(PermissionDenied, match="only today's reports"):
        run_report(hctx, desk, "no-shows", START, END)


def test_bad_requests_are_refused_in_words(hctx, boss):
    with pytest.raises(UserError, match="ends .* before it starts"):
        run_report(hctx, boss, "flow", END, START)
    with pytest.raises(UserError, match="cut by provider, weekday"):
        run_report(hctx, boss, "no-shows", START, END, by="moon")
    with pytest.raises(UserError, match="no report named"):
        run_report(hctx, boss, "gossip", START, END)


def test_median_wait_now_counts_those_still_waiting(ctx, desk_user):
    spread = median_wait_today(ctx, desk_user)
    assert spread.n > 0 and spread.median is not None
    assert spread.open >= 1  # the seeded morning has patients still waiting, counted to now


def test_daily_summary_counts_referrals_and_authorisations_ending_soon(ctx, desk_user):
    from datetime import timedelta

    from coordinator_tui.services import referrals
    from tests.conftest import CLINIC_DAY

    soon, later = CLINIC_DAY + timedelta(days=ctx.settings.auth_expiring_days), CLINIC_DAY + timedelta(days=60)
    referrals.add_referral(ctx, desk_user, 41, kind="prior_authorisation", number="E-1", visits=3,
                           valid_to=soon, status="approved")  # ends on the horizon: counted
    referrals.add_referral(ctx, desk_user, 42, kind="prior_authorisation", number="E-2", visits=3,
                           valid_to=later, status="approved")  # ends after it: not counted
    referrals.add_referral(ctx, desk_user, 43, kind="outgoing_referral", valid_to=soon,
                           status="requested")  # not in force: not counted
    boss = actor_for(ctx, "super")
    report = run_report(ctx, boss, "day", CLINIC_DAY, CLINIC_DAY)
    found = {(row[0], row[1]): row[2] for row in report.rows}
    assert found[("Expiring", "Authorisations")] == 1
    assert found[("Expiring", "Outgoing referrals")] == 0
    assert any("Expiring" in note for note in report.notes)
