"""The referrals work list: what to chase until it is closed, and feeding it to the callback queue.

On the list (thresholds are settings):
- prior authorisations (approved or active) ending within `auth_expiring_days` (14), or with
  `auth_few_visits` (2) visits left or fewer;
- outgoing referrals still open `referral_reply_days` (14) after they were sent: no reply yet,
  or a reply but no appointment with the specialist yet (not active);
- incoming referrals not booked `referral_unbooked_days` (3) after they came.

`feed_callbacks` puts each (referral, reason) on the callback queue once: `referral_chases`
remembers it (a unique pair), so a second run, or a second desk, adds nothing. The queue's own
rule (one open item per patient and reason) still holds: a patient with two referrals to chase
gets one open "Referral / prior auth" item, and both chases point at it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import (
    OPEN,
    USABLE,
    ChaseReason,
    ReferralKind,
)
from coordinator_tui.domain.vocab import CallbackReason, Priority
from coordinator_tui.services import audit
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.referrals.booking_check import label_of
from coordinator_tui.services.referrals.counting import counts
from coordinator_tui.store.models import (
    Appointment,
    Patient,
    Referral,
    ReferralChase,
    ReferralVisit,
)

MAX_ROWS = 300


@dataclass(frozen=True)
class ChaseRow:
    referral_id: int
    patient_id: int
    mrn: str
    patient: str
    label: str
    reason: ChaseReason
    detail: str  # what the work list's "Why" column shows whole (26 cells): "ends 2026-12-01"
    fed: bool  # already on the callback queue for this reason


def _remaining(session: Session, today: date, few: int) -> list[tuple[int, Referral]]:
    """Usable, counted authorisations with `few` visits left or fewer: [(left, referral)].

    One grouped query narrows them first: a referral's visits left are never fewer than its
    authorised visits minus every visit linked to it, so only those where that is already
    `few` or less can qualify; each of those is then counted exactly (by the payer's rule)."""
    links = (select(ReferralVisit.referral_id, func.count().label("n"))
             .where(ReferralVisit.moved_to_id.is_(None), ReferralVisit.referral_id.is_not(None))
             .group_by(ReferralVisit.referral_id).subquery())
    narrowed = session.scalars(
        select(Referral).outerjoin(links, links.c.referral_id == Referral.id)
        .where(Referral.kind == ReferralKind.PRIOR_AUTH.value, Referral.status.in_(USABLE),
               Referral.auth_visits.is_not(None),
               (Referral.auth_valid_to.is_(None)) | (Referral.auth_valid_to >= today),
               Referral.auth_visits - func.coalesce(links.c.n, 0) <= few))
    out = []
    for referral in narrowed:
        left = counts(session, referral).remaining
        if left is not None and left <= few:
            out.append((left, referral))
    return out


def _items(session: Session, ctx: AppContext) -> list[tuple[Referral, ChaseReason, str]]:
    s = ctx.settings
    today = ctx.today()
    items: list[tuple[Referral, ChaseReason, str]] = []
    for r in session.scalars(select(Referral).where(
            Referral.kind == ReferralKind.PRIOR_AUTH.value, Referral.status.in_(USABLE),
            Referral.auth_valid_to >= today,
            Referral.auth_valid_to <= today + timedelta(days=s.auth_expiring_days))):
        items.append((r, ChaseReason.EXPIRING, f"ends {r.auth_valid_to.isoformat()}"))
    for left, r in _remaining(session, today, s.auth_few_visits):
        items.append((r, ChaseReason.FEW_VISITS, f"{max(left, 0)} of {r.auth_visits} visits left"))
    sent_before = today - timedelta(days=s.referral_reply_days)
    for r in session.scalars(select(Referral).where(
            Referral.kind == ReferralKind.OUTGOING.value, Referral.status.in_(OPEN - {"active"}),
            Referral.received_on <= sent_before)):
        if r.replied_on is None:
            items.append((r, ChaseReason.NO_REPLY, f"no reply since {r.received_on.isoformat()}"))
        else:
            items.append((r, ChaseReason.NO_APPOINTMENT, f"replied {r.replied_on.isoformat()}, no appt"))
    booked = exists().where(ReferralVisit.referral_id == Referral.id, ReferralVisit.moved_to_id.is_(None),
                            Appointment.id == ReferralVisit.appointment_id,
                            Appointment.status.notin_(["cancelled", "no_show"]))
    for r in session.scalars(select(Referral).where(
            Referral.kind == ReferralKind.INCOMING.value,
            Referral.status.in_(["requested", "pending", "approved"]),
            Referral.received_on <= today - timedelta(days=s.referral_unbooked_days), ~booked)):
        items.append((r, ChaseReason.NOT_BOOKED, f"unbooked since {r.received_on.isoformat()}"))
    return items


def _fed(session: Session) -> set[tuple[int, str]]:
    return set(session.execute(select(ReferralChase.referral_id, ReferralChase.reason)).tuples())


def work_list(ctx: AppContext, actor: Actor) -> list[ChaseRow]:
    """What to chase, soonest problem first within each reason. One audited view."""
    with ctx.db.write() as session:
        items = _items(session, ctx)[:MAX_ROWS]
        fed = _fed(session)
        patients = {p.id: p for p in session.scalars(
            select(Patient).where(Patient.id.in_({r.patient_id for r, _w, _d in items})))}
        rows = [ChaseRow(r.id, r.patient_id, patients[r.patient_id].mrn,
                         f"{patients[r.patient_id].family_name}, {patients[r.patient_id].given_name}",
                         label_of(r), why, detail, (r.id, why.value) in fed) for r, why, detail in items]
        audit.record(session, actor, "referral.work_list", ctx.now(), detail={"rows": len(rows)})
        return rows


def feed_callbacks(ctx: AppContext, actor: Actor) -> int:
    """Put every work-list item not yet fed on the callback queue (one item per patient and
    reason, as the queue always has). Returns how many chases were added."""
    at = ctx.now()
    due = datetime.combine(ctx.today(), time(17), tzinfo=ctx.settings.tz).astimezone(UTC)
    made = 0
    with ctx.db.write() as session:
        fed = _fed(session)
        for referral, why, detail in _items(session, ctx):
            if (referral.id, why.value) in fed:
                continue
            priority = Priority.HIGH if why in (ChaseReason.EXPIRING, ChaseReason.FEW_VISITS) else Priority.NORMAL
            item, _created = ensure_open_callback(
                session, actor, patient_id=referral.patient_id, reason=CallbackReason.REFERRAL, at=at,
                due_at=max(due, at), priority=priority, referral_id=referral.id,
                note=f"{label_of(referral)}: {why.label} ({detail})"[:500])
            session.add(ReferralChase(referral_id=referral.id, reason=why.value, callback_id=item.id,
                                      created_at=at))
            fed.add((referral.id, why.value))
            session.flush()
            audit.record(session, actor, "referral.chase", at, patient_id=referral.patient_id,
                         entity="referral", entity_id=referral.id, detail={"reason": why.value,
                                                                            "callback_id": item.id})
            made += 1
        return made
