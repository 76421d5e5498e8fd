"""A report written to a file from the desk: the kind follows the name (.pdf with its chart for
the supervisor, .csv for a spreadsheet, .json, else text), owner-only and whole or nothing
(interop/private_file.py, as every export), audited once the file has its name."""

from __future__ import annotations

from pathlib import Path

from coordinator_tui.errors import UserError
from coordinator_tui.interop.private_file import Target, check_target, deliver, not_the_database
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.reports import render, report_exported
from coordinator_tui.services.reports.model import Report

KINDS = {".pdf": "pdf", ".csv": "csv", ".json": "json", ".txt": "txt"}


def export_report(ctx: AppContext, actor: Actor, report: Report, file_name: str, clinic: str = "") -> Path:
    """Write `report` to `file_name`; returns the path written."""
    if not file_name.strip():
        raise UserError("type a file name, e.g. noshows.pdf or noshows.csv")
    path = check_target(file_name.strip())
    target = Target(path)
    not_the_database(target, ctx.db.path)
    kind = KINDS.get(path.suffix.lower(), "txt")
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
