"""Importing patients from a CSV file.

Good rows are imported in batches (one transaction each); bad rows are reported by line number
and reason; rows that look like an existing patient (same birth date and similar name, same
phone, same member id) are flagged, not imported. Running the same file twice imports nothing
the second time: a row whose external id (Synthea's Id) or exact name + birth date is already
there counts as "already imported". `dry_run` reads only.

A shared phone alone does not make a row a look-alike: a family registers together, and the
second member of a household is not the first one again (issue #22).

Interrupted (Ctrl+C): the batches already committed stay (each is whole: its patients and
their audit rows), the one under way is rolled back, and ImportInterrupted says how many rows
were imported; running the same file again finishes the job, since what is already there is
skipped. Batches keep the write lock short, so the desks keep working during a long import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.domain import names
from coordinator_tui.interop.patients_csv import ParsedRow, open_rows, parse_mapping
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.patients.editing import duplicates_in, new_patient, next_mrn
from coordinator_tui.store.models import Patient

BATCH = 500
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already: int = 0
    deceased: int = 0
    bad: list[RowProblem] = field(default_factory=list)
    flagged: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    synthea: bool = False
    unused_columns: tuple[str, ...] = ()
    committed: int = 0  # patients saved for good (their batch's transaction committed)

    @property
    def all_imported(self) -> bool:
        """Every row is in the database now (imported or already there)."""
        return not self.bad and not self.flagged


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl+C during an import: `report.committed` patients were saved before it."""

    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report


def _existing(session, row: ParsedRow) -> Patient | None:
    if row.external_id:
        found = session.scalar(select(Patient).where(Patient.external_id == row.external_id))
        if found is not None:
            return found
    values = row.checked.values
    return session.scalar(select(Patient).where(
        Patient.birth_date == values["birth_date"],
        Patient.family_key == names.name_key(values["family_name"]),
        Patient.given_key == names.name_key(values["given_name"])).limit(1))


def _import_batch(ctx: AppContext, actor: Actor, batch: list[ParsedRow], report: ImportReport) -> None:
    now = ctx.now()
    with (ctx.db.read() if report.dry_run else ctx.db.write()) as session:
        mrn_number = int(next_mrn(session)[1:])
        for row in batch:
            if _existing(session, row) is not None:
                report.already += 1
                continue
            look_alikes = [c for c in duplicates_in(session, row.checked.values, row.member_id)
                           if c.reason != "same phone"]  # a household shares one phone
            if look_alikes:
                first = look_alikes[0]
                more = f" (+{len(look_alikes) - 1} more)" if len(look_alikes) > 1 else ""
                report.flagged.append(RowProblem(
                    row.line, f"looks like existing patient {first.mrn}{more}: {first.reason}; "
                              f"not imported (merge or register by hand)"))
                continue
            report.imported += 1
            if row.deceased_date:
                report.deceased += 1
            if report.dry_run:
                continue
            patient = new_patient(row.checked.values, mrn=f"M{mrn_number:07d}", now=now,
                                  actor_id=actor.id)
            mrn_number += 1
            patient.external_id = row.external_id
            patient.deceased_date = row.deceased_date
            session.add(patient)
            session.flush()
            audit.record(session, actor, "patient.import", now, patient_id=patient.id,
                         entity="patient", entity_id=patient.id,
                         detail={"line": row.line})


def import_patients(ctx: AppContext, actor: Actor, path: Path | str, *,
                    mapping: list[str] | dict[str, str] | None = None, dry_run: bool = False,
                    progress: Progress | None = None,
                    stop: Callable[[], bool] | None = None) -> ImportReport:
    """`stop()` true (the command's Ctrl+C) ends the import between rows: ImportInterrupted,
    with exactly the patients committed so far."""
    overrides = mapping if isinstance(mapping, dict) else parse_mapping(mapping)
    cmap, total, rows = open_rows(Path(path), overrides, ctx.today())
    report = ImportReport(dry_run=dry_run, synthea=cmap.synthea, unused_columns=cmap.unused)
    batch: list[ParsedRow] = []
    done = 0

    def flush() -> None:
        nonlocal done
        if batch:
            before = report.imported
            _import_batch(ctx, actor, batch, report)
            if not dry_run:
                report.committed += report.imported - before
            done += len(batch)
            batch.clear()
        if progress:
            progress("patients", min(done + len(report.bad), total), total)

    try:
        for row in rows:
            if stop is not None and stop():
                raise ImportInterrupted(report)
            report.rows += 1
            if not row.ok:
                report.bad.append(RowProblem(row.line, "; ".join(row.errors)))
                continue
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        flush()
    except ImportInterrupted:
        raise
    except KeyboardInterrupt:  # a caller without `stop`: the batch under way is rolled back
        raise ImportInterrupted(report) from None
    return report
