"""What the payers said about a coverage (the 271 answers kept per coverage), read for the desk:
the checklist's eligibility line, the record's benefits summary, and "authorisation required"
for the referrals work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.estimate import percent, say
from coordinator_tui.services.context import AppContext
from coordinator_tui.store.models import Coverage, EligibilityBenefit, Payer, StaffUser


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Benefits:
    """One coverage's latest 271 answer."""

    id: int
    coverage_id: int
    status: str                  # active | inactive | rejected
    reject_reason: str | None
    plan_name: str | None
    plan_from: date | None
    plan_to: date | None
    copay_cents: int | None
    deductible_cents: int | None
    deductible_remaining_cents: int | None
    coinsurance_bp: int | None
    oop_remaining_cents: int | None
    in_network: bool | None
    auth_required: bool
    imported_at: datetime

    def answer(self) -> str:
        """The payer's answer in a few words: 'active, copay $25' / 'inactive' / the rejection."""
        if self.status == "rejected":
            return f"rejected: {self.reject_reason}"
        if self.status == "inactive":
            return "inactive"
        return "active" + (f", copay {say(self.copay_cents)}" if self.copay_cents is not None else "")

    def summary(self, tz: ZoneInfo) -> list[str]:
        """The record's benefits lines (each under 76 columns)."""
        when = f"{aware(self.imported_at).astimezone(tz):%Y-%m-%d %H:%M}"
        lines = [f"Payer 271 of {when}: {self.answer()}"]
        if self.status != "active":
            return lines
        plan = self.plan_name or "plan not named"
        dates = ""
        if self.plan_from or self.plan_to:
            dates = f" {self.plan_from or '?'} to {self.plan_to or '?'}"
        network = {True: ", in network", False: ", OUT of network", None: ""}[self.in_network]
        lines.append(f"  {plan[:40]}{dates}{network}")
        money = []
        if self.deductible_cents is not None or self.deductible_remaining_cents is not None:
            total = say(self.deductible_cents) if self.deductible_cents is not None else "?"
            left = say(self.deductible_remaining_cents) if self.deductible_remaining_cents is not None else "?"
            money.append(f"deductible {total} ({left} left)")
        if self.coinsurance_bp is not None:
            money.append(f"coinsurance {percent(self.coinsurance_bp)}")
        if self.oop_remaining_cents is not None:
            money.append(f"out of pocket {say(self.oop_remaining_cents)} left")
        if money:
            lines.append("  " + ", ".join(money))
        if self.auth_required:
            lines.append("  Authorisation required")
        return lines


def _benefits(row: EligibilityBenefit) -> Benefits:
    return Benefits(row.id, row.coverage_id, row.status, row.reject_reason, row.plan_name, row.plan_from,
                    row.plan_to, row.copay_cents, row.deductible_cents, row.deductible_remaining_cents,
                    row.coinsurance_bp, row.oop_remaining_cents, row.in_network, bool(row.auth_required),
                    aware(row.imported_at))


# Built once: the check-in checklist asks on every build, inside the check-in's write lock
# (services/checkin/checklist_reads.py says what building per call cost).
_TABLE = EligibilityBenefit.__table__
_LATEST = (select(_TABLE).where(_TABLE.c.coverage_id == bindparam("coverage_id"))
           .order_by(_TABLE.c.imported_at.desc(), _TABLE.c.id.desc()).limit(1))
_ACTIVE_WITH_PAYER = (select(Coverage.id, Coverage.rank, Payer.name).join(Payer, Payer.id == Coverage.payer_id)
                      .where(Coverage.patient_id == bindparam("patient_id"), Coverage.active.is_(True))
                      .order_by(Coverage.rank, Coverage.id))  # the record view asks it every time
_PRIMARY_ID = select(Coverage.id).where(Coverage.patient_id == bindparam("patient_id"),
                                        Coverage.rank == "primary", Coverage.active.is_(True))


MEMO = "latest_benefits"  # session.info: {coverage id: Benefits | None} while one read lasts


def latest_benefits(session: Session, coverage_id: int) -> Benefits | None:
    memo = session.info.get(MEMO)
    if memo is not None and coverage_id in memo:
        return memo[coverage_id]
    session.flush()  # as the ORM's autoflush: the caller's own changes are seen
    row = session.connection().execute(_LATEST, {"coverage_id": coverage_id}).first()
    found = _benefits(row) if row is not None else None
    if memo is not None:
        memo[coverage_id] = found
    return found


@contextmanager
def benefits_read_once(session: Session) -> Iterator[None]:
    """Inside: each coverage's latest 271 is read once (the checklist's eligibility line and its
    referral item both ask). Only around reads: a 271 saved inside would not be seen."""
    if MEMO in session.info:  # an outer one is already remembering
        yield
        return
    session.info[MEMO] = {}
    try:
        yield
    finally:
        session.info.pop(MEMO, None)


def checklist_detail(ctx: AppContext, session: Session, coverage: Coverage) -> str | None:
    """The checklist's eligibility line (current or a problem) when a 271 has come for this
    coverage: its answer and when it came, or, when the desk verified by phone since, that.
    None: no 271, or the desk's own mark is the newer (the checklist says what it always said)."""
    latest = latest_benefits(session, coverage.id)
    if latest is None:
        return None
    if coverage.eligibility_status == "problem" and not (coverage.eligibility_note or "").startswith("payer 271"):
        return None
    verified_at = aware(coverage.verified_at)
    if verified_at is not None and verified_at > latest.imported_at and coverage.eligibility_status == "verified":
        who = session.get(StaffUser, coverage.verified_by_id) if coverage.verified_by_id else None
        return f"by phone {ctx.local(verified_at):%m/%d %H:%M} by {who.username if who else '?'}"
    # The checklist shows 36 columns: a rejection by its reason alone (the item is marked undone).
    words = latest.reject_reason if latest.status == "rejected" else latest.answer()
    return f"271 {ctx.local(latest.imported_at):%m/%d %H:%M} {words}"


def benefits_lines(ctx: AppContext, session: Session, patient_id: int) -> tuple[str, ...]:
    """The benefits summary of the patient's active coverages, for the record (inside its view)."""
    lines: list[str] = []
    session.flush()  # as the ORM's autoflush: the caller's own changes are seen
    rows = session.connection().execute(_ACTIVE_WITH_PAYER, {"patient_id": patient_id}).all()
    for coverage_id, rank, payer in rows:
        latest = latest_benefits(session, coverage_id)
        if latest is None:
            continue
        summary = latest.summary(ctx.settings.tz)
        summary[0] = f"{rank} {payer[:20]}: {summary[0]}"
        lines.extend(summary)
    return tuple(lines)


def coverage_benefits(ctx: AppContext, coverage_id: int) -> Benefits | None:
    """The latest 271 answer for a coverage (None: no answer yet). `auth_required` says whether the
    payer wants an authorisation for the service asked about (EB11 Y): the referrals work reads it."""
    with ctx.db.read() as session:
        return latest_benefits(session, coverage_id)


ASK = object()  # the caller has not read the primary coverage: this asks


def payer_wants_authorisation(session: Session, patient_id: int, *,
                              coverage_id: int | None | object = ASK) -> bool | None:
    """Inside the caller's session: whether the payer's latest 271 for the patient's active
    primary coverage says an authorisation is required (EB11 Y): True / False, or None when no
    payer has answered (or the patient is self-pay). The check-in checklist's "referral /
    authorisation" item reads it, giving the primary coverage's id it read (None: self-pay)."""
    if coverage_id is ASK:
        session.flush()
        coverage_id = session.connection().execute(_PRIMARY_ID, {"patient_id": patient_id}).scalar()
    latest = latest_benefits(session, coverage_id) if coverage_id is not None else None
    return None if latest is None or latest.status != "active" else latest.auth_required


def authorisation_required(ctx: AppContext, patient_id: int) -> bool | None:
    """`payer_wants_authorisation` in its own read transaction."""
    with ctx.db.read() as session:
        return payer_wants_authorisation(session, patient_id)
