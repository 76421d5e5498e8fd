"""A callback created by hand, from any desk with one key (F8): patient (the one on screen, or
found with the one-box lookup), reason, priority, due date (T, T+2, mon...) and a note.

Keys: Enter next field (in the patient box: search; on the last field: save); Ctrl+S save;
Enter or 1-9 on a match picks the patient; Esc back (with anything typed, after "Discard
changes? y/n"). A second open item for the same patient and reason is refused, naming the open
one.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.domain.vocab import CallbackReason, Priority
from coordinator_tui.tui.formatting import cut
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.confirm import back_out
from coordinator_tui.tui.widgets.footer import KeyFooter

REASONS = list(CallbackReason)
PRIORITIES = {"u": Priority.URGENT, "h": Priority.HIGH, "n": Priority.NORMAL, "l": Priority.LOW}
FIELDS = (("patient", "Patient"), ("reason", "Reason 1-9"), ("priority", "Priority u/h/n/l"),
          ("due", "Due"), ("note", "Note"))
DEFAULTS = {"reason": "8", "priority": "normal", "due": "T+1", "patient": "", "note": ""}


def reason_from(text: str) -> CallbackReason | None:
    """A number from the list, or the start of a reason's label or stored word."""
    key = " ".join(text.strip().lower().split())
    if not key:
        return None
    if key.isdigit():
        return REASONS[int(key) - 1] if 1 <= int(key) <= len(REASONS) else None
    found = [r for r in REASONS if r.label.lower().startswith(key) or r.value.startswith(key.replace(" ", "_"))]
    return found[0] if len(found) == 1 else None


def priority_from(text: str) -> Priority | None:
    key = text.strip().lower()
    return PRIORITIES.get(key[:1]) if key and any(p.value.startswith(key) for p in Priority) else None


class NewCallbackScreen(Screen[int | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: int | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient_label = ""
        self.matches: list = []
        self._chosen_text: str | None = None  # the Patient box as it was when the patient was chosen
        # What the form held before anything was typed (the patient filled in for us counts
        # as not typed): Esc asks before throwing away anything else.
        self.original = dict(DEFAULTS)

    def compose(self) -> ComposeResult:
        yield Static("New callback", id="newcb-title")
        reasons = "  ".join(f"{n} {r.label}" for n, r in enumerate(REASONS, start=1))
        yield Static(f"Reasons: {reasons}", classes="newcb-info", markup=False)
        yield Static("", id="newcb-chosen", markup=False)
        for name, label in FIELDS:
            with Horizontal(classes="field-row"):
                yield Label(label)
                yield Input(DEFAULTS[name], id=f"newcb-{name}", max_length=480 if name == "note" else 60)
        yield Static("", id="newcb-message", markup=False)
        yield DataTable(id="newcb-matches", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#newcb-matches", DataTable)
        for label, width in (("#", 2), ("Patient", 26), ("Born", 10), ("MRN", 9), ("Phone", 14)):
            table.add_column(label, width=width)
        table.display = False
        if self.patient_id is not None:
            ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
            from coordinator_tui.services.schedule.booking import booking_options

            self._run(lambda: booking_options(ctx, actor, pid).patient, self._prefilled, fatal=True)
            self.query_one("#newcb-reason", Input).focus()
        else:
            self._say("Type a name, birth date, phone or MRN in Patient, then Enter")
            self.query_one("#newcb-patient", Input).focus()

    # --- workers ---------------------------------------------------------------------------------

    def _run(self, fetch, show, *, fatal: bool = False) -> None:
        def refused(error: BaseException) -> None:
            text = error_in_words(error, nothing="nothing was saved")
            if fatal:
                self.notify(text, severity="error", timeout=8)
                self.dismiss(None)
                return
            self._say(f"! {text}")

        call_service(self, fetch, show, refused=refused, group="newcb")

    def _say(self, text: str) -> None:
        self.query_one("#newcb-message", Static).update(text)

    # --- the patient ---------------------------------------------------------------------------------

    def _prefilled(self, patient) -> None:
        self.original["patient"] = patient.mrn
        self._choose(patient.id, f"{cut(patient.name, 34)}  {patient.mrn}  born {patient.birth_date:%m/%d/%Y}",
                     patient.mrn)

    def _choose(self, patient_id: int, label: str, mrn: str) -> None:
        self.patient_id = patient_id
        self.patient_label = label
        self.query_one("#newcb-chosen", Static).update(f"For: {label}")
        box = self.query_one("#newcb-patient", Input)
        box.value = mrn
        self._chosen_text = mrn
        table = self.query_one("#newcb-matches", DataTable)
        table.display = False
        self.query_one("#newcb-reason", Input).focus()
        self._say("Enter moves on; Enter on Note (or ^s) saves")

    def _search(self, text: str) -> None:
        from coordinator_tui.services.patients.lookup import search_patients

        ctx, actor = self.app.ctx, self.app.actor
        self._say("Searching…")
        self._run(lambda: search_patients(ctx, actor, text, limit=9), self._show_matches)

    def _show_matches(self, hits) -> None:
        self.matches = hits
        if not hits:
            self._say("! No patient matches; check the spelling, birth date or MRN")
            return
        if len(hits) == 1:
            hit = hits[0]
            self._choose(hit.id, f"{cut(hit.display_name, 34)}  {hit.mrn}  born {hit.birth_date:%m/%d/%Y}", hit.mrn)
            return
        table = self.query_one("#newcb-matches", DataTable)
        table.clear()
        for number, hit in enumerate(hits, start=1):
            table.add_row(str(number), cut(hit.display_name, 26), f"{hit.birth_date:%m/%d/%Y}", hit.mrn,
                          hit.phone_masked[:14], key=str(hit.id))
        table.display = True
        table.move_cursor(row=0, animate=False)
        table.focus()
        self._say(f"{len(hits)} patients: Enter or 1-{len(hits)} picks one, Tab back to the box")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._pick(event.cursor_row)

    def on_key(self, event) -> None:
        table = self.query_one("#newcb-matches", DataTable)
        if self.focused is table and event.character and event.character.isdigit():
            event.stop()
            self._pick(int(event.character) - 1)

    def _pick(self, index: int) -> None:
        if 0 <= index < len(self.matches):
            hit = self.matches[index]
            self._choose(hit.id, f"{cut(hit.display_name, 34)}  {hit.mrn}  born {hit.birth_date:%m/%d/%Y}", hit.mrn)

    # --- fields and saving -----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "newcb-patient":
            text = event.value.strip()
            if self.patient_id is not None and text == self._chosen_text:
                self.query_one("#newcb-reason", Input).focus()
            elif text:
                self.patient_id = None
                self.query_one("#newcb-chosen", Static).update("")
                self._search(text)
            else:
                self._say("! Type a name, birth date, phone or MRN")
            return
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_save()

    def _problem(self, field: str, text: str) -> None:
        self._say(f"! {text}")
        self.query_one(f"#newcb-{field}", Input).focus()

    def action_save(self) -> None:
        values = self.values()
        if self.patient_id is None or values["patient"].strip() != self._chosen_text:
            self.patient_id = None
            self._problem("patient", "Choose the patient first: type in Patient, then Enter")
            return
        reason = reason_from(values["reason"])
        if reason is None:
            self._problem("reason", f"Reason: a number 1-{len(REASONS)} from the list above")
            return
        priority = priority_from(values["priority"])
        if priority is None:
            self._problem("priority", "Priority: u(rgent), h(igh), n(ormal) or l(ow)")
            return
        ctx = self.app.ctx
        try:
            due = parse_day(values["due"], today=ctx.today(), day_first=ctx.settings.day_first)
        except ValueError as exc:
            self._problem("due", f"Due: {exc}")
            return
        from coordinator_tui.services.callbacks.generate import create_by_hand, due_at_on

        actor, pid, note = self.app.actor, self.patient_id, values["note"]

        def save():
            item_id, _created = create_by_hand(ctx, actor, patient_id=pid, reason=reason,
                                               due_at=due_at_on(ctx, due), priority=priority,
                                               note=note or None, refuse_duplicate=True)
            return item_id

        self._say("Saving…")
        self._run(save, lambda item_id: self._saved(item_id, reason))

    def _saved(self, item_id: int, reason: CallbackReason) -> None:
        self.notify(f"Callback #{item_id} added: {reason.label}", timeout=5)
        self.dismiss(item_id)

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#newcb-{name}", Input).value for name, _label in FIELDS}

    def has_changes(self) -> bool:
        return self.values() != self.original

    def action_back(self) -> None:
        back_out(self, self.has_changes())
