"""Patient flow and waits, from the status events of each visit that arrived:

- lateness: arrived - booked start (negative: early; walk-ins left out, they are booked on arrival)
- wait: arrived -> roomed; rooming: roomed -> with the provider; cycle: arrived -> done.

Medians and 90th percentiles, never means. A visit that reached the first status of a measure
but never the second is counted as "not reached" beside it, not dropped (OpenMRS O3's average
wait stayed blank until someone finished waiting). SQLite counts each measure's minutes by value
(to the tenth of a minute) and the percentiles are read off those counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from coordinator_tui.domain.report_stats import Spread, histogram_spread, minutes_text, quantile
from coordinator_tui.services.reports.facts import Period, Query
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
# One statement: the minutes of every arrived visit (f), to the tenth of a minute (6 seconds;
# the reports print tenths), counted by value within each measure and group (a histogram: a
# year's 600,000 values come back as a few thousand rows, and SQLite need not rank them), plus one
# 'open' row per group with the counts of visits that never reached the later status (in the val
# and count columns and a third: never roomed, roomed but never with the provider, never done).
_FLOW = """, j AS (
  SELECT {group} AS grp, day, walk_in, julianday(starts_at) AS js, julianday(arrived) AS ja,
         julianday(roomed) AS jr, julianday(with_provider) AS jw, julianday(done) AS jd
  FROM v WHERE arrived IS NOT NULL
), f AS MATERIALIZED (
  SELECT grp, day, jr IS NOT NULL AS roomed, jw IS NOT NULL AS with_provider, jd IS NOT NULL AS done,
         CASE WHEN NOT walk_in THEN round((ja - js) * 1440, 1) END AS late,
         round((jr - ja) * 1440, 1) AS wait, round((jw - jr) * 1440, 1) AS rooming,
         round((jd - ja) * 1440, 1) AS cycle
  FROM j
), m AS (
  SELECT 'lateness' AS measure, grp, late AS val FROM f WHERE late IS NOT NULL
  UNION ALL SELECT 'wait', grp, wait FROM f WHERE wait IS NOT NULL
  UNION ALL SELECT 'rooming', grp, rooming FROM f WHERE rooming IS NOT NULL
  UNION ALL SELECT 'cycle', grp, cycle FROM f WHERE cycle IS NOT NULL
  UNION ALL SELECT 'week', date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days'),
                   wait FROM f WHERE wait IS NOT NULL
)
SELECT measure, grp, val, count(*), NULL FROM m GROUP BY measure, grp, val
UNION ALL
SELECT 'open', grp, sum(NOT roomed), sum(roomed AND NOT with_provider), sum(NOT done)
FROM f GROUP BY grp"""


def _spreads(rows) -> tuple[dict, dict]:
    """{(measure, group): (n, median, p90)} and the 'open' counts by group."""
    counted: dict = defaultdict(list)
    opened: dict = {}
    for measure, group, val, count, third in rows:
        if measure == "open":
            opened[group] = (val, count, third)
        else:
            counted[(measure, group)].append((val, count))
    return {key: histogram_spread(values) for key, values in counted.items()}, opened


def flow_report(session, query: Query, period: Period, by: str) -> Report:
    spreads, opened = _spreads(query.run(session, _FLOW.format(group=GROUP_SQL[by])))
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
    `rows`: (minutes, still waiting) for each arrival."""
    values = [max(0.0, minutes) for minutes, _still in rows if minutes is not None]
    return Spread(len(values), quantile(values, 0.5), quantile(values, 0.9),
                  sum(1 for _m, still in rows if still))


WAITS_NOW = """SELECT round((julianday(coalesce(roomed, :now)) - julianday(arrived)) * 1440, 3),
       roomed IS NULL FROM v WHERE arrived IS NOT NULL"""


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
