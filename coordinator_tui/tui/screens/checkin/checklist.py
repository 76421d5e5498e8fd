"""One patient's check-in: exactly what is outstanding, each item one key away, and Enter to
check in. With nothing outstanding it says "Ready - Enter checks in", so express check-in from
the board is: letters of the name, Enter, Enter.

Dismisses with "Checked in: <name> <time>" when the patient was checked in (the board then
clears its search box, puts the cursor back in it and shows that line under it), False
otherwise."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from coordinator_tui.errors import ConflictError, UserError
from coordinator_tui.services import checkin as svc
from coordinator_tui.services import eligibility
from coordinator_tui.tui.formatting import clock, cut
from coordinator_tui.tui.screens.checkin.dialogs import (
    DemographicsDialog,
    EligibilityDialog,
    HistoryDialog,
    PaymentDialog,
)
from coordinator_tui.tui.screens.checkin.estimate import EstimateDialog
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.reason import ReasonPrompt

ITEM_KEY = {"demographics": "d", "eligibility": "e", "copay": "$", "forms": "f", "id_card": "i",
            "referral": "a", "documents": " ", "balance": "$"}


# The label column is as wide as the longest label, up to this; a longer label, and a detail
# longer than the rest of the line, wraps onto the next line under itself. Nothing is cut: two
# payers ("Blue Cross Blue Shield of Texas" and "... of Massachusetts"), two authorisations, are
# told apart by their ends (labels were cut at 34 columns, details at 36).
LABEL_MAX = 38


def items_grid(items) -> Table:
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1)  # the item's key, while it is outstanding
    grid.add_column(width=1)  # done or not
    grid.add_column(width=min(LABEL_MAX, max((len(item.label) for item in items), default=1)))
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(Text(ITEM_KEY[item.key] if not item.done else " ", style="bold"),
                     Text("✓", style="green") if item.done else Text("✗", style="bold red"),
                     Text(item.label), Text(item.detail))
    return grid


class ChecklistScreen(DeskScreen):
    DESK_TITLE = "Check-in: checklist"
    HELP_KEYS = [
        ("Enter / ^s", "Check in (items outstanding: asks a reason)"),
        ("d e $ f i a", "The outstanding item with that key (shown beside it)"),
        ("o", "What the patient will owe: the estimate, recorded with the visit"),
        ("l", "A payment plan for the prior balance: amount a month, first date"),
    ]
    BINDINGS = [
        Binding("enter,ctrl+s", "complete", "Check in"),
        # Each outstanding item shows its key beside it; the footer keeps to 80 columns.
        Binding("d", "demographics", "Address and phone", show=False),
        Binding("c", "contact", "Contact prefs", show=False),
        Binding("e", "eligibility", "Eligibility", show=False),
        Binding("dollar_sign,p", "payment", "Pay", key_display="$"),
        Binding("f", "forms", "Forms signed", show=False),
        Binding("i", "seen", "ID and card seen", show=False),
        Binding("a", "authorisation", "Authorisation", show=False),
        Binding("h", "history", "History"),
        Binding("o", "estimate", "Estimate", show=False),
        Binding("l", "plan", "Payment plan", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, appointment_id: int) -> None:
        super().__init__()
        self.appointment_id = appointment_id
        self.checklist: svc.Checklist | None = None
        self.pending_complete = False
        self.busy = False

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading...", id="cl-patient", markup=False)
        yield Static("", id="cl-items")
        yield Static("", id="cl-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(None)
        self.reload()

    def reload(self) -> None:
        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.appointment_id
        self.load(lambda: svc.checklist(ctx, actor, appointment_id), self.show_checklist)

    def show_checklist(self, current: svc.Checklist) -> None:
        self.checklist = current
        tz = self.app.ctx.settings.tz
        late = f"  LATE {current.late_minutes} min" if current.late_minutes else ""
        day = "" if current.is_today else f"  NOT TODAY: {current.day:%a %d %b}"
        self.query_one("#cl-patient", Static).update(
            f"{cut(current.patient_name, 60)}  MRN {current.mrn}\n"
            f"{clock(current.starts_at, tz)} with {current.provider}  {current.status.label}{late}{day}")
        self.query_one("#cl-items", Static).update(items_grid(current.items))
        if not current.can_check_in:
            text = (f"Cannot check in: the appointment is {current.status.words}"
                    + ("" if current.is_today else " on another day") + ".")
        elif current.outstanding:
            text = f"{len(current.outstanding)} outstanding: press its key.  Enter checks in anyway (asks a reason)"
        else:
            text = "Ready - Enter checks in"
        self.query_one("#cl-status", Static).update(
            f"{text}\n[dim]h history  $ payment  o estimate  Esc back[/dim]")
        if self.pending_complete:
            self.pending_complete = False
            self.action_complete()

    # --- items -----------------------------------------------------------------------------

    def _run(self, call) -> None:
        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.appointment_id
        self.load(lambda: call(ctx, actor, appointment_id), self._after_dialog)

    def action_plan(self) -> None:
        """A payment plan for the prior balance (issue 17): the item then shows as on plan."""
        if self.checklist is None:
            return
        from coordinator_tui.tui.screens.accounts.plan import ask_plan

        ask_plan(self, self.checklist.patient_id, self.reload)

    def action_demographics(self) -> None:
        if self.checklist:
            self.app.push_screen(DemographicsDialog(self.checklist), self._after_dialog)

    def action_contact(self) -> None:
        """With the demographics: which channels the patient agrees to, and their language."""
        if self.checklist:
            from coordinator_tui.domain.reminders import ConsentSource
            from coordinator_tui.tui.screens.patients.consent import ContactPreferencesDialog

            self.app.push_screen(ContactPreferencesDialog(self.checklist.patient_id,
                                                          ConsentSource.CHECKIN,
                                                          who=self.checklist.patient_name))

    def action_eligibility(self) -> None:
        if self.checklist is None:
            return
        detail = self.checklist.item("eligibility").detail

        def chosen(result) -> None:
            if result is None:
                return
            verified, note = result
            seen = self.checklist.coverage_version if self.checklist else None

            def mark(c, a, i):
                try:
                    return svc.mark_eligibility(c, a, i, verified=verified, note=note, expected_version=seen)
                except ConflictError as exc:  # the coverage changed since it was shown
                    return exc, svc.checklist(c, a, i)

            self._run(mark)

        self.app.push_screen(EligibilityDialog(detail), chosen)

    def action_payment(self) -> None:
        if self.checklist:
            self.app.push_screen(PaymentDialog(self.checklist), lambda _r: self.reload())

    def action_forms(self) -> None:
        self._run(svc.record_forms_signed)

    def action_seen(self) -> None:
        self._run(svc.mark_seen)

    def action_authorisation(self) -> None:
        """Resolve "referral / authorisation" in place: attach the one on file, or record the
        number the payer just gave (with its visits and last day) and attach that."""
        if self.checklist is None or "referral" not in {i.key for i in self.checklist.outstanding}:
            return
        from coordinator_tui.tui.screens.referrals.attach import ask_authorisation

        ask_authorisation(self, self.checklist.item("referral").detail, self.appointment_id)

    def action_history(self) -> None:
        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.appointment_id
        self.load(lambda: svc.status_history(ctx, actor, appointment_id),
                  lambda rows: self.app.push_screen(HistoryDialog(rows, ctx.settings.tz)), group="history")

    def action_estimate(self) -> None:
        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.appointment_id
        self.load(lambda: eligibility.estimate_visit(ctx, actor, appointment_id),
                  lambda made: self.app.push_screen(EstimateDialog(made.sheet, made.patient_id)), group="estimate")

    def _after_dialog(self, result) -> None:
        if isinstance(result, tuple):  # another desk saved first: say so, show what is on file now
            conflict, result = result
            self.notify(str(conflict), severity="warning", timeout=8)
        if isinstance(result, svc.Checklist):
            self.show_checklist(result)
        else:
            self.reload()

    # --- completing --------------------------------------------------------------------------

    def action_complete(self) -> None:
        current = self.checklist
        if current is None:
            self.pending_complete = True  # Enter typed before the checklist arrived
            return
        if self.busy or not current.can_check_in:
            return
        if current.outstanding:
            names = ", ".join(i.word for i in current.outstanding)
            detail = f"{current.patient_name[:40]}  MRN {current.mrn}\nOutstanding: {names}"
            # Keys typed ahead of this Enter were meant for the next patient ("name Enter Enter"
            # where express was expected): in the reason box they checked this patient in,
            # unseen, with the next patient's name as the reason. They are dropped; the desk
            # reads what is outstanding first.
            gate = getattr(self.app, "key_gate", None)
            if gate is not None and gate.drop_queued("a check-in with items outstanding"):
                detail += "\nWhat was typed after Enter was not used."

            def with_reason(reason: str | None) -> None:
                if reason:
                    self._check_in(current, reason)

            self.app.push_screen(ReasonPrompt("Check in with items outstanding", detail), with_reason)
        else:
            self._check_in(current, None)

    def _check_in(self, current: svc.Checklist, reason: str | None) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        self.busy = True

        def done(_change) -> None:
            self.busy = False
            late = f" ({current.late_minutes} min late)" if current.late_minutes else ""
            # Said by the desk under its Find box (the patient by name, the time checked in).
            self.dismiss(f"Checked in: {current.patient_name} {clock(ctx.now(), ctx.settings.tz)}{late}")

        def fetch():
            try:
                return svc.check_in(ctx, actor, current.appointment_id, current.version, reason)
            except UserError:
                self.app.call_from_thread(self._failed)
                raise

        self.load(fetch, done, group="checkin")

    def _failed(self) -> None:
        self.busy = False
        self.reload()

    def action_back(self) -> None:
        self.dismiss(False)
