"""The authorisation check of a booking, run INSIDE the booking's write transaction.

`authorise_visit` is called by every path that creates an appointment (booking from a patient or
the schedule, a move, a walk-in) after the appointment row is flushed. It decides from counts read
in that same BEGIN IMMEDIATE transaction, so two desks booking the last authorised visit at the
same moment cannot both succeed: the second waits for the first to commit, then counts its visit.

- A type that needs an authorisation for the patient's payer (`auth_requirements`) is refused
  without a usable one (approved or active, covering the type, the visit's date in its window,
  a visit left), with the reason. A supervisor may book anyway with an override reason, kept on
  `referral_visits` and in the audit trail.
- A named referral (`referral_id`) is checked the same way whether or not the type needs one.
- Otherwise a referral or authorisation that names this type explicitly and has a visit left is
  linked on its own, so an incoming referral turns active when it is booked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import (
    OPEN,
    USABLE,
    Counts,
    ReferralKind,
    VisitRule,
    in_window,
    shown_status,
    summary,
)
from coordinator_tui.domain.text import clean_text
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.referrals.counting import (
    counted,
    payer_and_need,
    payer_name,
)
from coordinator_tui.store.models import (
    Appointment,
    AppointmentType,
    Referral,
    ReferralEvent,
    ReferralVisit,
)
from coordinator_tui.store.types import UTCDateTime

OVERRIDE_HINT = "; a supervisor can book it with an override and a reason"


def label_of(referral) -> str:
    """What a person calls it: authorisation A123, or referral #12 (a Referral or a Candidate)."""
    word = "authorisation" if referral.kind == ReferralKind.PRIOR_AUTH.value else "referral"
    return f"{word} {referral.auth_number or '#' + str(referral.id)}"


@dataclass(frozen=True)
class Candidate:
    """A referral as the booking check reads it (plain columns, no ORM object to track)."""

    id: int
    patient_id: int
    kind: str
    status: str
    auth_number: str | None
    auth_valid_from: date | None
    auth_valid_to: date | None
    auth_visits: int | None
    payer_id: int | None
    rule: VisitRule = VisitRule()  # the payer's rule for visits that did not happen


@dataclass(frozen=True)
class Assessment:
    """What covers a visit: the referral chosen (with its summary), or the problem."""

    needed: bool
    chosen: Candidate | None = None
    counts: Counts | None = None  # the chosen one's visits
    problem: str | None = None
    nearest: Candidate | None = None  # the record the problem is about, if any

    @property
    def summary(self) -> str | None:
        if self.chosen is None or self.counts is None:
            return None
        return summary(self.counts, self.chosen.auth_valid_to)

    @property
    def audit_detail(self) -> dict:
        """What the booking's own audit row says about its cover (one row per booking; the link
        itself, with who made it and when, is the visit's `referral_visits` row)."""
        return {"referral_id": self.chosen.id} if self.chosen is not None else {}

    @property
    def line(self) -> str | None:
        """One line for a screen: "authorisation A123: 4 approved | 2 left, ends 31 Jan"."""
        if self.chosen is not None:
            return f"{label_of(self.chosen)}: {self.summary}"
        return self.problem


def _problem(session: Session, referral: Candidate, types: set[int], kind: AppointmentType, day: date,
             today: date) -> tuple[str | None, Counts | None]:
    """(why this referral cannot cover a `kind` visit on `day`, its counts). The checks that need
    no query come first; the visits are counted last, only for a referral that passes them."""
    name = label_of(referral)
    if referral.kind == ReferralKind.OUTGOING.value:
        return f"{name} is an outgoing referral: it covers no visit here", None
    usable = USABLE if referral.kind == ReferralKind.PRIOR_AUTH.value else OPEN
    if referral.status not in usable:
        return f"{name} is {referral.status}", None
    if types and kind.id not in types:
        return f"{name} does not cover {kind.code} visits", None
    if referral.auth_valid_to is not None and referral.auth_valid_to < today:
        return f"{name} is expired", None
    if not in_window(day, referral.auth_valid_from, referral.auth_valid_to):
        span = (f"{referral.auth_valid_from or 'any time'} to {referral.auth_valid_to or 'open'}")
        return f"{name} is valid {span}; the visit is on {day.isoformat()}", None
    c = counted(session, referral.id, referral.auth_visits, referral.rule)
    if shown_status(referral.status, c, referral.auth_valid_to, today) == "exhausted":
        return f"{name} is exhausted ({summary(c, referral.auth_valid_to)})", c
    if c.remaining is not None and c.remaining < 1:
        return f"{name} has no visits left ({summary(c, referral.auth_valid_to)})", c
    return None, c


_COLUMNS = ("id", "patient_id", "kind", "status", "auth_number", "auth_valid_from", "auth_valid_to",
            "auth_visits", "payer_id")
_AGGREGATE = {"sqlite": "group_concat(t.appointment_type_id)",
              "postgresql": "string_agg(t.appointment_type_id::text, ',')"}
_TYPED = {"auth_valid_from": Date(), "auth_valid_to": Date()}


def _statements(dialect: str):
    # The payer's visit rule comes along (one query fewer inside the booking transaction).
    select = (f"SELECT {', '.join('r.' + c for c in _COLUMNS)}, {_AGGREGATE[dialect]} AS types, "
              "pr.cancelled_uses, pr.no_show_uses ")
    joins = ("LEFT JOIN referral_types t ON t.referral_id = r.id "
             "LEFT JOIN payer_visit_rules pr ON pr.payer_id = r.payer_id ")
    group = "GROUP BY r.id, pr.cancelled_uses, pr.no_show_uses "
    # For a patient, in the same statement: the payer of the active primary coverage and whether
    # the type needs an authorisation from it (one row with no referral when there is none).
    active = "active = 1" if dialect == "sqlite" else "active"  # SQLite's partial index wants `= 1`
    need = ("SELECT x.payer_id, EXISTS (SELECT 1 FROM auth_requirements q WHERE q.appointment_type_id = "
            ":type_id AND (q.payer_id IS NULL OR q.payer_id = x.payer_id)) AS needed FROM (SELECT (SELECT "
            f"payer_id FROM coverages WHERE patient_id = :patient_id AND rank = 'primary' AND {active} "
            "LIMIT 1) AS payer_id) AS x")
    return (text(select + "FROM referrals r " + joins + "WHERE r.id = :referral_id " + group).columns(**_TYPED),
            text(select + f", need.payer_id AS payer_of_patient, need.needed FROM ({need}) AS need "
                 "LEFT JOIN referrals r ON r.patient_id = :patient_id AND r.kind IN (:kind_a, :kind_b) "
                 + joins + group + ", need.payer_id, need.needed "
                 "ORDER BY r.auth_valid_to IS NULL, r.auth_valid_to, r.id").columns(**_TYPED))


# Prebuilt per engine: (by id, for a patient).
_PREBUILT = {name: _statements(name) for name in _AGGREGATE}


def _with_types(session: Session, stmt: int, params: dict
                ) -> tuple[list[tuple[Candidate, set[int]]], tuple[int | None, bool] | None]:
    """The referrals statement `stmt` (0: by id, 1: for a patient) selects, each with the
    appointment types it covers, and for a patient (payer id, does the type need an
    authorisation from it): one query."""
    out, need = [], None
    stmt = _PREBUILT[session.get_bind().dialect.name][stmt]
    for row in session.execute(stmt, params):
        values = row._mapping
        if "needed" in values:
            need = (values["payer_of_patient"], bool(values["needed"]))
        if values["id"] is None:
            continue  # the patient has no referral: the row only says the payer and the need
        types = values["types"]
        rule = VisitRule() if values["no_show_uses"] is None else VisitRule(
            cancelled_uses=bool(values["cancelled_uses"]), no_show_uses=bool(values["no_show_uses"]))
        out.append((Candidate(*(values[c] for c in _COLUMNS), rule=rule),
                    {int(t) for t in str(types).split(",")} if types else set()))
    return out, need


def assess(session: Session, ctx: AppContext, patient_id: int, kind: AppointmentType,
           starts_at: datetime, *, referral_id: int | None = None) -> Assessment:
    """Read-only: what would cover a `kind` visit for this patient at `starts_at`."""
    day = ctx.local(starts_at).date()
    today = ctx.today()
    if referral_id is not None:
        _payer_id, needed = payer_and_need(session, patient_id, kind.id)
        found = _with_types(session, 0, {"referral_id": referral_id})[0] \
            if isinstance(referral_id, int) and not isinstance(referral_id, bool) else []
        if not found:
            raise UserError(f"there is no referral {referral_id}")
        referral, types = found[0]
        if referral.patient_id != patient_id:
            raise UserError(f"referral {referral_id} is for another patient")
        problem, c = _problem(session, referral, types, kind, day, today)
        if problem:
            return Assessment(needed, problem=problem, nearest=referral)
        return Assessment(needed, chosen=referral, counts=c)
    candidates, (payer_id, needed) = _with_types(session, 1, {
        "patient_id": patient_id, "type_id": kind.id, "kind_a": ReferralKind.PRIOR_AUTH.value,
        "kind_b": ReferralKind.INCOMING.value})
    first_problem: tuple[str, Candidate] | None = None
    for referral, types in candidates:
        if needed and referral.kind != ReferralKind.PRIOR_AUTH.value:
            continue  # a visit that needs an authorisation is counted on a prior authorisation
        if not needed and kind.id not in types:
            continue  # linked on its own only when it names this type
        problem, c = _problem(session, referral, types, kind, day, today)
        if problem is None:
            return Assessment(needed, chosen=referral, counts=c)
        if first_problem is None and (not types or kind.id in types):
            first_problem = (problem, referral)
    if not needed:
        return Assessment(False)
    if first_problem is not None:
        return Assessment(True, problem=first_problem[0], nearest=first_problem[1])
    payer = payer_name(session, payer_id) or "every payer"
    return Assessment(True, problem=f"{kind.code} visits need a prior authorisation ({payer[:30]}); "
                                    f"none is on file for this patient")


# Prebuilt (a Core insert built per booking cost ~0.3 ms of compiling inside the transaction).
_LINK_VISIT = text(
    "INSERT INTO referral_visits (appointment_id, referral_id, override_reason, linked_at, linked_by_id) "
    "VALUES (:appointment_id, :referral_id, :override_reason, :linked_at, :linked_by_id)"
).bindparams(bindparam("linked_at", type_=UTCDateTime()))


def _link(session: Session, actor: Actor, appointment: Appointment, referral: Candidate | None,
          at: datetime, override: str | None) -> None:
    """The visit booked on the referral (Core statements: no ORM objects to flush); a referral
    still waiting for its first visit turns active, in its history too."""
    session.execute(_LINK_VISIT, {"appointment_id": appointment.id,
                                  "referral_id": referral.id if referral else None,
                                  "override_reason": override, "linked_at": at, "linked_by_id": actor.id})
    if referral is not None and override is None and referral.status in ("requested", "pending", "approved"):
        session.execute(insert(ReferralEvent).values(referral_id=referral.id, at=at, by_id=actor.id,
                                                     field="status", from_value=referral.status,
                                                     to_value="active"))
        session.execute(update(Referral).where(Referral.id == referral.id)
                        .values(status="active", version_id=Referral.version_id + 1)
                        .execution_options(synchronize_session=False))


def authorise_visit(session: Session, ctx: AppContext, actor: Actor, appointment: Appointment, *,
                    referral_id: int | None = None, override: str | None = None,
                    override_approved: bool = False, kind=None) -> Assessment:
    """Inside the booking's write transaction, after the appointment is flushed: link it to the
    referral that covers it, or refuse (UserError) with the reason, unless a supervisor gives an
    override reason (audited here, with the reason). A plain link adds no audit row of its own:
    the caller's row for the booking names it (`Assessment.audit_detail`). `override_approved`: the override was given by a supervisor earlier (a
    moved visit keeps it). `kind`: the visit's type as the caller read it (a row will do)."""
    if kind is None or kind.id != appointment.appointment_type_id:
        kind = session.get(AppointmentType, appointment.appointment_type_id)
    found = assess(session, ctx, appointment.patient_id, kind, appointment.starts_at,
                   referral_id=referral_id)
    at = ctx.now()
    if found.problem is not None:
        if override is None:
            raise UserError(found.problem + OVERRIDE_HINT)
        if not override_approved:
            require(actor, Permission.OVERRIDE_AUTHORISATION)
        reason = clean_text(override, "the override reason", required=True, limit=300)
        _link(session, actor, appointment, found.nearest, at, reason)
        audit.record(session, actor, "referral.override", at, patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"problem": found.problem, "reason": reason,
                             "referral_id": found.nearest.id if found.nearest else None})
        return Assessment(found.needed, nearest=found.nearest,
                          problem=f"booked over a supervisor's override ({reason}): {found.problem}")
    if found.chosen is not None:
        _link(session, actor, appointment, found.chosen, at, None)
        c = found.counts  # with this visit, now booked on it
        found = Assessment(found.needed, chosen=found.chosen,
                           counts=Counts(c.authorised, c.used, c.scheduled + 1))
    return found


def carry_visit(session: Session, ctx: AppContext, actor: Actor, old_id: int,
                new: Appointment) -> Assessment:
    """A move: the old visit's link stops counting and the new visit is checked and linked on
    the same referral (a supervisor's override travels with it)."""
    old = session.get(ReferralVisit, old_id)
    if old is None:
        return authorise_visit(session, ctx, actor, new)
    old.moved_to_id = new.id
    session.flush()
    return authorise_visit(session, ctx, actor, new, referral_id=old.referral_id,
                           override=old.override_reason, override_approved=old.override_reason is not None)


def visit_cover(session: Session, appointment_id: int) -> ReferralVisit | None:
    return session.get(ReferralVisit, appointment_id)


def cover_line(ctx: AppContext, actor: Actor, patient_id: int, type_code: str,
               starts_at: datetime) -> str | None:
    """What booking a `type_code` visit at `starts_at` would be counted on, or why it would be
    refused; None when the visit needs no authorisation and none names the type (the booking
    screen shows it beside the free slots; booking itself decides again in its transaction)."""
    with ctx.db.read() as session:
        kind = session.scalar(select(AppointmentType).where(
            AppointmentType.code == (type_code or "").strip().upper()))
        if kind is None:
            return None
        found = assess(session, ctx, patient_id, kind, starts_at)
        if found.problem is not None:
            return f"! {found.problem}"
        return found.line
