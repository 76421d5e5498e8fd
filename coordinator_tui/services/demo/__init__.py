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
from coordinator_tui.services.demo.file import build_demo
from coordinator_tui.services.demo.schedule import (
    AS_OF,
    PROVIDERS,
    TYPES,
    build_schedule,
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
    "Progress",
    "STAFF",
    "SeedReport",
    "TYPES",
    "build_demo",
    "build_schedule",
    "seed_clinic",
    "today_paperwork",
]
