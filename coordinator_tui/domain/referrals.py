"""Referrals and prior authorisations: the vocabularies and the pure rules (no I/O).

Decisions (kept here so the desk, the command line and the tests agree):
- Visits are counted, never stored: `used` = attended visits (arrived, roomed, with the provider,
  done), plus no-shows and cancellations when the payer's rule says they use a visit (default: a
  no-show uses one, a cancellation gives it back); `scheduled` = booked or confirmed visits;
  `remaining` = authorised - used - scheduled (None when open-ended).
- The stored status is what a person set; the status shown is the stored one, except that an
  approved or active authorisation past its end date shows as expired, and one whose visits are
  all used shows as exhausted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import UserError


class ReferralKind(StrEnum):
    INCOMING = "incoming_referral"
    OUTGOING = "outgoing_referral"
    PRIOR_AUTH = "prior_authorisation"

    @property
    def label(self) -> str:
        return {"incoming_referral": "Incoming referral", "outgoing_referral": "Outgoing referral",
                "prior_authorisation": "Prior auth"}[self.value]


KIND_WORDS = {"in": ReferralKind.INCOMING, "incoming": ReferralKind.INCOMING,
              "out": ReferralKind.OUTGOING, "outgoing": ReferralKind.OUTGOING,
              "auth": ReferralKind.PRIOR_AUTH, "prior-auth": ReferralKind.PRIOR_AUTH,
              "prior_auth": ReferralKind.PRIOR_AUTH}


def parse_kind(text: str) -> ReferralKind:
    key = (text or "").strip().lower()
    try:
        return KIND_WORDS.get(key) or ReferralKind(key)
    except ValueError:
        raise UserError(f"unknown kind {text[:20]!r}: use in, out or auth") from None


class DocumentKind(StrEnum):
    """What an appointment type can require in hand before the visit."""

    PHOTO_ID = "photo_id"
    INSURANCE_CARD = "insurance_card"
    REFERRAL = "referral"
    AUTHORISATION = "authorisation"
    CONSENT = "consent"

    @property
    def label(self) -> str:
        return {"photo_id": "photo ID", "insurance_card": "insurance card copy",
                "referral": "referral", "authorisation": "authorisation",
                "consent": "consent"}[self.value]


class ChaseReason(StrEnum):
    """Why a referral is on the work list; each feeds the callback queue once per referral."""

    EXPIRING = "expiring"
    FEW_VISITS = "few_visits"
    NO_APPOINTMENT = "no_appointment"
    NO_REPLY = "no_reply"
    NOT_BOOKED = "not_booked"

    @property
    def label(self) -> str:
        return {"expiring": "authorisation ends soon", "few_visits": "few visits left",
                "no_appointment": "no appointment yet", "no_reply": "no reply yet",
                "not_booked": "not booked yet"}[self.value]


ATTENDED = frozenset({AppointmentStatus.ARRIVED.value, AppointmentStatus.ROOMED.value,
                      AppointmentStatus.WITH_PROVIDER.value, AppointmentStatus.CHECKED_OUT.value})
HOLDING = frozenset({AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value})
USABLE = frozenset({"approved", "active"})  # a prior authorisation in one of these can be booked on
OPEN = frozenset({"requested", "pending", "approved", "active"})  # still being worked


@dataclass(frozen=True)
class VisitRule:
    """A payer's rule for visits that did not happen."""

    cancelled_uses: bool = False
    no_show_uses: bool = True


@dataclass(frozen=True)
class Counts:
    authorised: int | None  # None: open-ended
    used: int
    scheduled: int

    @property
    def remaining(self) -> int | None:
        if self.authorised is None:
            return None
        return self.authorised - self.used - self.scheduled


def count_visits(authorised: int | None, statuses: list[str], rule: VisitRule) -> Counts:
    """`statuses`: the status of every visit booked on the authorisation (moved ones left out)."""
    used = scheduled = 0
    for status in statuses:
        if status in ATTENDED:
            used += 1
        elif status in HOLDING:
            scheduled += 1
        elif status == AppointmentStatus.NO_SHOW.value and rule.no_show_uses:
            used += 1
        elif status == AppointmentStatus.CANCELLED.value and rule.cancelled_uses:
            used += 1
    return Counts(authorised, used, scheduled)


def shown_status(status: str, counts: Counts, valid_to: date | None, today: date) -> str:
    if status in USABLE:
        if valid_to is not None and valid_to < today:
            return "expired"
        if counts.authorised is not None and counts.used >= counts.authorised:
            return "exhausted"
    return status


def summary(counts: Counts, valid_to: date | None) -> str:
    """"4 approved | 2 left, ends 31 Jan" (what the record, booking and check-in show)."""
    if counts.authorised is None:
        text = f"open-ended | {counts.used} used, {counts.scheduled} booked"
    else:
        text = f"{counts.authorised} approved | {max(counts.remaining, 0)} left"
    if valid_to is not None:
        text += f", ends {valid_to.day} {valid_to:%b}"
    return text


def in_window(day: date, valid_from: date | None, valid_to: date | None) -> bool:
    return (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to)


def check_window(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise UserError(f"the end date ({valid_to.isoformat()}) is before the start date "
                        f"({valid_from.isoformat()})")


def check_visits(visits: int | None) -> None:
    if visits is None:
        return
    if isinstance(visits, bool) or not isinstance(visits, int):
        raise UserError("the number of visits must be a whole number")
    if visits < 0:
        raise UserError("the number of visits cannot be negative")
    if visits > 999:
        raise UserError("the number of visits is more than 999")


def check_not_future(day: date, today: date, what: str) -> None:
    if day > today:
        raise UserError(f"{what} ({day.isoformat()}) is in the future")
