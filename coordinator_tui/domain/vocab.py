"""The closed vocabularies of the front desk.

Stored as their string values (and enforced by CHECK constraints in the schema), so a database
row is readable without the code, and the UI shows a word, never only a colour.
"""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    ROOMED = "roomed"
    WITH_PROVIDER = "with_provider"
    CHECKED_OUT = "checked_out"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        """The status as a list or grid shows it, short and capitalised ("With prov")."""
        return _STATUS_LABELS[self]

    @property
    def words(self) -> str:
        """The status inside a sentence: lower case, in full ("already cancelled", "now with the
        provider"); a label capitalised mid-sentence read as a name ("already Cancelled")."""
        return _STATUS_WORDS.get(self, self.label.lower())


_STATUS_WORDS = {AppointmentStatus.WITH_PROVIDER: "with the provider"}
_STATUS_LABELS = {
    AppointmentStatus.SCHEDULED: "Booked",
    AppointmentStatus.CONFIRMED: "Confirmed",
    AppointmentStatus.ARRIVED: "Arrived",
    AppointmentStatus.ROOMED: "Roomed",
    AppointmentStatus.WITH_PROVIDER: "With prov",
    AppointmentStatus.CHECKED_OUT: "Done",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.NO_SHOW: "No-show",
}


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"
    UNKNOWN = "U"


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class CoverageRank(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class SubscriberRelationship(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class EligibilityStatus(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    PROBLEM = "problem"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CHECK = "check"


class CancelledBy(StrEnum):
    PATIENT = "patient"
    CLINIC = "clinic"


class CallbackReason(StrEnum):
    NO_SHOW = "no_show"
    REBOOK = "rebook"
    INSURANCE = "insurance"
    REFERRAL = "referral"
    RESULTS = "results"
    RECALL = "recall"
    CONFIRMATION = "confirmation"
    PATIENT_REQUEST = "patient_request"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    CallbackReason.NO_SHOW: "No-show follow-up",
    CallbackReason.REBOOK: "Rebook cancelled",
    CallbackReason.INSURANCE: "Insurance problem",
    CallbackReason.REFERRAL: "Referral / prior auth",
    CallbackReason.RESULTS: "Results to discuss",
    CallbackReason.RECALL: "Recall due",
    CallbackReason.CONFIRMATION: "Confirm appointment",
    CallbackReason.PATIENT_REQUEST: "Patient asked",
    CallbackReason.OTHER: "Other",
}


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    BUSY = "busy"


class Priority(StrEnum):
    """Stored as a word; sorted by `rank` (lower first)."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


class ReferralStatus(StrEnum):
    """A referral's or prior authorisation's status as a person set it (domain.referrals shows
    an approved one past its end as expired, one with every visit used as exhausted)."""

    REQUESTED = "requested"
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# The check-in checklist's items (services.checkin.ChecklistItem.key) in the words a screen, a
# prompt or a status-history line shows: a user never sees `id_card`.
CHECKLIST_ITEM_WORDS = {
    "demographics": "address and phone",
    "eligibility": "insurance eligibility",
    "copay": "copay",
    "forms": "forms",
    "id_card": "photo ID and insurance card",
    "referral": "referral or authorisation",
    "documents": "documents for the visit",
    "balance": "prior balance",
}


class FormKind(StrEnum):
    PRIVACY_NOTICE = "privacy_notice"
    CONSENT_TO_TREAT = "consent_to_treat"
    FINANCIAL_POLICY = "financial_policy"


class AvailabilityExceptionKind(StrEnum):
    VACATION = "vacation"
    BLOCK = "block"
    HOLIDAY = "holiday"


def values(enum_cls: type[StrEnum]) -> list[str]:
    """The stored strings of a vocabulary, for CHECK constraints."""
    return [member.value for member in enum_cls]
