"""coordinator reminders on the command line: batches, replies, letters, consent; bad input is
one line on stderr with exit 2 and nothing written."""

from __future__ import annotations

import csv
import stat
from datetime import timedelta

from sqlalchemy import func, select

from coordinator_tui.store.models import Patient, ReminderSent
from tests.conftest import CLINIC_DAY, make_context
from tests.helpers.cli import one_line_error, run
from tests.helpers.reminders import (
    a_day_with_no_shows,
    day_ahead,
    edit_patient,
    pdf_text,
    start_command,
    waiting_on,
)


def mrns_on(path, day, count):
    ctx = make_context(path)
    try:
        pids = list(dict.fromkeys(p for _a, p in waiting_on(ctx, day)))[:count]
        with ctx.db.read() as session:
            return [session.get(Patient, pid).mrn for pid in pids]
    finally:
        ctx.db.dispose()


def cli(path, *args, env=None):
    return run("reminders", *args, "--db", str(path), "--user", "demo", env=env)


def test_consent_then_an_sms_batch_owner_only_and_a_rerun_writes_nothing(seeded_path, tmp_path):
    day = day_ahead(2)
    for mrn in mrns_on(seeded_path, day, 3):
        done = run("reminders", "consent", mrn, "--sms", "yes", "--db", str(seeded_path), "--user", "demo")
        assert done.returncode == 0, done.stderr
        assert "SMS     yes" in done.stdout and "by Dana Demo (command)" in done.stdout
    out = tmp_path / "sms.csv"
    done = cli(seeded_path, "--channel", "sms", "--date", day.isoformat(), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert 1 <= len(rows) and f"{len(rows)} sms reminders for {day.isoformat()}" in done.stderr
    again = cli(seeded_path, "--channel", "sms", "--date", day.isoformat(), "-o", str(tmp_path / "b.csv"))
    assert again.returncode == 0 and "no sms reminders to send" in again.stderr
    assert f"{len(rows)} sent before" in again.stderr
    assert not (tmp_path / "b.csv").exists()


def test_bad_input_is_one_line_and_nothing_written(seeded_path, tmp_path):
    out = tmp_path / "out" / "x.csv"
    out.parent.mkdir()
    yesterday = (CLINIC_DAY - timedelta(days=1)).isoformat()
    assert "in the past" in one_line_error(cli(seeded_path, "--channel", "sms", "--date",
                                               str(yesterday), "-o", str(out)))
    assert "--channel" in one_line_error(cli(seeded_path, "-o", str(out)))
    assert "-o FILE" in one_line_error(cli(seeded_path, "--channel", "sms"))
    assert "no folder" in one_line_error(cli(seeded_path, "--channel", "ics", "-o", str(out)))
    assert "no patient with MRN" in one_line_error(
        run("reminders", "consent", "M9999999", "--sms", "yes", "--db", str(seeded_path), "--user", "demo"))
    assert "not yes or no" in one_line_error(
        run("reminders", "consent", "M0000001", "--sms", "perhaps", "--db", str(seeded_path)))
    assert list(out.parent.iterdir()) == []


def test_a_clinic_template_with_an_unknown_placeholder_lists_the_rows(seeded_path, tmp_path):
    day = day_ahead(2)
    ctx = make_context(seeded_path)
    for number, (_a, pid) in enumerate(waiting_on(ctx, day)[:2]):
        edit_patient(ctx, pid, email=f"patient{number}@example.org")
    ctx.db.dispose()
    for mrn in mrns_on(seeded_path, day, 2):
        run("reminders", "consent", mrn, "--email", "yes", "--language", "English",
            "--db", str(seeded_path), "--user", "demo")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "email-en.txt").write_text("Dear {first_name}, about your {visit_type}", encoding="utf-8")
    out = tmp_path / "mail.csv"
    done = cli(seeded_path, "--channel", "email", "--date", day.isoformat(), "-o", str(out),
               env={"COORDINATOR_TEMPLATES_DIR": str(folder)})
    assert done.returncode == 0
    assert "left out: template email-en.txt has an unknown placeholder {visit_type}" in done.stderr
    assert not out.exists()  # every row was left out: no file


def test_replies_are_reported_by_line_and_a_second_run_changes_nothing(seeded_path, tmp_path):
    day = day_ahead(2)
    for mrn in mrns_on(seeded_path, day, 2):
        run("reminders", "consent", mrn, "--sms", "yes", "--db", str(seeded_path), "--user", "demo")
    out = tmp_path / "sms.csv"
    assert cli(seeded_path, "--channel", "sms", "--date", day.isoformat(), "-o", str(out)).returncode == 0
    ids = [r["appointment_id"] for r in csv.DictReader(out.open(encoding="utf-8", newline=""))]
    results = tmp_path / "results.csv"
    results.write_text("appointment_id,status,reply\n" + f"{ids[0]},replied,C\n" + "oops\n",
                       encoding="utf-8")
    first = run("reminders", "replies", str(results), "--db", str(seeded_path), "--user", "demo")
    assert first.returncode == 1 and "line 3: appointment_id is not a number" in first.stderr
    assert "1 confirmed" in first.stdout
    second = run("reminders", "replies", str(results), "--db", str(seeded_path), "--user", "demo")
    assert "0 confirmed" in second.stdout and "1 already applied" in second.stdout
    missing = run("reminders", "replies", str(tmp_path / "nope.csv"), "--db", str(seeded_path))
    assert "no file" in one_line_error(missing)
    results.write_text("name,phone\nx,y\n", encoding="utf-8")
    assert "needs the columns" in one_line_error(
        run("reminders", "replies", str(results), "--db", str(seeded_path), "--user", "demo"))


def test_no_show_letters_as_one_pdf(seeded_path, tmp_path):
    ctx = make_context(seeded_path)
    day = a_day_with_no_shows(ctx).isoformat()
    ctx.db.dispose()
    out = tmp_path / "letters.pdf"
    done = cli(seeded_path, "letters", "--kind", "no-show", "--date", day, "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = pdf_text(out)
    assert text.count("\f") >= 1 and "Missed appointment" in text
    again = cli(seeded_path, "letters", "--kind", "no-show", "--date", day, "-o",
                str(tmp_path / "again.pdf"))
    assert "no no-show letters to write" in again.stderr and not (tmp_path / "again.pdf").exists()
    written = int(done.stderr.split(" no-show letters")[0].split()[-1])
    assert f"({written} written before" in again.stderr


def test_two_desks_running_the_same_batch_at_once_send_each_reminder_once(seeded_path, tmp_path):
    """Two real processes race on one batch: every appointment is reminded exactly once, and a
    process that lost the race writes no file (or finds nothing left to send)."""
    day = day_ahead(2)
    for mrn in mrns_on(seeded_path, day, 6):
        run("reminders", "consent", mrn, "--sms", "yes", "--db", str(seeded_path), "--user", "demo")
    outs = [tmp_path / f"desk{n}.csv" for n in (1, 2)]
    procs = [start_command("reminders", "--channel", "sms", "--date", day.isoformat(), "-o", str(out),
                           "--db", str(seeded_path), "--user", "demo") for out in outs]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code in (0, 2) and "Traceback" not in err, err
        if code == 2:
            assert "another desk sent some of these reminders" in err
    written = [r["appointment_id"] for out in outs if out.exists()
               for r in csv.DictReader(out.open(encoding="utf-8", newline=""))]
    assert written and len(written) == len(set(written))
    ctx = make_context(seeded_path)
    try:
        with ctx.db.read() as session:
            recorded = session.scalar(select(func.count()).select_from(ReminderSent))
    finally:
        ctx.db.dispose()
    assert recorded == len(written)


def test_email_invitations_and_letters_by_their_channels(seeded_path, tmp_path):
    """The other three channels on the command line: a mail-merge CSV (minimum necessary), one
    owner-only .ics invitation per appointment in a folder, and one PDF with a page per letter."""
    day = day_ahead(2)
    for mrn in mrns_on(seeded_path, day, 3):
        done = run("reminders", "consent", mrn, "--email", "yes", "--letter", "yes",
                   "--db", str(seeded_path), "--user", "demo")
        assert done.returncode == 0, done.stderr
    email = tmp_path / "email.csv"
    assert cli(seeded_path, "--channel", "email", "--date", day.isoformat(), "-o", str(email)).returncode == 0
    rows = list(csv.DictReader(email.open(encoding="utf-8", newline="")))
    assert rows and set(rows[0]) == {"email", "first_name", "clinic_name", "clinic_phone", "date",
                                     "time", "location", "appointment_id", "language", "subject",
                                     "body"}
    assert all("@" in r["email"] and r["first_name"] in r["body"] for r in rows)
    folder = tmp_path / "ics"
    folder.mkdir()
    assert cli(seeded_path, "--channel", "ics", "--date", day.isoformat(), "-o", str(folder)).returncode == 0
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == sorted(f"appointment-{r['appointment_id']}.ics" for r in rows)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(f.read_text(encoding="utf-8").count("BEGIN:VEVENT") == 1 for f in files)
    letters = tmp_path / "letters.pdf"
    done = cli(seeded_path, "--channel", "letter", "--date", day.isoformat(), "-o", str(letters))
    assert done.returncode == 0, done.stderr
    written = int(done.stderr.strip().splitlines()[-1].split()[0])  # "3 letter reminders for..."
    text = pdf_text(letters)
    assert written >= len(rows) and text.count("\f") == written  # a page per patient
    assert text.count("Appointment reminder") + text.count("Recordatorio de cita") == written
