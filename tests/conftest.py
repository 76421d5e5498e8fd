"""Shared fixtures: real SQLite files on disk (never :memory:), migrated by Alembic, and a small
seeded clinic built once per test session and copied for each test that writes."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coordinator_tui.clock import FrozenClock
from coordinator_tui.config import Settings
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import Database, url_for_path
from coordinator_tui.store.migrate import ensure_current

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CLINIC_TZ = "America/New_York"
# A fixed clinic day and time: 10:45 in New York, shortly after the demo's 10:30 snapshot.
CLINIC_DAY = date(2026, 11, 23)
CLINIC_NOW = datetime.combine(CLINIC_DAY, time(10, 45), tzinfo=ZoneInfo(CLINIC_TZ)).astimezone(UTC)
SEEDED_PATIENTS = 600


def make_settings(path: Path, **overrides) -> Settings:
    return Settings(db_url=url_for_path(path), clinic_tz=CLINIC_TZ, **overrides)


def make_context(path: Path, clock: FrozenClock | None = None) -> AppContext:
    return AppContext(db=Database(url_for_path(path)), settings=make_settings(path),
                      clock=clock or FrozenClock(CLINIC_NOW))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's data directory or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("COORDINATOR_DB_URL", "COORDINATOR_CONFIG", "COORDINATOR_USER", "COORDINATOR_CLINIC_TZ"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    """An empty, migrated database file."""
    path = tmp_path / "clinic.sqlite"
    ensure_current(url_for_path(path))
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "template.sqlite"
    ensure_current(url_for_path(path))
    ctx = make_context(path)
    seed_clinic(ctx, patients=SEEDED_PATIENTS, seed=7, day=CLINIC_DAY)
    ctx.db.dispose()
    return path


@pytest.fixture
def seeded_path(seeded_template, tmp_path) -> Path:
    """A private copy of the seeded clinic, free to change."""
    path = tmp_path / "seeded.sqlite"
    shutil.copyfile(seeded_template, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CLINIC_NOW)


@pytest.fixture
def ctx(seeded_path, clock) -> AppContext:
    context = make_context(seeded_path, clock)
    yield context
    context.db.dispose()


@pytest.fixture
def desk_user(ctx):
    return actor_for(ctx, "demo")
