"""Editing a patient and registering a new one; the supervisor's merge dialog.

Keys: Ctrl+S save, Esc back (nothing saved; with changes typed it asks "Discard changes? y/n"
first), Enter or Tab moves to the next field (Enter on the last saves), Shift+Tab back.
Registration: when look-alikes exist they are listed with why they matched; Ctrl+O opens the
highlighted one ("use this patient"), Ctrl+R registers anyway. Field errors show under the field.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.domain.patient_validation import FIELD_LABELS, FIELDS, QUICK_FIELDS
from coordinator_tui.errors import ConflictError
from coordinator_tui.services.patients.editing import (
    DuplicateCandidate,
    DuplicatesFound,
    register_patient,
    update_patient,
)
from coordinator_tui.services.patients.merge import merge_patients
from coordinator_tui.services.patients.records import (
    PatientRecord,
    ValidationFailed,
    get_record,
    resolve_mrn,
)
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.confirm import back_out
from coordinator_tui.tui.widgets.dialog import Dialog
from coordinator_tui.tui.widgets.footer import KeyFooter


class PatientFormScreen(DeskScreen):
    """Edit an existing record (`record=`) or register a new patient (`quick` = walk-in fields)."""

    HELP_KEYS = [("Tab / Shift+Tab", "Next / previous field")]

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="^s", priority=True),
        Binding("escape", "cancel", "Back"),
        Binding("ctrl+o", "use_existing", "Use existing", key_display="^o", priority=True),
        Binding("ctrl+r", "register_anyway", "Register anyway", key_display="^r", priority=True),
        Binding("ctrl+f", "full_form", "Full form", key_display="^f", priority=True),
    ]

    def __init__(self, *, record: PatientRecord | None = None, prefill: dict | None = None,
                 quick: bool = True, open_record: bool = True, original: dict | None = None) -> None:
        """`original`: what the form held when it was first opened (the quick form's, for the
        full form it grew into); Esc asks before throwing away anything typed since."""
        super().__init__()
        self.original = original
        self.record = record
        self.prefill = dict(prefill or {})
        self.open_record = open_record  # False when a flow (walk-in) continues with the result
        self.fields = FIELDS if (record is not None or not quick) else QUICK_FIELDS
        self.candidates: list[DuplicateCandidate] = []
        self.DESK_TITLE = f"Edit {record.mrn}" if record else "Register patient"

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        values = self.record.form() if self.record else self.prefill
        # Not focusable: the boxes are, and the form scrolls to the one with the cursor (a focus
        # stop on the scroll area took Shift+Tab from the first box, and then the typing).
        with VerticalScroll(id="form-body", can_focus=False):
            for name in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(FIELD_LABELS[name], classes="form-label")
                    yield Input(str(values.get(name) or ""), id=f"f-{name}", classes="form-input")
                yield Static("", id=f"err-{name}", classes="form-error -empty", markup=False)
        yield Static("", id="form-message", markup=False)
        table = DataTable(id="duplicates", cursor_type="row")
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#duplicates", DataTable)
        for label, width in (("#", 2), ("MRN", 8), ("Name", 22), ("Born", 10), ("Why", 26)):
            table.add_column(label, width=width)
        self.query_one(f"#f-{self.fields[0]}", Input).focus()
        if self.original is None:
            self.original = self.form_values()

    def has_changes(self) -> bool:
        original = self.original or {}
        return any(value != original.get(name, "") for name, value in self.form_values().items())

    def check_action(self, action: str, parameters) -> bool | None:
        """Keys that cannot act now are hidden, not shown dimmed (the footer keeps to 80
        columns): ^o/^r only while look-alikes are listed, and then ^s and ^f are not offered
        (^r saves what is typed, ^o opens the existing patient)."""
        if action in ("use_existing", "register_anyway"):
            return bool(self.candidates)
        if action == "full_form":
            return self.record is None and self.fields != FIELDS and not self.candidates
        if action == "save":
            return not self.candidates
        return True

    # --- reading and showing the form --------------------------------------------------------

    def form_values(self) -> dict[str, str]:
        return {name: self.query_one(f"#f-{name}", Input).value for name in self.fields}

    def show_errors(self, errors) -> None:
        by_field = {e.field: e.message for e in errors}
        for name in self.fields:
            widget = self.query_one(f"#err-{name}", Static)
            message = by_field.get(name)
            widget.update(f"^ {message}" if message else "")
            widget.set_class(not message, "-empty")
        first = next((n for n in self.fields if n in by_field), None)
        if first:
            self.query_one(f"#f-{first}", Input).focus()
        self.set_message(f"{len(by_field)} field(s) need fixing; nothing was saved." if by_field else "")

    def set_message(self, text: str) -> None:
        self.query_one("#form-message", Static).update(text)

    # --- actions -----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field, as on every other form; on the last it saves."""
        if not (event.input.id or "").startswith("f-"):
            return
        event.stop()
        boxes = [self.query_one(f"#f-{name}", Input) for name in self.fields]
        index = boxes.index(event.input)
        if index + 1 < len(boxes):
            boxes[index + 1].focus()
        else:
            self.action_save()

    def action_cancel(self) -> None:
        """Esc backs out: at once when nothing was typed, else after "Discard changes? y/n"."""
        back_out(self, self.has_changes())

    def action_full_form(self) -> None:
        self.app.switch_screen(PatientFormScreen(prefill=self.form_values(), quick=False,
                                                 open_record=self.open_record, original=self.original))

    def action_save(self, confirmed: tuple[int, ...] = ()) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        values = self.form_values()
        if self.record is not None:
            before = self.record.form()
            changes = {k: v for k, v in values.items() if v != before.get(k, "")}
            if not changes:
                self.dismiss(None)
                return
            pid, version = self.record.id, self.record.version

            def fetch():
                try:
                    return update_patient(ctx, actor, pid, changes, version)
                except ConflictError as exc:
                    return exc, get_record(ctx, actor, pid)
                except ValidationFailed as exc:
                    return exc
        else:
            def fetch():
                try:
                    return register_patient(ctx, actor, values, confirm_not_duplicate_of=confirmed)
                except (ValidationFailed, DuplicatesFound) as exc:
                    return exc

        self.load(fetch, self.saved, group="save")

    def saved(self, result) -> None:
        if isinstance(result, ValidationFailed):
            self.show_errors(result.errors)
        elif isinstance(result, DuplicatesFound):
            self.show_errors([])
            self.show_candidates(result.candidates)
        elif isinstance(result, tuple):  # lost a race: reload what the other desk saved
            error, record = result
            self.record = record
            for name, value in record.form().items():
                if name in self.fields:
                    self.query_one(f"#f-{name}", Input).value = value
            self.show_errors([])
            self.set_message(str(error))
            self.notify(str(error), severity="warning", timeout=10)
        else:
            self.notify("Saved." if self.record else f"Registered {result.mrn}.")
            self.dismiss(result)
            if self.record is None and self.open_record and hasattr(self.app, "open_patient"):
                self.app.open_patient(result.patient_id)

    def show_candidates(self, candidates: list[DuplicateCandidate]) -> None:
        self.candidates = list(candidates)
        table = self.query_one("#duplicates", DataTable)
        table.clear()
        for number, c in enumerate(candidates, start=1):
            table.add_row(str(number), c.mrn, c.name[:22], f"{c.birth_date:%m/%d/%Y}",
                          c.reason.replace("same birth date and ", "same DOB, ")[:26],
                          key=str(c.patient_id))
        table.set_class(True, "-shown")
        self.set_message(f"Possible duplicate: {len(candidates)} existing patient(s) match. "
                         f"^o use this patient, ^r register anyway.")
        table.focus()
        self.refresh_bindings()

    def action_use_existing(self) -> None:
        if not self.candidates:
            return
        table = self.query_one("#duplicates", DataTable)
        chosen = self.candidates[min(table.cursor_row, len(self.candidates) - 1)]
        self.dismiss(None)
        self.app.open_patient(chosen.patient_id)

    def action_register_anyway(self) -> None:
        if self.candidates:
            self.action_save(tuple(c.patient_id for c in self.candidates))


class MergeDialog(Dialog[bool]):
    """Merge another record (typed by MRN) into this one, which survives. Supervisors only."""

    BINDINGS = [Binding("ctrl+s", "merge", "Merge", key_display="^s", priority=True),
                Binding("escape", "cancel", "Cancel")]

    def __init__(self, survivor: PatientRecord) -> None:
        super().__init__()
        self.survivor = survivor

    def compose(self) -> ComposeResult:
        with self.cover(box_classes="merge-box"):
            yield Static(f"Merge another record INTO {self.survivor.mrn} (this one survives).",
                         markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Other MRN", classes="form-label")
                yield Input(id="merge-mrn", classes="form-input")
            with Horizontal(classes="form-row"):
                yield Label("Why", classes="form-label")
                yield Input(id="merge-reason", classes="form-input")
            yield Static("^s merge   Esc cancel", id="merge-message", markup=False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_merge(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        mrn = self.query_one("#merge-mrn", Input).value
        reason = self.query_one("#merge-reason", Input).value
        survivor_id, seen = self.survivor.id, self.survivor.version

        def work():
            other = resolve_mrn(ctx, actor, mrn)
            return merge_patients(ctx, actor, survivor_id, other.patient_id, reason, expected_version=seen)

        def merged(result) -> None:
            self.notify(f"Merged {result.merged_mrn} into {result.survivor_mrn}.")
            self.dismiss(True)

        def refused(error: BaseException) -> None:
            self.query_one("#merge-message", Static).update(error_in_words(error))

        call_service(self, work, merged, refused=refused, group="merge")
