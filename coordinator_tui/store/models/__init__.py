"""The schema of the whole front desk, as SQLAlchemy 2 typed models.

Integrity lives in the database as well as in the services: foreign keys, unique and CHECK
constraints (vocabularies from `domain.vocab`), partial unique indexes for "only one open ...",
and (in the migrations) triggers that make event tables append-only.

One module per area (base, staff, places, patients, appointments, checkin, referrals, callbacks,
eligibility, interop, reminders, ledger, audit); this package re-exports every model, so
`from coordinator_tui.store.models import X` works and
importing it registers every table on `Base.metadata` (Alembic autogenerate needs all of them).
"""

from coordinator_tui.store.models.appointments import (
    Appointment,
    AppointmentFlow,
    AppointmentStatusEvent,
    WaitlistEntry,
)
from coordinator_tui.store.models.audit import (
    AuditEvent,
    AuditViewMark,
)
from coordinator_tui.store.models.base import (
    NAMING,
    Base,
    one_of,
    staff_fk,
)
from coordinator_tui.store.models.callbacks import (
    Callback,
    CallbackAttempt,
)
from coordinator_tui.store.models.checkin import (
    CheckinCheck,
    FormSignature,
    Payment,
)
from coordinator_tui.store.models.eligibility import (
    EligibilityBenefit,
    EligibilityInquiry,
    VisitEstimate,
)
from coordinator_tui.store.models.interop import (
    InteropHeld,
    InteropInbound,
    InteropLink,
    InteropOutbox,
    InteropRefused,
)
from coordinator_tui.store.models.ledger import (
    LedgerEntry,
    LedgerSummary,
    PaymentPlan,
    PaymentPromise,
)
from coordinator_tui.store.models.patients import (
    Coverage,
    Patient,
    Payer,
)
from coordinator_tui.store.models.places import (
    AppointmentType,
    AvailabilityException,
    AvailabilityTemplate,
    AvailabilityTemplateType,
    Location,
    Provider,
    Room,
)
from coordinator_tui.store.models.referrals import (
    AuthRequirement,
    PayerVisitRule,
    Referral,
    ReferralChase,
    ReferralDocument,
    ReferralEvent,
    ReferralType,
    ReferralVisit,
    TypeDocument,
)
from coordinator_tui.store.models.reminders import (
    ContactConsent,
    PatientLetter,
    ReminderSent,
)
from coordinator_tui.store.models.staff import (
    Setting,
    StaffUser,
)

__all__ = [
    "Appointment",
    "AppointmentFlow",
    "AppointmentStatusEvent",
    "AppointmentType",
    "AuditEvent",
    "AuditViewMark",
    "AuthRequirement",
    "AvailabilityException",
    "AvailabilityTemplate",
    "AvailabilityTemplateType",
    "Base",
    "Callback",
    "CallbackAttempt",
    "CheckinCheck",
    "ContactConsent",
    "Coverage",
    "EligibilityBenefit",
    "EligibilityInquiry",
    "FormSignature",
    "InteropHeld",
    "InteropInbound",
    "InteropLink",
    "InteropOutbox",
    "InteropRefused",
    "LedgerEntry",
    "LedgerSummary",
    "Location",
    "NAMING",
    "Patient",
    "Payer",
    "PatientLetter",
    "Payment",
    "PaymentPlan",
    "PaymentPromise",
    "Provider",
    "Referral",
    "ReminderSent",
    "Room",
    "Setting",
    "StaffUser",
    "VisitEstimate",
    "PayerVisitRule",
    "ReferralChase",
    "ReferralDocument",
    "ReferralEvent",
    "ReferralType",
    "ReferralVisit",
    "TypeDocument",
    "WaitlistEntry",
    "one_of",
    "staff_fk",
]
