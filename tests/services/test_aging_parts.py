"""The A/R aging at a million patients' ways of reading (issue 17, "Measured"): the export read
in parts on several connections, in processes or threads (services/accounts/aging_parts.py),
writes what one read writes,
and its totals still equal the ledger's sum; the screen's overview (aging_overview.py: the count,
the totals and the first patients by urgency, sorted in the database) equals the full report's;
and the parts' connections read one snapshot even when a desk commits while they are opened
(store/snapshot_reads.py). On SQLite and PostgreSQL (--engine postgresql reads in one piece)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from coordinator_tui.domain.ledger import EntryKind
from coordinator_tui.interop.private_file import Target, deliver_stream
from coordinator_tui.services.accounts import aging
from coordinator_tui.services.accounts.aging_export import aging_export
from coordinator_tui.services.accounts.aging_overview import aging_overview
from coordinator_tui.services.accounts.ledger import post_row
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import BUSY_TIMEOUT_MS
from coordinator_tui.store.models import Patient
from coordinator_tui.store.snapshot_procs import can_fork, in_processes
from coordinator_tui.store.snapshot_reads import one_snapshot
from tests.conftest import CLINIC_DAY, CLINIC_NOW
from tests.helpers.ledger import ledger_sum
from tests.helpers.random_ledger import AGING_KINDS, random_ledgers

# Refunds left out: these tests were written with this mix (the random rows follow from it).
KINDS = [kind for kind in AGING_KINDS if kind[0] is not EntryKind.REFUND]


def _ledgers(ctx, seed: int, rows: int = 200) -> list[int]:
    return random_ledgers(ctx, seed, patients=30, rows=rows, kinds=KINDS)


def _export(ctx, tmp_path, parts: int, fmt: str, as_of, forked: bool = True) -> tuple[list[str], object]:
    job = aging_export(ctx, actor_for(ctx, "super"), as_of, format=fmt)
    job.parts, job.forked = parts, forked
    target = tmp_path / f"aging-{parts}.{fmt}"
    deliver_stream(Target(target), job.fill, job.publish)
    return target.read_text(encoding="utf-8").splitlines(), job


@pytest.mark.parametrize("fmt", ["csv", "txt"])
def test_the_export_in_parts_writes_what_one_read_writes(ctx, tmp_path, fmt):
    _ledgers(ctx, 31)
    for back in (0, 45):
        as_of = CLINIC_DAY - timedelta(days=back)
        whole, one = _export(ctx, tmp_path, 1, fmt, as_of)
        report = aging.aging(ctx, actor_for(ctx, "super"), as_of, check_total=True)
        assert one.patients == len(report.patients) > 10 and sum(one.totals) == report.ledger_total
        # In processes (Linux) and in threads; 7 parts for fewer than 30 patients: empty parts are fine.
        for parts, forked in ((2, True), (3, True), (7, True), (2, False), (3, False)):
            split, job = _export(ctx, tmp_path, parts, fmt, as_of, forked)
            assert job.totals == one.totals == report.totals and job.patients == one.patients
            head, tail = (1, 1) if fmt == "csv" else (3, 2)  # the column names / the dashes and TOTAL
            assert split[:head] == whole[:head] and split[-tail:] == whole[-tail:]
            assert sorted(split[head:-tail]) == sorted(whole[head:-tail])  # each patient once, in no promised order
    if fmt == "csv":
        body = list(csv.reader(io.StringIO("\n".join(split))))[1:-1]
        assert len({row[0] for row in body}) == len(body) == job.patients


def test_the_overview_is_the_full_reports_count_totals_and_first_patients(ctx):
    _ledgers(ctx, 37)
    sup = actor_for(ctx, "super")
    # Two more patients alike but for the case of their MRNs, the most urgent of all: the order
    # must be the report's (by code point, "AB" before "aa"), not a locale's, on either engine.
    with ctx.db.write() as session:
        twins = session.scalars(select(Patient.id).where(Patient.merged_into_id.is_(None))
                                .order_by(Patient.id).offset(30).limit(2)).all()
        for pid, mrn in zip(twins, ("aa", "AB"), strict=True):
            session.get(Patient, pid).mrn = mrn
    with ctx.db.write() as session:
        for pid in twins:
            post_row(session, None, pid, EntryKind.CHARGE, 987_654_32, at=CLINIC_NOW,
                     service_date=CLINIC_DAY - timedelta(days=300))
    for back in (0, 60):
        as_of = CLINIC_DAY - timedelta(days=back)
        report = aging.aging(ctx, sup, as_of)
        for top in (1, 5, 200):
            seen = aging_overview(ctx, sup, as_of, top=top)
            assert seen.count == len(report.patients) and seen.totals == report.totals
            assert seen.total_cents == ledger_sum_until(ctx, as_of)
            assert list(seen.top) == aging.by_urgency(report.patients, top)
    first = aging_overview(ctx, sup, CLINIC_DAY, top=2).top
    assert [p.mrn for p in first] == ["AB", "aa"]


def ledger_sum_until(ctx, as_of) -> int:
    with ctx.db.read() as session:
        return aging.ledger_sum_in(session, as_of)


@pytest.mark.sqlite_only("snapshots of several connections are SQLite's; PostgreSQL reads in one piece")
def test_a_commit_while_the_snapshots_are_taken_is_not_read_by_half_of_them(ctx):
    people = _ledgers(ctx, 41, rows=20)
    before = ledger_sum(ctx, None)
    count = text("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE responsibility = 'patient'")

    def pay(_i) -> None:  # another desk posts between the first snapshot and the rest
        with ctx.db.write() as session:
            post_row(session, None, people[0], EntryKind.CHARGE, 1_00, at=CLINIC_NOW, service_date=CLINIC_DAY)

    posted = []
    with one_snapshot(ctx.db.engine, 3, taken=lambda i: i == 0 and len(posted) < 1 and (posted.append(1), pay(i))) \
            as readers:
        assert readers is not None and len(readers) == 3
        seen = {conn.execute(count.text).fetchone()[0] for conn in readers}
    assert seen == {before + 1_00}  # taken again after the commit: all three on the same snapshot
    with one_snapshot(ctx.db.engine, 2, taken=pay) as readers:  # a desk committing through every try
        assert readers is None
    assert ledger_sum(ctx, None) == before + 1_00 * 7


class _Sums:
    """A part's fn for in_processes: the sum of the first column, brought back by merge()."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, rows) -> int:
        self.total += sum(r[0] for r in rows)
        return len(rows)

    def summary(self) -> int:
        return self.total

    def merge(self, total: int) -> None:
        self.total = total


@pytest.mark.sqlite_only("forked parts read SQLite files; PostgreSQL reads in one piece")
@pytest.mark.skipif(not can_fork(), reason="the parts are forked processes on Linux")
def test_forked_parts_read_one_snapshot_even_when_a_desk_commits_as_they_start(ctx):
    people = _ledgers(ctx, 43, rows=20)
    before = ledger_sum(ctx, None)
    half = "SELECT amount_cents FROM ledger_entries WHERE responsibility = 'patient' AND patient_id % 2 = :odd"

    def pay(_attempt) -> None:
        with ctx.db.write() as session:
            post_row(session, None, people[0], EntryKind.CHARGE, 1_00, at=CLINIC_NOW, service_date=CLINIC_DAY)

    held = ctx.db.engine.raw_connection()
    try:
        sums = [_Sums(), _Sums()]
        parts = in_processes(ctx.db.path, BUSY_TIMEOUT_MS, held.driver_connection,
                             [(half, {"odd": odd}, sums[odd]) for odd in (0, 1)], 3,
                             taken=lambda attempt: attempt == 0 and pay(attempt))
        assert parts is not None and sum(rows for _i, rows in parts) > 0
        assert sums[0].total + sums[1].total == before + 1_00  # both on the snapshot after the commit
        assert in_processes(ctx.db.path, BUSY_TIMEOUT_MS, held.driver_connection,
                            [(half, {"odd": odd}, _Sums()) for odd in (0, 1)], 3, taken=pay) is None
    finally:
        held.close()
