"""The demo clinic: realistic, deterministic for a seed and day, and a morning in mixed states."""

from __future__ import annotations

import sqlite3
from collections import Counter

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.demo.clinic import seed_clinic
from coordinator_tui.services.desk_views import day_appointments, open_callbacks
from coordinator_tui.store.engine import url_for_path
from coordinator_tui.store.migrate import ensure_current
from tests.conftest import CLINIC_DAY, make_context


def _dump(path) -> list:
    conn = sqlite3.connect(path)
    rows = []
    for table in ("patients", "coverages", "appointments", "appointment_status_events", "callbacks", "payments"):
        rows += conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    conn.close()
    return rows


def _seed(path, seed):
    ensure_current(url_for_path(path))
    ctx = make_context(path)
    seed_clinic(ctx, patients=400, seed=seed, day=CLINIC_DAY)
    ctx.db.dispose()


def test_same_seed_and_day_give_the_same_clinic(tmp_path):
    _seed(tmp_path / "a.sqlite", 3)
    _seed(tmp_path / "b.sqlite", 3)
    _seed(tmp_path / "c.sqlite", 4)
    assert _dump(tmp_path / "a.sqlite") == _dump(tmp_path / "b.sqlite")
    assert _dump(tmp_path / "a.sqlite") != _dump(tmp_path / "c.sqlite")


def test_the_demo_morning(ctx, desk_user):
    rows = day_appointments(ctx, desk_user, CLINIC_DAY)
    assert 100 <= len(rows) <= 150  # "about 120"
    statuses = Counter(r.status for r in rows)
    for status in (S.ARRIVED, S.CHECKED_OUT, S.NO_SHOW, S.CONFIRMED, S.SCHEDULED):
        assert statuses[status] > 0, statuses
    late = [r for r in rows if r.status in (S.SCHEDULED, S.CONFIRMED) and r.starts_at < ctx.now()]
    assert late, "some patients are late"
    waiting = [r for r in rows if r.status is S.ARRIVED]
    assert all(r.arrived_at is not None and r.arrived_at <= ctx.now() for r in waiting)
    assert [r.starts_at for r in rows] == sorted(r.starts_at for r in rows)
    assert 8 <= len(open_callbacks(ctx, desk_user)) <= 20  # "a dozen"


def test_patients_look_real(seeded_path):
    conn = sqlite3.connect(seeded_path)
    names = [r[0] + r[1] for r in conn.execute("SELECT given_name, family_name FROM patients")]
    providers = conn.execute("SELECT count(*) FROM providers").fetchone()[0]
    templates = conn.execute("SELECT count(DISTINCT provider_id) FROM availability_templates").fetchone()[0]
    insured = conn.execute("SELECT count(DISTINCT patient_id) FROM coverages").fetchone()[0]
    mrns = conn.execute("SELECT count(DISTINCT mrn) FROM patients").fetchone()[0]
    conn.close()
    assert 6 <= providers <= 10 and templates == providers
    assert any(not n.isascii() for n in names), "non-ASCII names are ordinary names"
    assert 0.75 < insured / len(names) < 0.95
    assert mrns == len(names)
