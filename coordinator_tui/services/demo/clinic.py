"""A realistic synthetic clinic: providers and their weekly hours, patients with coverages, and a
schedule around a given day with appointments in every state a real morning has.

Deterministic: the same seed and day give the same clinic (for one Faker version). Names come
from Faker's locale pools (non-ASCII names included); the per-patient loop only picks from
precomputed pools, so a million patients take well under two minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from faker import Faker
from sqlalchemy import text

from coordinator_tui.domain.names import name_key, phonetic
from coordinator_tui.domain.seed_limits import FIRST_YEAR, LAST_YEAR, MAX_SEED_PATIENTS
from coordinator_tui.errors import UserError
from coordinator_tui.services.clinic import CLINIC_NAME, DEMO_DATE, DEMO_MARK, DEMO_SEED
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.demo.schedule import (
    PROVIDERS,
    TYPES,
    WORKDAYS,
    build_schedule,
    is_workday,
    today_paperwork,
)
from coordinator_tui.store.bulk import (
    fill_search_vocabulary,
    indexes_built_after,
    insert_many,
    sql_date,
    sql_instant,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)

DEMO_PASSWORD = "demo"  # documented in the README; the demo is not for real patients
CLINIC = "Riverside Family Health"
BATCH = 20_000
LOCALES = [("en_US", 64), ("es_MX", 12), ("vi_VN", 4), ("pt_BR", 4), ("de_DE", 3), ("fr_FR", 3),
           ("pl_PL", 3), ("it_IT", 3), ("ga_IE", 2), ("en_IE", 2)]
AREA_CODES = ["617", "508", "781", "978", "857", "413", "774", "339"]
LANGUAGES = {"es_MX": "Spanish", "vi_VN": "Vietnamese", "pt_BR": "Portuguese", "pl_PL": "Polish",
             "fr_FR": "French", "de_DE": "German", "it_IT": "Italian"}
PAYERS = ["Blue Cross Blue Shield", "Aetna", "Cigna", "UnitedHealthcare", "Humana", "Medicare",
          "MassHealth (Medicaid)", "Tufts Health Plan", "Harvard Pilgrim", "Ambetter"]
COPAYS = [0, 0, 1000, 1500, 2000, 2500, 3000, 4000, 5000]
ALERTS = ["Needs interpreter", "Hard of hearing: speak clearly", "Latex allergy",
          "Wheelchair: ground-floor room", "Balance outstanding: see billing"]
STAFF = [("demo", "Dana Demo", "front_desk"), ("super", "Sam Supervisor", "supervisor"),
         ("admin", "Alex Admin", "admin")]


@dataclass(frozen=True)
class SeedReport:
    patients: int
    appointments: int
    today_appointments: int
    callbacks: int


@dataclass(frozen=True)
class _Name:
    text: str
    key: str
    sound: str


class _Pools:
    """Name, street and city pools per locale, with search keys computed once per entry."""

    def __init__(self, seed: int):
        self.locales = [loc for loc, _ in LOCALES]
        self.weights = [w for _, w in LOCALES]
        self.female: dict[str, list[_Name]] = {}
        self.male: dict[str, list[_Name]] = {}
        self.family: dict[str, list[_Name]] = {}
        self.streets: dict[str, list[str]] = {}
        self.cities: dict[str, list[str]] = {}
        for index, locale in enumerate(self.locales):
            fake = Faker(locale)
            fake.seed_instance(seed * 101 + index)
            self.female[locale] = self._names(fake.first_name_female, 300)
            self.male[locale] = self._names(fake.first_name_male, 300)
            self.family[locale] = self._names(fake.last_name, 600)
            self.streets[locale] = sorted({fake.street_name() for _ in range(200)})
            self.cities[locale] = sorted({fake.city() for _ in range(60)})

    @staticmethod
    def _names(make: Callable[[], str], count: int) -> list[_Name]:
        seen = sorted({make() for _ in range(count)})
        return [_Name(n, name_key(n), phonetic(n)) for n in seen if name_key(n)]


PATIENT_COLUMNS = (
    "mrn", "given_name", "middle_name", "family_name", "family_key", "given_key", "family_phonetic",
    "given_phonetic", "birth_date", "sex", "phone_mobile", "phone_home", "phone_mobile_rev",
    "phone_home_rev", "email", "address_line1", "city", "region", "postal_code", "country",
    "preferred_language", "alerts", "created_at", "updated_at", "version_id",
)
COVERAGE_COLUMNS = (
    "patient_id", "payer_id", "rank", "member_id", "group_number", "plan_name", "subscriber_name",
    "subscriber_relationship", "copay_cents", "eligibility_status", "active", "version_id",
)


def _patient_rows(rng: random.Random, pools: _Pools, first_id: int, count: int, today: date,
                  created: str) -> Iterator[tuple[tuple, tuple | None, tuple | None]]:
    """Yields (patient row, primary coverage row or None, secondary coverage row or None)."""
    choice, random_ = rng.choice, rng.random
    for offset in range(count):
        pid = first_id + offset
        locale = rng.choices(pools.locales, pools.weights)[0]
        female = random_() < 0.52
        given = choice(pools.female[locale] if female else pools.male[locale])
        family = choice(pools.family[locale])
        family_text, family_key, family_sound = family.text, family.key, family.sound
        if random_() < 0.03:  # double-barrelled surnames are ordinary
            other = choice(pools.family[locale])
            family_text = f"{family.text}-{other.text}"
            family_key = family.key + other.key
            family_sound = phonetic(family_text)
        middle = choice(pools.female[locale] if female else pools.male[locale]).text if random_() < 0.3 else None
        age_days = int(rng.triangular(0, 95 * 365.25, 38 * 365.25))
        birth = today - timedelta(days=age_days + 1)
        sex = ("F" if female else "M") if random_() > 0.004 else "X"
        mobile_national = choice(AREA_CODES) + f"{rng.randrange(2, 10)}{rng.randrange(0, 100):02d}{rng.randrange(0, 10000):04d}"
        mobile = "+1" + mobile_national
        home_national = (choice(AREA_CODES) + f"{rng.randrange(2, 10)}{rng.randrange(0, 100):02d}{rng.randrange(0, 10000):04d}"
                         if random_() < 0.35 else None)
        email = (f"{given.key[:12]}.{family_key[:14]}{rng.randrange(1, 99)}@example.com"
                 if random_() < 0.7 else None)
        street = f"{rng.randrange(1, 400)} {choice(pools.streets['en_US'])}"
        city = choice(pools.cities["en_US"])
        language = LANGUAGES.get(locale, "English") if random_() < 0.6 else "English"
        alerts = choice(ALERTS) if random_() < 0.04 else None
        patient = (
            f"M{pid:07d}", given.text, middle, family_text, family_key, given.key, family_sound,
            given.sound, sql_date(birth), sex, mobile, "+1" + home_national if home_national else None,
            mobile_national[::-1], home_national[::-1] if home_national else None, email, street,
            city, "MA", f"0{rng.randrange(1000, 2800)}", "US", language, alerts, created, created, 1,
        )
        primary = secondary = None
        if random_() < 0.88:
            payer = rng.randrange(1, len(PAYERS) + 1)
            primary = (pid, payer, "primary", f"{PAYERS[payer - 1][:3].upper()}{rng.randrange(10**8, 10**9)}",
                       f"G{rng.randrange(1000, 99999)}", None, None, "self", choice(COPAYS),
                       "unverified", 1, 1)
            if random_() < 0.12:
                payer2 = rng.randrange(1, len(PAYERS) + 1)
                secondary = (pid, payer2, "secondary",
                             f"{PAYERS[payer2 - 1][:3].upper()}{rng.randrange(10**8, 10**9)}",
                             None, None, None, "self", 0, "unverified", 1, 1)
        yield patient, primary, secondary


def _setup_clinic(conn, rng: random.Random, now: datetime, start_day: date, demo_hash: str,
                  day: date) -> None:
    stamp = sql_instant(now)
    insert_many(conn, "settings", ("key", "value"), [(CLINIC_NAME, CLINIC)])
    insert_many(conn, "staff_users", ("username", "display_name", "role", "active", "failed_logins",
                                      "created_at", "password_hash"),
                [(u, d, r, 1, 0, stamp, demo_hash) for u, d, r in STAFF])
    insert_many(conn, "locations", ("name", "address", "phone"),
                [("Main clinic", "12 River Street, Springfield MA", "+16175550100")])
    insert_many(conn, "rooms", ("location_id", "name"), [(1, f"Exam {n}") for n in range(1, 11)])
    insert_many(conn, "providers", ("display_name", "short_name", "specialty", "npi", "active",
                                    "default_location_id", "overbook_daily_limit"),
                [(d, s, sp, f"1{rng.randrange(10**8, 10**9)}", 1, 1, 2) for d, s, sp in PROVIDERS])
    insert_many(conn, "appointment_types", ("code", "name", "default_minutes", "active"),
                [(c, n, m, 1) for c, n, m in TYPES])
    insert_many(conn, "payers", ("name",), [(p,) for p in PAYERS])
    # Monday to Friday, 08:00-12:00 and 13:00-17:00, 20-minute slots. A clinic seeded around a
    # weekend day (`seed --date` a Saturday or Sunday; demo never is, see demo_day) also opens
    # on that one day, as a weekend session: the day it was asked for has a schedule to show.
    rows = []
    for provider_id in range(1, len(PROVIDERS) + 1):
        for start, end in ((8 * 60, 12 * 60), (13 * 60, 17 * 60)):
            for weekday in WORKDAYS:
                rows.append((provider_id, 1, weekday, start, end, 20, sql_date(start_day), None))
            if not is_workday(day):
                rows.append((provider_id, 1, day.weekday(), start, end, 20, sql_date(day), sql_date(day)))
    insert_many(conn, "availability_templates", ("provider_id", "location_id", "weekday", "start_minute",
                                                 "end_minute", "slot_minutes", "valid_from", "valid_to"), rows)


def seed_clinic(ctx: AppContext, *, patients: int, seed: int, day: date,
                progress: Progress | None = None, mark_demo: bool = False) -> SeedReport:
    """Fill an empty, migrated database with a clinic. Refuses a database that holds one.

    Everything (settings, staff, providers, patients, schedule) is ONE transaction: a failure or
    Ctrl+C at any point leaves the database as it was. `mark_demo` records that `coordinator
    demo` made it (demo rebuilds no other file)."""
    if patients < 1:
        raise UserError("--patients must be at least 1")
    if patients > MAX_SEED_PATIENTS:
        raise UserError(f"--patients must be at most {MAX_SEED_PATIENTS:,} (MRNs have seven digits)")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UserError(f"the clinic day's year must be {FIRST_YEAR} to {LAST_YEAR}")
    report = progress or (lambda stage, done, total: None)
    from coordinator_tui.services.staff.accounts import hash_password

    rng = random.Random(seed)
    now = ctx.now()
    tz = ctx.settings.tz
    report("names", 0, 1)
    pools = _Pools(seed)
    demo_hash = hash_password(DEMO_PASSWORD)  # Argon2 is slow on purpose: once, outside the lock
    report("names", 1, 1)
    created = sql_instant(now)
    settings = [(DEMO_DATE, day.isoformat()), (DEMO_SEED, str(seed))]
    if mark_demo:
        settings.append((DEMO_MARK, "coordinator demo"))
    with ctx.db.engine.connect() as conn:
        conn.execution_options(coordinator_write=True)
        with conn.begin():
            _refuse_a_clinic(conn)
            _setup_clinic(conn, rng, now, day - timedelta(days=400), demo_hash, day)
            rows = _patient_rows(rng, pools, 1, patients, day, created)
            done = 0
            # The indexes are built once at the end (see indexes_built_after).
            with indexes_built_after(conn, ("patients", "coverages")):
                while done < patients:
                    chunk = min(BATCH, patients - done)
                    patient_batch, coverage_batch = [], []
                    for _ in range(chunk):
                        patient, primary, secondary = next(rows)
                        patient_batch.append(patient)
                        if primary:
                            coverage_batch.append(primary)
                        if secondary:
                            coverage_batch.append(secondary)
                    insert_many(conn, "patients", PATIENT_COLUMNS, patient_batch)
                    insert_many(conn, "coverages", COVERAGE_COLUMNS, coverage_batch)
                    done += chunk
                    report("patients", done, patients)
                report("indexes", 0, 1)
            fill_search_vocabulary(conn)
            report("indexes", 1, 1)
            report("schedule", 0, 1)
            total, on_day, outcomes = build_schedule(conn, rng, day, tz, patients, 1, now)
            callbacks = today_paperwork(conn, rng, outcomes, day, tz, 1, now, patients)
            insert_many(conn, "settings", ("key", "value"), settings)
            conn.execute(text("ANALYZE"))
        report("schedule", 1, 1)
    return SeedReport(patients=patients, appointments=total, today_appointments=on_day, callbacks=callbacks)


def _refuse_a_clinic(conn) -> None:
    """Seed only fills an empty database: its staff, providers and ids would collide."""
    existing = conn.exec_driver_sql("SELECT count(*) FROM patients").scalar()
    if existing:
        raise UserError(f"this database already holds {existing:,} patients; seed a new file instead")
    for table, what in (("staff_users", "staff accounts"), ("providers", "providers")):
        if conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar():
            raise UserError(f"this database already holds {what}; seed a new file instead")
