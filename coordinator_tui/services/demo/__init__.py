"""The demo clinic (seeded data) and the demo file.

The desk's services by name, for callers that use the desk as one module
(`from coordinator_tui.services import checkin as svc`). Inside services/, import the
module that defines a name instead."""

from coordinator_tui.services.demo.clinic import (
    ALERTS,
    AREA_CODES,
    BATCH,
    CLINIC,
    COPAYS,
    COVERAGE_COLUMNS,
    DEMO_PASSWORD,
    LANGUAGES,
    LOCALES,
    PATIENT_COLUMNS,
    PAYERS,
    STAFF,
    Progress,
    SeedReport,
    seed_clinic,
)
from coordinator_tui.services.demo.file import build_demo, demo_clock
from coordinator_tui.services.demo.schedule import (
    AS_OF,
    PROVIDERS,
    READY_EVERY,
    TYPES,
    WORKDAYS,
    build_schedule,
    demo_day,
    is_workday,
    snapshot_instant,
    today_paperwork,
)

__all__ = [
    "ALERTS",
    "AREA_CODES",
    "AS_OF",
    "BATCH",
    "CLINIC",
    "COPAYS",
    "COVERAGE_COLUMNS",
    "DEMO_PASSWORD",
    "LANGUAGES",
    "LOCALES",
    "PATIENT_COLUMNS",
    "PAYERS",
    "PROVIDERS",
    "READY_EVERY",
    "Progress",
    "STAFF",
    "SeedReport",
    "TYPES",
    "WORKDAYS",
    "build_demo",
    "demo_clock",
    "demo_day",
    "is_workday",
    "snapshot_instant",
    "build_schedule",
    "seed_clinic",
    "today_paperwork",
]
