"""Patient flow and waits, from the status events of each visit that arrived:

- lateness: arrived - booked start (negative: early; walk-ins left out, they are booked on arrival)
- wait: arrived -> roomed; rooming: roomed -> with the provider; cycle: arrived -> done.

Medians and 90th percentiles, never means. A visit that reached the first status of a measure
but never the second is counted as "not reached" beside it, not dropped (OpenMRS O3's average
wait stayed blank until someone finished waiting). The database counts each measure's minutes by
value (to the tenth of a minute) and the percentiles are read off those counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from coordinator_tui.domain.report_stats import Spread, histogram_spread, minutes_text, quantile
from coordinator_tui.services.reports.dialect import Dialect, tenths
from coordinator_tui.services.reports.facts import Period, Query, whole
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("none", "provider", "hour")
CUT_WORDS = {"none": "All", "provider": "Provider", "hour": "Hour"}
MEASURES = (
    ("lateness", "Late (arr-start)"),
    ("wait", "Wait (arr-room)"),
    ("rooming", "Room-provider"),
    ("cycle", "Cycle (arr-done)"),
)
GROUP_SQL = {"none": "'All'", "provider": "provider_id", "hour": "hour"}
# One statement: the minutes of every arrived visit (f), in whole tenths of a minute (6 seconds;
# the reports print tenths), counted by value within each measure and group (a histogram: a
# year's 600,000 values come back as a few thousand rows, and the database need not rank them;
# each measure is grouped on its own: a quarter less work than grouping one union of them all),
# the waits also by week, plus one 'open' row per group with the counts of visits that never
# reached the later status (never roomed, roomed but never with the provider, never done).
# Columns: measure, group, week, tenths, how many, and the three 'open' counts. The 'open' row
# comes first: PostgreSQL types a union's columns pair by pair, and NULL with NULL is text.
_FLOW = """, j AS (
  SELECT {group} AS grp, day, walk_in, {sec_arrived} - {sec_start} AS d_late,
         {sec_roomed} - {sec_arrived} AS d_wait, {sec_with} - {sec_roomed} AS d_rooming,
         {sec_done} - {sec_arrived} AS d_cycle
  FROM v WHERE arrived IS NOT NULL
), f AS MATERIALIZED (
  SELECT grp, day, CASE WHEN d_wait IS NULL THEN 1 ELSE 0 END AS never_roomed,
         CASE WHEN d_wait IS NOT NULL AND d_rooming IS NULL THEN 1 ELSE 0 END AS never_with,
         CASE WHEN d_cycle IS NULL THEN 1 ELSE 0 END AS never_done,
         CASE WHEN NOT walk_in THEN {late} END AS late, {wait} AS wait, {rooming} AS rooming, {cycle} AS cycle
  FROM j
), wk AS (
  SELECT {week} AS week, wait FROM f WHERE wait IS NOT NULL
)
SELECT 'open', grp, NULL, NULL, NULL, sum(never_roomed), sum(never_with), sum(never_done) FROM f GROUP BY grp
UNION ALL SELECT 'lateness', grp, NULL, late, count(*), NULL, NULL, NULL FROM f WHERE late IS NOT NULL GROUP BY grp, late
UNION ALL SELECT 'wait', grp, NULL, wait, count(*), NULL, NULL, NULL FROM f WHERE wait IS NOT NULL GROUP BY grp, wait
UNION ALL SELECT 'rooming', grp, NULL, rooming, count(*), NULL, NULL, NULL FROM f
  WHERE rooming IS NOT NULL GROUP BY grp, rooming
UNION ALL SELECT 'cycle', grp, NULL, cycle, count(*), NULL, NULL, NULL FROM f WHERE cycle IS NOT NULL GROUP BY grp, cycle
UNION ALL SELECT 'week', NULL, week, wait, count(*), NULL, NULL, NULL FROM wk GROUP BY week, wait
"""


def flow_sql(d: Dialect, by: str) -> str:
    return _FLOW.format(
        group=GROUP_SQL[by], sec_start=d.epoch_seconds("starts_at"), sec_arrived=d.epoch_seconds("arrived"),
        sec_roomed=d.epoch_seconds("roomed"), sec_with=d.epoch_seconds("with_provider"),
        sec_done=d.epoch_seconds("done"), late=tenths("d_late"), wait=tenths("d_wait"),
        rooming=tenths("d_rooming"), cycle=tenths("d_cycle"), week=d.week_start("day"))


def _spreads(rows) -> tuple[dict, dict]:
    """{(measure, group): (n, median, p90)} and the 'open' counts by group."""
    counted: dict = defaultdict(list)
    opened: dict = {}
    for measure, group, week, val, count, never_roomed, never_with, never_done in rows:
        if measure == "open":
            opened[group] = (whole(never_roomed), whole(never_with), whole(never_done))
        else:
            counted[(measure, week if measure == "week" else group)].append((val / 10, whole(count)))
    return {key: histogram_spread(values) for key, values in counted.items()}, opened


def flow_report(session, query: Query, period: Period, by: str) -> Report:
    spreads, opened = _spreads(query.run(session, flow_sql(query.dialect, by)))
    groups = sorted(opened)
    label = {"provider": lambda g: query.providers.get(g, "?"),
             "hour": lambda g: f"{g:02d}:00"}.get(by, str)
    rows, bars = [], []
    for group in sorted(groups, key=label):
        never_roomed, never_with, never_done = opened[group]
        open_of = {"lateness": 0, "wait": never_roomed, "rooming": never_with, "cycle": never_done}
        for key, words in MEASURES:
            n, median, p90 = spreads.get((key, group), (0, None, None))
            rows.append((label(group), words, n, _round(median), _round(p90), open_of[key]))
        n, median, p90 = spreads.get(("wait", group), (0, None, None))
        bars.append((label(group), median,
                     f"med {minutes_text(median)} p90 {minutes_text(p90)} n={n} open {never_roomed}"))
    trend = tuple(sorted((date.fromisoformat(group), median)
                         for (measure, group), (_n, median, _p) in spreads.items() if measure == "week"))
    arrived = sum(r[2] + r[5] for r in rows if r[1].startswith("Cycle"))
    overall = _overall(rows, by)
    columns = (Column("group", CUT_WORDS[by], 10, numeric=False),
               Column("measure", "Measure", 16, numeric=False), Column("n", "N", 6),
               Column("median_min", "Median", 7), Column("p90_min", "P90", 7),
               Column("not_reached", "Not reached", 11))
    notes = ("Minutes. Median and 90th percentile (linear between ranks); 'not reached': visits "
             "that got to the first status but never the second.",
             f"{arrived} visits arrived; walk-ins are left out of lateness.")
    title = "Patient flow and waits" + ("" if by == "none" else f" by {CUT_WORDS[by].lower()}")
    return Report("flow", title, period.start, period.end, by, columns, tuple(rows), tuple(bars),
                  "Median wait, arrival to roomed (min)", trend, "Median wait (min) by week", notes,
                  overall)


def _overall(rows, by: str) -> str:
    waits = [r for r in rows if r[1].startswith("Wait")]
    if by == "none" and waits:
        _g, _w, n, median, p90, never = waits[0]
        return f"wait med {minutes_text(median)} p90 {minutes_text(p90)} min, n={n}, {never} never roomed"
    n = sum(r[2] for r in waits)
    never = sum(r[5] for r in waits)
    return f"{n} waits measured, {never} never roomed"


def waits_now(rows) -> Spread:
    """Today's waits as the Check-in board shows them: each patient who arrived, until roomed,
    or until now for those still waiting (so it is never blank once someone is here).
    `rows`: (seconds, still waiting) for each arrival."""
    values = [max(0.0, seconds / 60) for seconds, _still in rows if seconds is not None]
    return Spread(len(values), quantile(values, 0.5), quantile(values, 0.9),
                  sum(1 for _m, still in rows if still))


def waits_now_sql(d: Dialect) -> str:
    return (f"SELECT {d.epoch_seconds('coalesce(roomed, :now)')} - {d.epoch_seconds('arrived')}, "
            "CASE WHEN roomed IS NULL THEN 1 ELSE 0 END FROM v WHERE arrived IS NOT NULL")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
