"""Shared fixtures: real SQLite files on disk (never :memory:), migrated by Alembic, and a small
seeded clinic built once per test session and copied for each test that writes."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import textual._wait as textual_wait
from sqlalchemy.engine import make_url

from coordinator_tui.clock import FrozenClock, parse_instant
from coordinator_tui.config import Settings
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import Database
from coordinator_tui.store.migrate import ensure_current
from tests.helpers import engines
from tests.helpers.engines import url_for
from tests.helpers.passwords import (
    PASSWORD_FILE_VARIABLE,
    bind_test_clinic_to_this_os_account,
    clinic_password_file,
)

# Textual's Pilot waits after every key for the process to look idle: it sleeps in 20 ms steps
# until a step used under 1 ms of CPU, twice per key. Half the wall time of the TUI tests was
# that sleep. The same rule (a step under 5% busy) sampled in 5 ms steps waits for the same
# thing; measured on one availability test, 25.7 s -> 15.2 s, all 198 TUI tests passing.
textual_wait.SLEEP_GRANULARITY = 0.005
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20.0

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CLINIC_TZ = "America/New_York"
# The suite's clinic clock. By default a fixed clinic day and time: 10:45 in New York, shortly
# after the seeded clinic's 10:30 snapshot. COORDINATOR_TEST_CLOCK (an ISO instant with its
# offset, e.g. 2026-11-23T23:30-05:00) runs the whole suite at another instant instead, to prove
# that no test depends on the hour: the seeded clinic is built for that instant's clinic day.
TEST_CLOCK_VARIABLE = "COORDINATOR_TEST_CLOCK"
_TEST_CLOCK = os.environ.get(TEST_CLOCK_VARIABLE, "").strip()
if _TEST_CLOCK:
    CLINIC_NOW = parse_instant(_TEST_CLOCK).astimezone(UTC)
    CLINIC_DAY = CLINIC_NOW.astimezone(ZoneInfo(CLINIC_TZ)).date()
else:
    CLINIC_DAY = date(2026, 11, 23)
    CLINIC_NOW = datetime.combine(CLINIC_DAY, time(10, 45), tzinfo=ZoneInfo(CLINIC_TZ)).astimezone(UTC)
LOCAL_NOW = CLINIC_NOW.astimezone(ZoneInfo(CLINIC_TZ))
NOW_HHMM = f"{LOCAL_NOW:%H:%M}"  # the clinic clock as the desks show it ("10:45")
SEEDED_PATIENTS = 600


def weekday_from(days: int) -> date:
    """The first weekday (the seeded providers work Monday to Friday) at least `days` days
    after CLINIC_DAY: a day the tests can expect open, whatever day CLINIC_DAY is."""
    day = CLINIC_DAY + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# Beyond the seeded bookings (they reach 14 days ahead), so every slot is free; a weekday.
FREE_DAY = weekday_from(20)
FREE_DAY_TYPED = f"T+{(FREE_DAY - CLINIC_DAY).days}"  # the same day as typed at a desk


def make_settings(path: Path, **overrides) -> Settings:
    return Settings(db_url=url_for(path), clinic_tz=CLINIC_TZ, **overrides)


def make_context(path: Path, clock: FrozenClock | None = None) -> AppContext:
    return AppContext(db=Database(url_for(path)), settings=make_settings(path),
                      clock=clock or FrozenClock(CLINIC_NOW))


# --- the engine: SQLite files, or PostgreSQL with --engine postgresql (tests/helpers/engines.py)

# Modules that only make sense on SQLite, with the reason (a test of its own says it with
# @pytest.mark.sqlite_only("reason")).
_LOOKUP = ("already runs on both engines in the SQLite pass: its `ctx` is parametrised over SQLite "
           "and a PostgreSQL copy (tests/helpers/pg_clinic.py)")
SQLITE_ONLY_MODULES: dict[str, str] = {
    "services/test_lookup_vocab.py": "the name vocabulary in memory serves SQLite; PostgreSQL asks "
                                     "pg_trgm (services/test_lookup_pg.py)",
    "services/test_lookup_pg.py": "runs its PostgreSQL half from the SQLite pass (tests/helpers/pg_clinic.py)",
    "services/test_view_audit.py": "SQLite's one write lock: a view reads outside BEGIN IMMEDIATE; "
                                   "PostgreSQL's reads never wait for a writer",
    "store/test_write_queue.py": "the writers' queue is SQLite's (a file beside the database); "
                                 "PostgreSQL's writers take an advisory lock (store/pg.py)",
    "migrations/test_ledger_backfill.py": "edits the file with sqlite3 around a downgrade",
    "services/test_lookup.py": _LOOKUP,
    "services/test_lookup_accuracy.py": _LOOKUP,
    "cli/test_find_command.py": "the command's output on the seeded SQLite clinic; the lookup behind it "
                                "runs on both engines in services/test_lookup*.py",
    "services/test_backup.py": "backups copy the SQLite file (online backup API); PostgreSQL: pg_dump",
    "services/test_backup_abandoned.py": "backups copy the SQLite file",
    "cli/test_backup_commands.py": "backups copy the SQLite file",
    "services/test_reports_engines.py": "runs its PostgreSQL half from the SQLite pass (tests/helpers/pg_clinic.py)",
    "store/test_page_warmer.py": "warms SQLite's page cache from the file",
    "store/test_change_watcher.py": "PRAGMA data_version; PostgreSQL's LISTEN/NOTIFY: "
                                    "store/test_pg_listen.py",
    "services/test_day_view_queries.py": "reads SQLite's EXPLAIN QUERY PLAN",
    "concurrency/test_idle_polling.py": "polls PRAGMA data_version; PostgreSQL's LISTEN/NOTIFY: "
                                        "store/test_pg_listen.py",
    "store/test_slot_guard.py": "migration 0008's SQLite triggers; PostgreSQL's exclusion "
                                "constraint: store/test_slot_guard_pg.py",
}


def pytest_addoption(parser):
    parser.addoption("--engine", default=None, choices=engines.ENGINES,
                     help="the database engine to run on (default sqlite, or "
                          f"${engines.ENGINE_VARIABLE}); postgresql needs ${engines.SERVER_VARIABLE}")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): the test only makes sense on SQLite")
    config.addinivalue_line("markers", "postgresql_only(reason): the test only makes sense on "
                                       "PostgreSQL")
    engines.configure(config.getoption("--engine")
                      or os.environ.get(engines.ENGINE_VARIABLE, "").strip() or "sqlite")


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.nodeid.split("::")[0].removeprefix("tests/")
        if engines.on_postgresql():
            marker = item.get_closest_marker("sqlite_only")
            reason = marker.args[0] if marker and marker.args else SQLITE_ONLY_MODULES.get(module)
            if marker is not None or reason is not None:
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))
        elif item.get_closest_marker("postgresql_only") is not None:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only (--engine postgresql)"))


def pytest_sessionfinish(session, exitstatus):
    if engines.on_postgresql():
        engines.drop_copies()  # the clinics tests copied with copy_clinic


def _pg_clinic(monkeypatch, path: Path, template: str, key: Path | None) -> str:
    """A fresh database copied from `template`, known to the test as `path`; its audit key
    and anchor named beside `path` as on SQLite (a copy of the template's key when given)."""
    name = engines.new_database_name("t")
    engines.register(path, engines.create_database(name, template))
    key_copy = path.with_name(path.name + ".audit-key")
    if key is not None and key.exists():
        shutil.copyfile(key, key_copy)
        key_copy.chmod(0o600)
    monkeypatch.setenv("COORDINATOR_AUDIT_KEY", str(key_copy))
    monkeypatch.setenv("COORDINATOR_AUDIT_ANCHOR", str(path.with_name(path.name + ".audit-anchor")))
    return name


@pytest.fixture(scope="session")
def pg_migrated_template():
    """PostgreSQL: an empty migrated database, the template of `db_path`'s."""
    name = engines.new_database_name("migrated")
    ensure_current(engines.create_database(name))
    yield name
    engines.drop_database(name)


# Under pytest-xdist (addopts in pyproject.toml) these run on one worker, one after another:
# tmux and real terminals, several desk processes at once, and timing or idle-CPU checks would
# disturb one another (and measure each other) if two ran together.
ONE_AT_A_TIME = ("terminal/", "concurrency/", "tui/test_real_terminal.py")


def _one_at_a_time(nodeid: str) -> bool:
    return nodeid.split("::")[0].removeprefix("tests/").startswith(ONE_AT_A_TIME)


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (addopts): a worker per core, plus one. The one-at-a-time group spends most of
    its worker's time waiting on real terminals and desk processes (measured on 2 cores: 137 s
    of CPU over its 458 s), so with a worker per core a core sat a third idle. With one more,
    the README's run took 592 s against 767 s (2026-12-03, quiet, the same tests)."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if chosen and chosen.isdigit():
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def pytest_xdist_make_scheduler(config, log):
    """--dist loadgroup, grouping by path as well as by marker.

    pytest 9.2 keeps a node id in `Item._id`; xdist 3.8 still appends the group to `_nodeid`,
    which nothing reads any more, so `xdist_group` markers alone do not group here. The
    scheduler sees node ids ("tests/terminal/test_ssh.py::test_x") and groups by their path."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class OneAtATime(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if _one_at_a_time(nodeid):
                return "one-at-a-time"
            return super()._split_scope(nodeid)

    return OneAtATime(config, log)


def pytest_itemcollected(item):
    # The marker says the same for readers and for an xdist that honours it under pytest 9.2.
    try:
        relative = item.path.resolve().relative_to(Path(__file__).resolve().parent).as_posix()
    except ValueError:
        return
    if relative.startswith(ONE_AT_A_TIME):
        item.add_marker(pytest.mark.xdist_group("one-at-a-time"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's data directory or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("COORDINATOR_DB_URL", "COORDINATOR_CONFIG", "COORDINATOR_USER", "COORDINATOR_CLINIC_TZ"):
        monkeypatch.delenv(name, raising=False)
    # Commands sign in with the test clinic's passwords (tests/helpers/passwords.py).
    monkeypatch.setenv(PASSWORD_FILE_VARIABLE, clinic_password_file())


@pytest.fixture
def db_path(tmp_path, request, monkeypatch) -> Path:
    """An empty, migrated database file (on PostgreSQL: a database, known by this path)."""
    path = tmp_path / "clinic.sqlite"
    if engines.on_postgresql():
        template = request.getfixturevalue("pg_migrated_template")
        name = _pg_clinic(monkeypatch, path, template, None)
        request.addfinalizer(lambda: (engines.forget(path), engines.drop_database(name)))
        return path
    ensure_current(url_for(path))
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "template.sqlite"
    saved = {name: os.environ.get(name) for name in ("COORDINATOR_AUDIT_KEY", "COORDINATOR_AUDIT_ANCHOR")}
    if engines.on_postgresql():
        name = engines.new_database_name("seeded")
        engines.register(path, engines.create_database(name))
        os.environ["COORDINATOR_AUDIT_KEY"] = str(path.with_name(path.name + ".audit-key"))
        os.environ["COORDINATOR_AUDIT_ANCHOR"] = str(path.with_name(path.name + ".audit-anchor"))
    try:
        ensure_current(url_for(path))
        ctx = make_context(path)
        seed_clinic(ctx, patients=SEEDED_PATIENTS, seed=7, day=CLINIC_DAY)
        ctx.db.dispose()
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
    # The test clinic's staff sign in on the command line from this OS account, as an admin
    # binds them with `coordinator users bind-os` (tests/helpers/passwords.py says why).
    bind_test_clinic_to_this_os_account(path)
    yield path
    if engines.on_postgresql():
        engines.drop_database(name)


@pytest.fixture
def seeded_path(seeded_template, tmp_path, request, monkeypatch) -> Path:
    """A private copy of the seeded clinic, free to change."""
    path = tmp_path / "seeded.sqlite"
    if engines.on_postgresql():
        template = make_url(url_for(seeded_template)).database
        key = seeded_template.with_name(seeded_template.name + ".audit-key")
        name = _pg_clinic(monkeypatch, path, template, key)
        request.addfinalizer(lambda: (engines.forget(path), engines.drop_database(name)))
        return path
    shutil.copyfile(seeded_template, path)
    path.chmod(0o600)
    key = seeded_template.with_name(seeded_template.name + ".audit-key")  # store/audit_files.py
    if key.exists():  # the copy's audit events were signed with the template's key
        shutil.copyfile(key, path.with_name(path.name + ".audit-key"))
        path.with_name(path.name + ".audit-key").chmod(0o600)
    return path


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CLINIC_NOW)


def open_instant() -> datetime:
    """CLINIC_NOW when the clinic is open then (08:00-16:00 clinic time), else 13:00 on the
    clinic day. For the tests of what needs the clinic open with part of its day behind it (a
    walk-in gets a time later today, a slot that has passed is refused): they say so with the
    `clinic_open` fixture instead of assuming the hour."""
    if time(8) <= LOCAL_NOW.time() < time(16):
        return CLINIC_NOW
    return datetime.combine(CLINIC_DAY, time(13), tzinfo=ZoneInfo(CLINIC_TZ)).astimezone(UTC)


@pytest.fixture
def clinic_open(clock) -> datetime:
    """The test's clock moved into opening hours (see open_instant); the instant."""
    clock.advance(seconds=(open_instant() - clock.now()).total_seconds())
    return clock.now()


@pytest.fixture
def ctx(seeded_path, clock) -> AppContext:
    context = make_context(seeded_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def desk_user(ctx):
    return actor_for(ctx, "demo")
