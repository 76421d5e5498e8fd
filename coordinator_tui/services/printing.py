"""Printing: the one function every desk calls to put something on paper.

With the desk's printer set (setting `printer`, a CUPS queue: `lpstat -p` lists them) the
document goes to `lp -d PRINTER`; without one it is written as an owner-only file in the
printouts folder (setting `print_dir`, default `printouts` in the data directory) for the desk to
print from there. Text for a receipt printer goes as plain text; everything else as PDF.

The job title CUPS shows to everyone (`lpstat -o`, its logs) never names the patient: it says
what was printed (a receipt number, a day, a count). Printing patient data is audited: the
event is kept only if the document really reached the printer or its file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.config import data_dir
from coordinator_tui.errors import UserError
from coordinator_tui.folders import make_private_dirs
from coordinator_tui.interop.paper import text_pdf
from coordinator_tui.interop.private_file import write_private
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext

# lp only hands the job to the local CUPS queue (milliseconds). It runs inside the write
# transaction that audits the print (and records letters as sent), so a CUPS that hangs must
# give up before the other desks' busy timeout (store.engine.BUSY_TIMEOUT_MS, 10 s) runs out.
LP_TIMEOUT_SECONDS = 6


@dataclass(frozen=True)
class Printed:
    where: str                 # "printer front-desk (request front-desk-12)" or the file's path
    printer: str | None = None
    job: str | None = None
    path: Path | None = None


def printouts_folder(ctx: AppContext) -> Path:
    folder = Path(ctx.settings.print_dir).expanduser() if ctx.settings.print_dir else data_dir() / "printouts"
    try:
        make_private_dirs(folder)
    except OSError as exc:
        raise UserError(f"cannot use the printouts folder {folder}: {exc.strerror}") from None
    return folder


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] or "printout"


def _lp(printer: str, title: str, data: bytes, content_type: str) -> str:
    lp = shutil.which("lp")
    if lp is None:
        raise UserError(f"cannot print to {printer}: the lp command is missing (install "
                        "cups-client) or clear the printer setting to print to files")
    try:
        done = subprocess.run([lp, "-d", printer, "-t", title, "-o", f"document-format={content_type}",
                               "-"], input=data, capture_output=True, timeout=LP_TIMEOUT_SECONDS,
                              env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        raise UserError(f"the printer {printer} did not answer within {LP_TIMEOUT_SECONDS} s; "
                        "nothing was printed") from None
    if done.returncode != 0:
        words = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no reason given"])[0]
        raise UserError(f"cannot print to {printer}: {words[:160]}")
    answer = done.stdout.decode("utf-8", "replace")
    found = re.search(r"request id is (\S+)", answer)
    return found.group(1) if found else ""


def print_document(ctx: AppContext, actor: Actor, *, title: str, kind: str,
                   text: str | None = None, pdf: bytes | None = None,
                   plain_text: bool = False, patient_id: int | None = None,
                   publish: Callable[[], AbstractContextManager] | None = None) -> Printed:
    """Print `text` (set in a PDF, or as plain text when `plain_text`) or a finished `pdf`.
    `title` names the document without patient data; `kind` (receipt, day_sheet, letters,
    estimate...) goes in the audit trail. `publish`, when given, is the caller's own write
    transaction (recording letters as sent, with their audit) used instead of the print event:
    it commits only once the document reached the printer or its file."""
    if (text is None) == (pdf is None):
        raise ValueError("give text or pdf")
    if plain_text and text is not None:
        data, content_type, suffix = text.encode("utf-8"), "text/plain", ".txt"
    else:
        data = pdf if pdf is not None else text_pdf(text, title=title)
        content_type, suffix = "application/pdf", ".pdf"
    printer = ctx.settings.printer.strip()
    detail = {"kind": kind, "title": title, "format": suffix[1:]}
    if printer:
        step = publish() if publish is not None else audit.recorded(
            ctx, actor, "print", patient_id=patient_id, entity="printout",
            detail={**detail, "printer": printer})
        with step:
            job = _lp(printer, title, data, content_type)
        return Printed(f"printer {printer}" + (f" (request {job})" if job else ""), printer, job)
    stamp = ctx.now().astimezone(ctx.settings.tz).strftime("%Y%m%d-%H%M%S")
    path = printouts_folder(ctx) / f"{stamp}-{_slug(title)}{suffix}"
    write_private(path, data, publish or (lambda: audit.recorded(
        ctx, actor, "print", patient_id=patient_id, entity="printout",
        detail={**detail, "file": path.name})))
    return Printed(str(path), path=path)


def list_printers() -> list[str]:
    """The CUPS queues this machine can print to (`lpstat -e`); empty without CUPS."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return []
    try:
        done = subprocess.run([lpstat, "-e"], capture_output=True, text=True,
                              timeout=LP_TIMEOUT_SECONDS, env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        return []
    return sorted(line.strip() for line in done.stdout.splitlines() if line.strip())
