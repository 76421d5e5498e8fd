"""Settings from (lowest to highest) defaults, an optional TOML file, COORDINATOR_* environment
variables, and command-line flags.

The TOML file is `$COORDINATOR_CONFIG`, else `config.toml` in the user's config directory:

    db_url = "sqlite:////srv/clinic/coordinator.sqlite"
    clinic_name = "Riverside Family Clinic"
    clinic_tz = "America/New_York"
    day_first = false
    idle_lock_minutes = 5
    login_max_failures = 5        # wrong passwords in a row before the account is locked...
    login_lockout_minutes = 15    # ...for this long
    recall_after_days = 365       # recall callback when last seen this long ago
    failed_attempts_before_escalation = 3
    callback_retry_minutes = 120  # a failed call puts the callback back this long (or next morning)
    alert_arrived_minutes = 20    # a status held longer is flagged on the schedule
    alert_roomed_minutes = 20
    alert_with_provider_minutes = 60
    eligibility_submitter_id = "CLINIC01"   # X12 270: the id the clearinghouse knows us by
    eligibility_receiver_id = "AVAILITY"    # ...and the clearinghouse's (or payer's) id
    clinic_npi = "1234567893"               # the clinic's NPI, named in every 270
    eligibility_payer_ids = "Aetna=60054; Cigna=62308"  # payer name on file = payer id
    fee_schedule = "NEW=250.00, FU=180.00"  # expected charge per appointment type (estimates)
    clinic_phone = "+1 617 555 0100"  # on reminders and letters
    printer = "front-desk"        # the desk's CUPS queue (lpstat -p lists them); empty: PDF files
    print_dir = "/srv/clinic/printouts"  # where printouts go when no printer (owner-only files)
    reminder_sms_days = "2,1"     # SMS reminders this many days before the appointment
    reminder_email_days = "2"     # e-mail reminders and .ics invitations
    reminder_letter_days = "7"    # reminder letters
    templates_dir = "/srv/clinic/templates"  # the clinic's own templates: sms-es.txt, recall-en.txt...
    auth_expiring_days = 14       # an authorisation ending this soon is chased
    auth_few_visits = 2           # ...and one with this many visits left or fewer
    referral_reply_days = 14      # an outgoing referral with no reply or appointment after this long
    referral_unbooked_days = 3    # an incoming referral not booked this long after it came
    desk_location = "North clinic"  # where this desk works: its Check-in and Schedule show that
                                    # location's day (Ctrl+O shows another's); empty: every location
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from coordinator_tui.errors import UserError

APP_NAME = "coordinator"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    explicit = os.environ.get("COORDINATOR_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'coordinator.sqlite'}"


def demo_db_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.sqlite'}"


@dataclass(frozen=True)
class Settings:
    db_url: str = ""
    clinic_name: str = "Coordinator Clinic"
    clinic_tz: str = "America/New_York"
    day_first: bool = False
    idle_lock_minutes: int = 5
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    eligibility_valid_days: int = 30  # insurance verified this recently counts as current
    recall_after_days: int = 365  # recall callback when last seen this long ago
    failed_attempts_before_escalation: int = 3  # failed calls before a callback goes to a supervisor
    callback_retry_minutes: int = 120  # a failed call puts the callback back this long (or next morning)
    alert_arrived_minutes: int = 20  # status held longer than this is flagged on the schedule
    alert_roomed_minutes: int = 20
    alert_with_provider_minutes: int = 60
    auth_expiring_days: int = 14  # referrals work list: an authorisation ending this soon...
    auth_few_visits: int = 2  # ...or with this many visits left or fewer
    referral_reply_days: int = 14  # an outgoing referral with no reply or appointment after this long
    referral_unbooked_days: int = 3  # an incoming referral not booked this long after it came
    desk_location: str = ""  # this desk's location by name; empty: every location (one clinic)
    user: str = ""
    mouse: bool = False
    # Eligibility with payers (X12 270/271) and estimates; see domain/eligibility.py.
    eligibility_submitter_id: str = ""
    eligibility_receiver_id: str = ""
    clinic_npi: str = ""
    eligibility_payer_ids: str = ""
    fee_schedule: str = ""
    # Reminders and paper (services/reminders, services/printing.py).
    clinic_phone: str = ""
    printer: str = ""
    print_dir: str = ""
    reminder_sms_days: str = "2,1"
    reminder_email_days: str = "2"
    reminder_letter_days: str = "7"
    templates_dir: str = ""
    ar_bucket_days: int = 30  # A/R aging bucket width (issue 17): 0-30, 31-60, ... 120+

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_tz)


_ENV_PREFIX = "COORDINATOR_"


def _coerce(name: str, raw, kind) -> object:
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if kind is int:
            return int(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise UserError(f"setting {name} = {raw!r} is not a valid {kind.__name__}") from None


_RANGES = {
    "recall_after_days": (1, 3660),
    "failed_attempts_before_escalation": (1, 50),
    "callback_retry_minutes": (5, 1440),
    "alert_arrived_minutes": (1, 1440),
    "alert_roomed_minutes": (1, 1440),
    "alert_with_provider_minutes": (1, 1440),
    "auth_expiring_days": (0, 365),
    "auth_few_visits": (0, 99),
    "referral_reply_days": (1, 365),
    "referral_unbooked_days": (0, 365),
}


def check_ranges(settings: Settings) -> None:
    """Refuse a setting outside its sensible range, naming it."""
    for name, (low, high) in _RANGES.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise UserError(f"{name} must be between {low} and {high} (got {value})")


SUPPORTED_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


def check_db_url(url: str) -> None:
    """An SQLite file, or PostgreSQL through psycopg 3 (clinic networks, issue 20). Only the
    scheme is named in the message: a URL can carry a password."""
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SUPPORTED_SCHEMES:
        raise UserError(f"a {scheme} database URL is not supported; give a file path, "
                        f"sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE")


def load_settings(**overrides) -> Settings:
    """Build the settings; `overrides` are command-line values (None means "not given")."""
    kinds = {f.name: f.type for f in fields(Settings)}
    kind_of = {"bool": bool, "int": int, "str": str}
    values: dict[str, object] = {}

    path = config_file()
    if os.environ.get("COORDINATOR_CONFIG") and not path.is_file():
        # Named on purpose: silently running without it would use the wrong clinic or database.
        raise UserError(f"settings file {path} (COORDINATOR_CONFIG) is not a file")
    if path.is_file():
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read settings file {path}: {exc}") from None
        for key, raw in loaded.items():
            if key not in kinds:
                raise UserError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, raw, kind_of[kinds[key]])

    for name, kind in kinds.items():
        raw = os.environ.get(_ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(_ENV_PREFIX + name.upper(), raw, kind_of[kind])

    for name, raw in overrides.items():
        if raw is not None:
            values[name] = raw

    settings = replace(Settings(), **values)
    if not settings.db_url:
        settings = replace(settings, db_url=default_db_url())
    elif "://" not in settings.db_url:
        # A bare path is friendlier to type than a URL.
        settings = replace(settings, db_url=f"sqlite:///{Path(settings.db_url).expanduser()}")
    check_db_url(settings.db_url)
    try:
        ZoneInfo(settings.clinic_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown clinic time zone {settings.clinic_tz!r}") from None
    if settings.idle_lock_minutes < 1:
        raise UserError("idle_lock_minutes must be at least 1")
    if settings.login_max_failures < 1:
        raise UserError("login_max_failures must be at least 1")
    if settings.login_lockout_minutes < 1:
        raise UserError("login_lockout_minutes must be at least 1")
    check_ranges(settings)
    check_eligibility_settings(settings)
    for name in ("reminder_sms_days", "reminder_email_days", "reminder_letter_days"):
        lead_days(settings, name)
    return settings


def check_eligibility_settings(settings: Settings) -> None:
    """The payer ids and the fee schedule parse (a typo is named now, not at the first 270)."""
    from coordinator_tui.domain.eligibility import parse_fee_schedule, parse_payer_ids

    parse_payer_ids(settings.eligibility_payer_ids)
    parse_fee_schedule(settings.fee_schedule)
    if not 1 <= settings.eligibility_valid_days <= 366:
        raise UserError(f"eligibility_valid_days must be between 1 and 366 (got {settings.eligibility_valid_days})")


def lead_days(settings: Settings, name: str) -> tuple[int, ...]:
    """A reminder_*_days setting ("2,1") as whole days ahead, each 1 to 60."""
    raw = getattr(settings, name)
    try:
        days = tuple(int(part) for part in str(raw).replace(" ", "").split(",") if part)
    except ValueError:
        raise UserError(f"{name} must be whole days separated by commas, like 2,1") from None
    if not days or any(not 1 <= day <= 60 for day in days):
        raise UserError(f"{name} must be days ahead from 1 to 60, like 2,1")
    return days
