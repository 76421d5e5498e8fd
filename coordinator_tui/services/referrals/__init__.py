"""Referrals and prior authorisations: records, the authorisation check inside every booking,
the work list that chases them, and the documents a visit needs.

The desk's services by name (`from coordinator_tui.services import referrals as svc`). Inside
services/, import the module that defines a name instead (booking imports
`referrals.booking_check`)."""

from coordinator_tui.services.referrals.booking_check import (
    Assessment,
    assess,
    authorise_visit,
    carry_visit,
    cover_line,
    label_of,
)
from coordinator_tui.services.referrals.chasing import (
    ChaseRow,
    feed_callbacks,
    work_list,
)
from coordinator_tui.services.referrals.documents import (
    PreProcedureRow,
    attach_authorisation,
    checklist_items,
    pre_procedure,
)
from coordinator_tui.services.referrals.records import (
    add_document,
    add_referral,
    update_referral,
)
from coordinator_tui.services.referrals.rules import (
    Rules,
    change_rules,
    rules,
    set_auth_requirement,
    set_payer_rule,
    set_type_documents,
)
from coordinator_tui.services.referrals.views import (
    ReferralDetail,
    ReferralRow,
    patient_rows,
    referral_detail,
    referral_rows,
)

__all__ = [
    "Assessment",
    "ChaseRow",
    "PreProcedureRow",
    "ReferralDetail",
    "ReferralRow",
    "Rules",
    "add_document",
    "add_referral",
    "assess",
    "attach_authorisation",
    "change_rules",
    "authorise_visit",
    "carry_visit",
    "checklist_items",
    "cover_line",
    "feed_callbacks",
    "label_of",
    "patient_rows",
    "pre_procedure",
    "referral_detail",
    "referral_rows",
    "rules",
    "set_auth_requirement",
    "set_payer_rule",
    "set_type_documents",
    "update_referral",
    "work_list",
]
