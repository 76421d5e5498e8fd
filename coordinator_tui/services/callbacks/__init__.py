"""The callbacks desk: the queue and its work, and what fills it.

The desk's services by name, for callers that use the desk as one module
(`from coordinator_tui.services import checkin as svc`). Inside services/, import the
module that defines a name instead."""

from coordinator_tui.services.callbacks.generate import (
    DUE_HOUR,
    Figures,
    Generated,
    create_by_hand,
    due_at_on,
    figures,
    generate_confirmations,
    generate_daily,
    generate_recalls,
)
from coordinator_tui.services.callbacks.work import (
    CLAIM_TTL,
    FAILED,
    REPEAT_FAILED_CALL_WINDOW,
    Attempt,
    QueueFilter,
    QueueItem,
    WorkItem,
    claim,
    clean_note,
    close,
    close_as_booked,
    confirm_appointment_by_phone,
    list_queue,
    record_attempt,
    release,
)

__all__ = [
    "Attempt",
    "CLAIM_TTL",
    "DUE_HOUR",
    "FAILED",
    "Figures",
    "Generated",
    "QueueFilter",
    "QueueItem",
    "REPEAT_FAILED_CALL_WINDOW",
    "WorkItem",
    "claim",
    "clean_note",
    "close",
    "close_as_booked",
    "confirm_appointment_by_phone",
    "create_by_hand",
    "due_at_on",
    "figures",
    "generate_confirmations",
    "generate_daily",
    "generate_recalls",
    "list_queue",
    "record_attempt",
    "release",
]
