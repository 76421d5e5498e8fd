"""A report written to a file from the desk: the kind follows the name (.pdf with its chart for
the supervisor, .csv for a spreadsheet, .json, .txt; any other name is refused: a name without
one, or "r.xlsx", written as text, misled whoever opened it), owner-only and whole or nothing
(interop/private_file.py, as every export), audited once the file has its name."""

from __future__ import annotations

from pathlib import Path

from coordinator_tui.errors import UserError
from coordinator_tui.interop.private_file import Target, check_target, deliver, not_the_database
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.reports import render, report_exported
from coordinator_tui.services.reports.model import Report

KINDS = {".pdf": "pdf", ".csv": "csv", ".json": "json", ".txt": "txt"}


def export_target(file_name: str) -> Path:
    """The file `file_name` names, or UserError saying what is wrong with it (no name, a kind
    not offered, no such folder, a folder or link there): the desk asks this before it closes
    the prompt, so a wrong name is corrected where it was typed. The path is absolute."""
    if not file_name.strip():
        raise UserError("type a file name, e.g. noshows.pdf or noshows.csv")
    if Path(file_name.strip()).suffix.lower() not in KINDS:
        raise UserError("end the name with .pdf, .csv, .json or .txt: it says the kind of file")
    return check_target(file_name.strip()).absolute()


def export_report(ctx: AppContext, actor: Actor, report: Report, file_name: str, clinic: str = "") -> Path:
    """Write `report` to `file_name`; returns the path written."""
    path = export_target(file_name)
    target = Target(path)
    not_the_database(target, ctx.db.path)
    kind = KINDS[path.suffix.lower()]
    if kind == "pdf":
        from coordinator_tui.services.reports.pdf import to_pdf

        body: str | bytes = to_pdf(report, clinic)
    elif kind == "csv":
        body = render.to_csv(report)
    elif kind == "json":
        body = render.to_json(report)
    else:
        body = render.to_text(report, clinic)
    deliver(target, body, lambda: report_exported(ctx, actor, report, kind))
    return path
