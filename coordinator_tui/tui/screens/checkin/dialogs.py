"""The check-in dialogs: eligibility (verified / problem), demographics edited in
place, the payment dialog with its receipt, and the status history. Layout and keys only: the
services do the work, in thread workers; a refused input is shown inside the dialog and nothing
is saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.domain.money import format_cents, parse_payment
from coordinator_tui.errors import ConflictError
from coordinator_tui.services import checkin as svc
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.confirm import back_out
from coordinator_tui.tui.widgets.dialog import Dialog


class WorkedModal(Dialog):
    """A modal that calls a service in a thread worker and shows a refusal inline."""

    def run_service(self, fetch: Callable[[], Any], show: Callable[[Any], None]) -> None:
        call_service(self, fetch, show, refused=lambda error: self.show_error(self.explain(error)),
                     group="dialog")

    def explain(self, error: BaseException) -> str:
        """The words shown for a refusal; a dialog may say more about its own errors."""
        return error_in_words(error, nothing="nothing was saved")

    def show_error(self, text: str) -> None:
        self.query_one(".dialog-error", Static).update(f"! {text}")


def _field(label: str, field_id: str, value: str = "", placeholder: str = "", max_length: int = 0,
           disabled: bool = False) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"),
                      Input(value=value, placeholder=placeholder, id=field_id, classes="field",
                            max_length=max_length, disabled=disabled),
                      classes="field-row")


class EligibilityDialog(Dialog[tuple[bool, str | None] | None]):
    """v: verified now by me. p: a problem (a note, then Enter), which opens a billing callback."""

    AUTO_FOCUS = None
    BINDINGS = [Binding("v", "verified", "Verified"), Binding("p", "problem", "Problem"),
                Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        with self.cover():
            yield Static("[b]Insurance eligibility[/b]")
            yield Static(self.detail, markup=False)
            yield Static("v  verified with the payer now\np  a problem: type a note (billing gets a callback)")
            # Disabled (not focusable, so v and p stay keys) until p is pressed.
            yield _field("Note:", "note", placeholder="what the payer said", max_length=300, disabled=True)
            yield Static("", classes="dialog-error")
            yield Static("v verified  p problem  Esc back", classes="dialog-hint")

    def action_verified(self) -> None:
        self.dismiss((True, None))

    def action_problem(self) -> None:
        self.query_one(".field-row").add_class("shown")
        note = self.query_one("#note", Input)
        note.disabled = False
        note.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.query_one(".dialog-error", Static).update("! say what the problem is")
            return
        self.dismiss((False, text))


class DemographicsDialog(WorkedModal):
    """Address and phone read back to the patient; type over what changed; Enter confirms."""

    BINDINGS = [Binding("escape", "back", "Back"), Binding("ctrl+s", "save", "Confirm")]
    FIELD_IDS = ("address", "city", "region", "postal", "phone")

    def __init__(self, checklist: svc.Checklist) -> None:
        super().__init__()
        self.checklist = checklist

    def compose(self) -> ComposeResult:
        current = self.checklist
        with self.cover():
            # Whose (the checklist behind is covered): the name, then what is on file.
            yield Static(f"[b]Confirm address and phone[/b]  {escape(current.patient_name[:28])}")
            yield Static("Type over what changed; blank = keep", classes="dialog-hint")
            yield Static(f"On file: {current.address or 'no address'}"[:60], markup=False)
            yield Static(f"Phone:   {current.phone or 'none'}", markup=False)
            yield _field("Address:", "address", max_length=200)
            yield _field("City:", "city", max_length=100)
            yield _field("State:", "region", max_length=50)
            yield _field("ZIP:", "postal", max_length=20)
            yield _field("Phone:", "phone", max_length=40)
            yield Static("", classes="dialog-error")
            yield Static("Enter next / confirm on last  ^s confirm  Esc back", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    def action_back(self) -> None:
        """Esc: at once when nothing was typed over, else after "Discard changes? y/n"."""
        back_out(self, any(self.query_one(f"#{f}", Input).value for f in self.FIELD_IDS))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "phone":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        def value(field_id: str) -> str | None:
            return self.query_one(f"#{field_id}", Input).value or None

        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.checklist.appointment_id
        fields = dict(address_line1=value("address"), city=value("city"), region=value("region"),
                      postal_code=value("postal"), phone=value("phone"))
        seen = self.checklist.patient_version  # the record as this dialog shows it

        def fetch():
            try:
                return svc.confirm_demographics(ctx, actor, appointment_id, expected_version=seen, **fields)
            except ConflictError as exc:  # saved elsewhere since: back to the checklist, reloaded
                return exc, svc.checklist(ctx, actor, appointment_id)

        self.run_service(fetch, self.dismiss)


class PaymentDialog(WorkedModal):
    """Amount (the copay due is filled in), method c/k/h, reference; Enter on the last field
    saves; then the receipt is shown as text and Enter or Esc closes. Esc before saving backs
    out, after "Discard changes? y/n" when anything was typed."""

    FIELD_IDS = ("amount", "method", "reference")

    BINDINGS = [Binding("escape", "close", "Back"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, checklist: svc.Checklist) -> None:
        super().__init__()
        self.checklist = checklist
        self.receipt: svc.Receipt | None = None
        # The amount the desk was warned is more than due: saving it again unchanged confirms it.
        self.warned_amount: str | None = None
        self.sent_amount = ""
        self.with_balance = False  # the patient's prior balance is taken with the copay (issue 17)

    def compose(self) -> ComposeResult:
        due = self.checklist.copay_due_cents
        with self.cover():
            yield Static(f"[b]Take a payment[/b]  {escape(self.checklist.patient_name[:28])}  "
                         f"due {format_cents(due)}", id="pay-title")
            yield _field("Amount $:", "amount", value=f"{due / 100:.2f}" if due else "", max_length=20)
            yield _field("Method:", "method", placeholder="c cash  k card  h check", max_length=1)
            yield _field("Reference:", "reference", placeholder="card auth or check number", max_length=60)
            yield Static("", classes="dialog-error")
            yield Static("", id="receipt", markup=False)
            yield Static("Enter next / save on last  ^s save  Esc back", classes="dialog-hint", id="pay-hint")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()
        self.original = self.typed()  # as filled in for the desk: not typed
        if any(i.key == "balance" and not i.done for i in self.checklist.items):
            from coordinator_tui.services.accounts.desk import prior_balance

            ctx, appointment_id = self.app.ctx, self.checklist.appointment_id
            self.run_service(lambda: prior_balance(ctx, appointment_id), self._offer_balance)

    def _offer_balance(self, prior: int) -> None:
        """One payment for the copay and the prior balance: the ledger splits it."""
        if prior <= 0:
            return
        due = self.checklist.copay_due_cents
        self.with_balance = True
        self.query_one("#pay-title", Static).update(
            f"[b]Payment[/b]  {escape(self.checklist.patient_name[:18])}  copay {format_cents(due)}"
            f" + prior {format_cents(prior)}")
        amount = f"{(due + prior) // 100}.{(due + prior) % 100:02d}"
        self.query_one("#amount", Input).value = amount
        self.original["amount"] = amount  # filled in for the desk, not typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.receipt is not None:
            return
        if event.input.id == "reference":
            self.action_save()
        else:
            self.focus_next()

    def on_key(self, event) -> None:
        if self.receipt is not None and event.key == "enter":
            event.stop()
            self.dismiss(self.receipt)
        elif self.receipt is not None and event.key == "p":  # print the receipt
            event.stop()
            from coordinator_tui.services.paper import print_receipt

            ctx, actor, receipt = self.app.ctx, self.app.actor, self.receipt
            self.run_service(lambda: print_receipt(ctx, actor, receipt),
                             lambda printed: self.query_one("#pay-hint", Static).update(
                                 f"Printed: {printed.where}"[:60] + "  Enter closes"))

    def action_save(self) -> None:
        if self.receipt is not None:
            self.dismiss(self.receipt)
            return
        amount = self.query_one("#amount", Input).value
        method = self.query_one("#method", Input).value
        reference = self.query_one("#reference", Input).value or None
        # The amount and method are checked here first (the service checks them again) so that
        # the cursor goes to the field that is wrong: left in Reference after a refused amount,
        # the amount typed again went into the reference.
        try:
            parse_payment(amount)
        except ValueError as error:
            self._wrong("amount", str(error))
            return
        if method.strip().lower() not in svc.METHOD_KEYS:
            self._wrong("method", "choose a method: c cash, k card, h check")
            return
        ctx, actor, appointment_id = self.app.ctx, self.app.actor, self.checklist.appointment_id
        self.sent_amount = amount.strip()
        confirmed = self.warned_amount is not None and self.sent_amount == self.warned_amount
        with_balance = self.with_balance
        self.run_service(lambda: svc.take_payment(ctx, actor, appointment_id, amount, method, reference,
                                                  confirm_over_due=confirmed, with_balance=with_balance),
                         self._saved)

    def _wrong(self, field_id: str, text: str) -> None:
        self.show_error(text)
        box = self.query_one(f"#{field_id}", Input)
        box.focus()
        box.select_all()  # typing replaces what was wrong

    def explain(self, error: BaseException) -> str:
        if not isinstance(error, svc.PaymentOverDue):
            return super().explain(error)
        self.warned_amount = self.sent_amount
        return (f"That is {format_cents(error.cents - error.due_cents)} more than the "
                f"{format_cents(error.due_cents)} due. Ctrl+S again to save it.")

    def _saved(self, receipt: svc.Receipt) -> None:
        self.receipt = receipt
        for field_id in ("amount", "method", "reference"):
            self.query_one(f"#{field_id}", Input).disabled = True
        self.query_one(".dialog-error", Static).update("")
        self.query_one("#receipt", Static).update(svc.render_receipt(receipt, self.app.ctx.settings.tz))
        self.query_one("#pay-hint", Static).update("Saved. p print  Enter or Esc closes")
        self.set_focus(None)

    def typed(self) -> dict[str, str]:
        return {field_id: self.query_one(f"#{field_id}", Input).value for field_id in self.FIELD_IDS}

    def action_close(self) -> None:
        if self.receipt is not None:
            self.dismiss(self.receipt)
            return
        back_out(self, self.typed() != self.original)


class HistoryDialog(Dialog[None]):
    """Every status change of the appointment: when, from, to, who, why."""

    BINDINGS = [Binding("escape,h,enter", "dismiss(None)", "Close")]

    def __init__(self, rows: list[svc.HistoryRow], tz) -> None:
        super().__init__()
        self.rows = rows
        self.tz = tz

    def compose(self) -> ComposeResult:
        with self.cover():
            yield Static("[b]Status history[/b]  (Esc closes)")
            for row in self.rows[-16:]:
                start = row.from_status.label if row.from_status else "new"
                undo = " UNDO" if row.is_undo else ""
                line = (f"{row.at.astimezone(self.tz):%m-%d %H:%M} {start:>9} -> {row.to_status.label:<9}"
                        f" {row.by[:10]:<10}{undo} {row.reason or ''}")
                yield Static(line[:62], markup=False)
