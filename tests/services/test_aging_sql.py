"""The A/R aging's one SQL pass (services/accounts/aging_sql.py) against the rule it computes in
closed form (domain/ledger.py's `age_rows`: debits by date of service, credits applied to the
oldest first), on random ledgers, several as-of dates and bucket widths; the totals summed in
the database (the weekly report's) against the rows'; and the streamed CSV against both. Runs on SQLite and on PostgreSQL (--engine postgresql): the same numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.domain.ledger import AgedRow, age_rows
from coordinator_tui.errors import PermissionDenied
from coordinator_tui.interop.private_file import Target, deliver_stream
from coordinator_tui.services.accounts import aging
from coordinator_tui.services.accounts.aging_export import aging_export, money_text
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import LedgerEntry, Patient
from tests.conftest import CLINIC_DAY
from tests.helpers.random_ledger import random_ledgers


def _random_ledgers(ctx, seed: int) -> None:
    random_ledgers(ctx, seed, patients=12, rows=160)


def _expected(ctx, as_of, width):
    """Per patient owing or owed: (buckets, last payment, last statement), by the domain rule."""
    with ctx.db.read() as session:
        rows = session.execute(select(LedgerEntry.patient_id, LedgerEntry.kind, LedgerEntry.amount_cents,
                                      LedgerEntry.service_date)
                               .where(LedgerEntry.responsibility == "patient",
                                      LedgerEntry.service_date <= as_of)).all()
    by_patient: dict[int, list] = {}
    for row in rows:
        by_patient.setdefault(row.patient_id, []).append(row)
    out = {}
    for pid, mine in by_patient.items():
        if sum(r.amount_cents for r in mine) == 0:
            continue
        buckets = age_rows([AgedRow(r.amount_cents, r.service_date) for r in mine], as_of, width)
        paid = max((r.service_date for r in mine if r.kind == "payment"), default=None)
        sent = max((r.service_date for r in mine if r.kind == "statement"), default=None)
        out[pid] = (tuple(buckets), paid, sent)
    return out


@pytest.mark.parametrize("seed", [17, 23])
def test_sql_aging_equals_first_in_first_out_by_the_domain_rule(ctx, seed):
    _random_ledgers(ctx, seed)
    seen = []
    for width in (30, 7, 45):
        for back in (0, 37, 190):
            as_of = CLINIC_DAY - timedelta(days=back)
            expected = _expected(ctx, as_of, width)
            with ctx.db.read() as session:
                got, totals = aging.aged_rows(session, as_of, width)
                ledger_total = aging.ledger_sum_in(session, as_of)
                summed = aging.aged_totals(session, as_of, width)  # the weekly report's
            assert summed == totals
            assert {p.patient_id: (p.buckets, p.last_payment, p.last_statement) for p in got} == expected, \
                (width, back)
            assert sum(totals) == ledger_total == sum(sum(b) for b, _p, _s in expected.values())
            seen += [buckets for buckets, _p, _s in expected.values()]
    # The random ledgers reached the cases the closed form must get right:
    assert any(sum(b > 0 for b in buckets) > 1 for buckets in seen)  # a balance split over buckets
    assert any(buckets[-1] > 0 for buckets in seen)  # money in the oldest bucket
    assert any(buckets[0] < 0 for buckets in seen)  # a credit (what no debit absorbed)


def test_streamed_csv_is_the_aging_row_for_row_and_adds_up_to_the_ledger(ctx, tmp_path):
    _random_ledgers(ctx, 5)
    ctx.settings = replace(ctx.settings, ar_bucket_days=45)
    sup = actor_for(ctx, "super")
    as_of = CLINIC_DAY - timedelta(days=3)
    report = aging.aging(ctx, sup, as_of, check_total=True)
    export = aging_export(ctx, sup, as_of)
    target = tmp_path / "aging.csv"
    deliver_stream(Target(target), export.fill, export.publish)
    assert target.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["mrn", "name", "0-45", "46-90", "91-135", "136-180", "180+", "balance",
                       "last_payment", "last_statement"]
    body, total = rows[1:-1], rows[-1]
    assert export.patients == len(body) == len(report.patients) > 0
    want = {p.mrn: [p.mrn, p.name, *map(money_text, p.buckets), money_text(p.balance_cents),
                    str(p.last_payment or ""), str(p.last_statement or "")] for p in report.patients}
    assert {r[0]: r for r in body} == want
    assert total == ["TOTAL", "", *map(money_text, report.totals), money_text(report.ledger_total), "", ""]
    assert export.totals == report.totals and sum(report.totals) == report.ledger_total


def test_only_supervisors_export_and_a_minimum_leaves_out_smaller_balances(ctx, tmp_path):
    _random_ledgers(ctx, 9)
    with pytest.raises(PermissionDenied):
        aging_export(ctx, actor_for(ctx, "demo"), CLINIC_DAY)
    sup = actor_for(ctx, "super")
    export = aging_export(ctx, sup, CLINIC_DAY, min_balance_cents=100_00)
    deliver_stream(Target(tmp_path / "big.csv"), export.fill, export.publish)
    body = list(csv.reader(io.StringIO((tmp_path / "big.csv").read_text(encoding="utf-8"))))[1:-1]
    everyone = aging.aging(ctx, sup, CLINIC_DAY).patients
    assert sorted(r[0] for r in body) == sorted(p.mrn for p in everyone if p.balance_cents >= 100_00)
    assert 0 < len(body) < len(everyone)


def test_names_and_record_numbers_that_need_quoting_read_back_as_they_are(ctx, tmp_path):
    """The export writes its lines by hand (csv.writer's cost, at a million rows): quotes, commas,
    line breaks and formula starts must still come back from a CSV reader as typed (a formula
    start quoted with an apostrophe, as everywhere in our CSV files)."""
    _random_ledgers(ctx, 11)
    sup = actor_for(ctx, "super")
    owing = [p.patient_id for p in aging.aging(ctx, sup, CLINIC_DAY).patients][:4]
    tricky = [('O"Brien', "Ann", 'M,1"'), ("=HYPERLINK(1)", "Bo", "M-2"), ("Line\nBreak", 'Cy "C"', "M3"),
              ("Ng", "Di\r", "M 4")]
    with ctx.db.write() as session:
        for pid, (family, given, mrn) in zip(owing, tricky, strict=True):
            patient = session.get(Patient, pid)
            patient.family_name, patient.given_name, patient.mrn = family, given, mrn
    export = aging_export(ctx, sup, CLINIC_DAY)
    deliver_stream(Target(tmp_path / "a.csv"), export.fill, export.publish)
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as handle:
        names = {row[0]: row[1] for row in csv.reader(handle)}
    assert names['M,1"'] == 'O"Brien, Ann' and names["M-2"] == "'=HYPERLINK(1), Bo"
    assert names["M3"] == 'Line\nBreak, Cy "C"' and names["M 4"] == "Ng, Di\r"


def test_the_streamed_text_is_the_reports_text_line_for_line(ctx, tmp_path):
    """`ar aging --format txt` streams (aging_export.py); it must be aging_text's report: the same
    head, the same patient lines (in no promised order) and the same TOTAL line."""
    _random_ledgers(ctx, 13)
    sup = actor_for(ctx, "super")
    as_of = CLINIC_DAY - timedelta(days=2)
    report = aging.aging(ctx, sup, as_of)
    export = aging_export(ctx, sup, as_of, format="txt")
    deliver_stream(Target(tmp_path / "a.txt"), export.fill, export.publish)
    got = (tmp_path / "a.txt").read_text(encoding="utf-8").splitlines()
    want = aging.aging_text(report).splitlines()
    assert len(report.patients) > 5 and export.totals == report.totals
    assert got[:3] == want[:3] and got[-2:] == want[-2:]
    assert sorted(got[3:-2]) == sorted(want[3:-2])
