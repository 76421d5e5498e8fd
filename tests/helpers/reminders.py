"""Reminders and paper in tests: patients who agreed to channels, the seeded appointments of a
day ahead, a real CUPS queue (.ci/cups-start) and reading PDFs back with pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from coordinator_tui.domain.reminders import ContactChannel
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.services.reminders.consent import set_contact_preferences
from coordinator_tui.store.models import Appointment, Patient
from tests.conftest import CLINIC_DAY, REPO, weekday_from

WAITING = ("scheduled", "confirmed")


def day_ahead(days: int) -> date:
    """The first weekday at least `days` after the clinic day (the seeded providers work Monday
    to Friday, and the suite may run on any clinic day: COORDINATOR_TEST_CLOCK)."""
    return weekday_from(days)


def lead(day: date) -> int:
    return (day - CLINIC_DAY).days


def waiting_on(ctx, day: date) -> list[tuple[int, int]]:
    """(appointment id, patient id) of the day's booked or confirmed appointments, by time."""
    start, end = day_bounds_utc(day, ctx.settings.tz)
    with ctx.db.read() as session:
        rows = session.execute(select(Appointment.id, Appointment.patient_id).where(
            Appointment.starts_at >= start, Appointment.starts_at < end,
            Appointment.status.in_(WAITING)).order_by(Appointment.starts_at, Appointment.id)).all()
    return [tuple(r) for r in rows]


def agree(ctx, actor, patient_ids, *channels: ContactChannel, agreed: bool = True) -> None:
    for pid in dict.fromkeys(patient_ids):
        set_contact_preferences(ctx, actor, pid, {c: agreed for c in channels})


def edit_patient(ctx, patient_id: int, **values) -> None:
    """Set columns directly (test set-up: a bad phone, a missing postal code, a language)."""
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        for name, value in values.items():
            setattr(patient, name, value)


def pdf_text(path_or_bytes: Path | bytes, tmp: Path | None = None) -> str:
    """The text of a PDF, by poppler's pdftotext (the issue's check)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing in CI (.ci/run installs poppler-utils)")
        pytest.skip("pdftotext (poppler-utils) is not installed here")
    if isinstance(path_or_bytes, bytes):
        assert tmp is not None
        path = tmp / "read-back.pdf"
        path.write_bytes(path_or_bytes)
    else:
        path = path_or_bytes
    done = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


@dataclass(frozen=True)
class CupsQueue:
    server: str   # CUPS_SERVER: the private daemon's socket
    printer: str
    pdf_dir: Path

    def wait_for_pdf(self, marker: str, timeout: float = 60) -> Path:
        """The PDF cups-pdf wrote for the job titled with `marker` (its name starts with it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(p for p in self.pdf_dir.glob(f"{marker}*.pdf") if p.stat().st_size > 0)
            if found:
                time.sleep(0.3)  # cups-pdf renames the finished file into place; let it settle
                return found[0]
            time.sleep(0.25)
        raise AssertionError(f"no PDF for {marker} in {self.pdf_dir} after {timeout} s")


def cups_queue() -> CupsQueue:
    """Start (or reuse) the private CUPS daemon with its cups-pdf queue. Skipped with the reason
    when CUPS cannot run here and CI is not set; in CI it must run."""
    script = REPO / ".ci" / "cups-start"
    why = None
    if shutil.which("cupsd") is None and not Path("/usr/sbin/cupsd").exists():
        why = "cupsd is not installed (apt-get install cups printer-driver-cups-pdf)"
    elif not Path("/usr/lib/cups/backend/cups-pdf").exists():
        why = "the cups-pdf backend is not installed (apt-get install printer-driver-cups-pdf)"
    elif os.geteuid() != 0:
        why = "starting cupsd with the cups-pdf backend needs root"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must print through a real CUPS queue: {why}")
        pytest.skip(why)
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f".ci/cups-start failed: {done.stderr.strip()}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return CupsQueue(values["CUPS_SERVER"], values["PRINTER"], Path(values["PDF_DIR"]))


def reminder_cases(entered):
    """tests/services/test_transactions.py's rows for reminders and paper: (setup, writes,
    audits, why), each setup(ctx, users, tmp) returning the call to measure."""
    from dataclasses import replace as _replace

    from coordinator_tui.domain.reminders import BatchChannel, LetterKind
    from coordinator_tui.services.printing import print_document
    from coordinator_tui.services.reminders import batches, consent, desk, letters, replies

    def sms_ready(c, u, t):
        agree(c, u.desk, [p for _a, p in waiting_on(c, day_ahead(2))[:4]], ContactChannel.SMS)
        c.settings = _replace(c.settings, print_dir=str(t / "printouts"),
                              reminder_sms_days=str(lead(day_ahead(2))))
        return batches.plan_batch(c, u.desk, BatchChannel.SMS, [day_ahead(2)])

    def replies_file(c, u, t):
        batch = sms_ready(c, u, t)
        with batches.recorded_batch(c, u.desk, batch):
            pass
        path = t / "results.csv"
        path.write_text("appointment_id,status,reply\n" + "".join(
            f"{i.appointment_id},replied,C\n" for i in batch.items), encoding="utf-8")
        return path

    def no_shows(c, u, t):
        c.settings = _replace(c.settings, print_dir=str(t / "printouts"))
        return letters.plan_letters(c, u.desk, LetterKind.NO_SHOW)

    pid = lambda c: waiting_on(c, day_ahead(2))[0][1]  # noqa: E731
    return {
        "consent.contact_preferences (a view)": (
            lambda c, u, t: lambda: consent.contact_preferences(c, u.desk, pid(c)), 1, 1, ""),
        "consent.set_contact_preferences": (
            lambda c, u, t: lambda: consent.set_contact_preferences(
                c, u.desk, pid(c), {ContactChannel.SMS: True}, language="Spanish"), 1, 1,
            "every channel changed and the language in one row"),
        "batches.recorded_batch": (
            lambda c, u, t: (lambda b: lambda: entered(batches.recorded_batch(c, u.desk, b)))(
                sms_ready(c, u, t)), 1, 1, "one row for the batch; the reminders are on the appointments"),
        "replies.apply_replies": (
            lambda c, u, t: (lambda path: lambda: replies.apply_replies(c, u.desk, path))(
                replies_file(c, u, t)), 1, None, "the file's row, and each confirmation's status change"),
        "letters.recorded_letters": (
            lambda c, u, t: (lambda b: lambda: entered(letters.recorded_letters(c, u.desk, b)))(
                no_shows(c, u, t)), 1, None, "one row per letter, on its patient"),
        "printing.print_document": (
            lambda c, u, t: (c.__setattr__("settings", _replace(c.settings, print_dir=str(t))),
                             lambda: print_document(c, u.desk, title="t", kind="estimate",
                                                    text="x"))[1], 1, 1, ""),
        "desk.send_reminders": (
            lambda c, u, t: (sms_ready(c, u, t), lambda: desk.send_reminders(c, u.desk, "sms"))[1],
            1, 1, "the batch recorded around its file"),
        "desk.print_letters": (
            lambda c, u, t: (no_shows(c, u, t), lambda: desk.print_letters(c, u.desk, "no_show"))[1],
            1, None, "the letters recorded around the print"),
    }


def a_day_with_no_shows(ctx) -> date:
    """The most recent clinic day before today with no-shows (the seeded history has them
    whatever the hour of the test clock)."""
    today_start, _ = day_bounds_utc(CLINIC_DAY, ctx.settings.tz)
    with ctx.db.read() as session:
        latest = session.scalar(select(Appointment.starts_at).where(
            Appointment.status == "no_show", Appointment.starts_at < today_start)
            .order_by(Appointment.starts_at.desc()).limit(1))
    assert latest is not None, "the seeded clinic has no no-shows before today"
    return latest.astimezone(ctx.settings.tz).date()


def start_command(*args: str) -> subprocess.Popen:
    """The real `coordinator` in its own process on the clinic clock, not waited for (for races)."""
    import sys

    from coordinator_tui.clock import CLOCK_VARIABLE
    from tests.conftest import CLINIC_NOW

    return subprocess.Popen([sys.executable, "-m", "coordinator_tui", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, CLOCK_VARIABLE: CLINIC_NOW.isoformat()})
