"""Printing from the desks: through a real CUPS queue (cups-pdf, read back with pdftotext) when
the desk's printer is set, else an owner-only file in the printouts folder."""

from __future__ import annotations

import os
import stat
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from coordinator_tui.errors import UserError
from coordinator_tui.services import checkin
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.paper import print_day_sheet, print_receipt, print_text_sheet
from coordinator_tui.store.models import AuditEvent
from tests.conftest import CLINIC_DAY
from tests.helpers.reminders import cups_queue, pdf_text


def prints(ctx):
    with ctx.db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).all()


def a_receipt(ctx, actor):
    row = next(r for r in day_appointments(ctx, actor, CLINIC_DAY) if r.status.value == "scheduled")
    return checkin.take_payment(ctx, actor, row.id, "12.50", "cash", confirm_over_due=True)


def test_without_a_printer_a_pdf_file_owner_only_audited(ctx, desk_user, tmp_path):
    ctx.settings = replace(ctx.settings, print_dir=str(tmp_path / "printouts"), printer="")
    os.umask(0o022)
    printed = print_day_sheet(ctx, desk_user, CLINIC_DAY)
    assert printed.path is not None and printed.path.suffix == ".pdf"
    assert stat.S_IMODE(printed.path.stat().st_mode) == 0o600
    text = pdf_text(printed.path)
    assert f"Day sheet {CLINIC_DAY:%A %d %B %Y}" in text
    assert text.count("\f") >= 2  # a page per provider
    receipt = print_receipt(ctx, desk_user, a_receipt(ctx, desk_user))
    assert receipt.path.suffix == ".txt"  # plain text, for a receipt printer
    body = receipt.path.read_text(encoding="utf-8")
    assert "$12.50" in body and max(len(line) for line in body.splitlines()) <= 40
    assert [e.entity for e in prints(ctx)] == ["printout", "printout"]


def test_a_printer_that_does_not_exist_is_one_clear_refusal(ctx, desk_user, tmp_path):
    queue = cups_queue()
    os.environ["CUPS_SERVER"] = queue.server
    try:
        ctx.settings = replace(ctx.settings, printer="no-such-printer")
        with pytest.raises(UserError, match="cannot print to no-such-printer"):
            print_text_sheet(ctx, desk_user, "hello", title="estimate test", kind="estimate")
    finally:
        os.environ.pop("CUPS_SERVER", None)
    assert prints(ctx) == []  # not audited as printed


def test_prints_through_a_real_cups_queue_and_reads_the_pdf_back(ctx, desk_user, tmp_path):
    queue = cups_queue()
    os.environ["CUPS_SERVER"] = queue.server
    try:
        ctx.settings = replace(ctx.settings, printer=queue.printer)
        marker = f"estimate-{uuid.uuid4().hex[:10]}"
        printed = print_text_sheet(ctx, desk_user,
                                   "Estimate for today's visit\nCopay due  $25.00\nBalance    $0.00",
                                   title=marker, kind="estimate")
        assert printed.printer == queue.printer and printed.job
        text = pdf_text(queue.wait_for_pdf(marker))
        assert "Estimate for today's visit" in text and "$25.00" in text
        sheet_marker = f"sheet-{uuid.uuid4().hex[:10]}"
        from coordinator_tui.services.paper import day_sheet_text
        from coordinator_tui.services.printing import print_document

        sheet, _count = day_sheet_text(ctx, desk_user, CLINIC_DAY)
        print_document(ctx, desk_user, title=sheet_marker, kind="day_sheet", text=sheet)
        # A page per provider. (Names outside Latin-1 put the sheet in an embedded Unicode
        # font, which cups-pdf re-renders as Type 3 glyphs: right on paper, not text to
        # pdftotext; so only the pages are counted here.)
        text = pdf_text(queue.wait_for_pdf(sheet_marker))
        assert text.count("\f") == sheet.count("\f") + 1 >= 2
    finally:
        os.environ.pop("CUPS_SERVER", None)
    assert [e.entity for e in prints(ctx)] == ["printout", "printout"]


def test_printers_lists_the_cups_queues_and_marks_the_desks(tmp_path):
    from tests.helpers.cli import run

    queue = cups_queue()
    env = {"CUPS_SERVER": queue.server, "COORDINATOR_PRINTER": queue.printer}
    done = run("printers", "--db", str(tmp_path / "none.sqlite"), env=env)
    assert done.returncode == 0 and f"* {queue.printer}" in done.stdout.splitlines()
    wrong = run("printers", "--db", str(tmp_path / "none.sqlite"),
                env={**env, "COORDINATOR_PRINTER": "front-desk"})
    assert wrong.returncode == 1 and "'front-desk', which CUPS does not list" in wrong.stderr
    assert list(tmp_path.iterdir()) == []
