"""Working one callback: the patient's phones and language on screen, one key per outcome.

The item is claimed for this desk while the screen is open (another desk sees "being worked by"),
the claim is refreshed every minute and released on Esc."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from coordinator_tui.domain import phones
from coordinator_tui.domain.callback_retry import when_words
from coordinator_tui.domain.vocab import CallbackOutcome, CallbackReason
from coordinator_tui.errors import ConflictError
from coordinator_tui.tui.service_call import (
    IGNORE_KEYS,
    WAIT_FOR_ANSWER,
    call_service,
    error_in_words,
)
from coordinator_tui.tui.widgets.footer import KeyFooter

OUTCOME_KEYS = {"1": CallbackOutcome.REACHED, "2": CallbackOutcome.VOICEMAIL, "3": CallbackOutcome.NO_ANSWER,
                "4": CallbackOutcome.WRONG_NUMBER, "5": CallbackOutcome.BUSY}
# Reached on one of these: the booking screen opens at once ("reached -> book now").
BOOK_AT_ONCE = {CallbackReason.NO_SHOW, CallbackReason.REBOOK, CallbackReason.RECALL}
OUTCOME_LABELS = {CallbackOutcome.REACHED: "Reached", CallbackOutcome.VOICEMAIL: "Left voicemail",
                  CallbackOutcome.NO_ANSWER: "No answer", CallbackOutcome.WRONG_NUMBER: "Wrong number",
                  CallbackOutcome.BUSY: "Busy"}


class CallbackWorkScreen(Screen[None]):
    HELP_KEYS = [("1-5", "The call: 1 reached, 2 left voicemail, 3 no answer, 4 wrong number, 5 busy")]
    BINDINGS = [
        # One footer entry for the five outcomes (the screen lists them); F1 lists each.
        *[Binding(key, f"outcome('{key}')", "Result" if key == "1" else OUTCOME_LABELS[o],
                  key_display="1-5" if key == "1" else key, show=key == "1")
          for key, o in OUTCOME_KEYS.items()],
        Binding("n", "note", "Note"),
        Binding("k", "confirm", "Confirm appt", show=False),
        Binding("b", "book", "Book"),
        Binding("d", "close(True)", "Done"),
        Binding("x", "close(False)", "Cancel item", show=False),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, callback_id: int) -> None:
        super().__init__()
        self.callback_id = callback_id
        self.work = None
        self.reached = False

    def compose(self) -> ComposeResult:
        yield Static("Callback", id="work-title", classes="desk-summary")
        with VerticalScroll(id="work-body"):
            yield Static("Loading…", id="work-detail")
        with Horizontal(classes="field-row"):
            yield Label("Note:")
            yield Input(placeholder="n types a note; Enter leaves it; then 1-5 records the call",
                        id="work-note", max_length=480)
        yield Static("", id="work-message")
        # The outcomes in words (the footer has room for "1-5 Result" only).
        yield Static("  ".join(f"{key} {OUTCOME_LABELS[o].lower()}" for key, o in OUTCOME_KEYS.items()),
                     id="work-outcomes", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(None)  # number keys record outcomes at once; n opens the note box
        self._run(lambda ctx, actor: __import__("coordinator_tui.services.callbacks.work", fromlist=["claim"])
                  .claim(ctx, actor, self.callback_id))
        self.set_interval(60, self._refresh_claim)

    @property
    def seen(self) -> int | None:
        """The item's version as this screen shows it: a step carries it (services/versions.py)."""
        return self.work.version if self.work is not None else None

    def _refresh_claim(self) -> None:
        from coordinator_tui.services.callbacks.work import claim

        self._run(lambda ctx, actor: claim(ctx, actor, self.callback_id), quiet=True)

    def _run(self, call, *, then=None, quiet: bool = False) -> None:
        ctx, actor = self.app.ctx, self.app.actor

        def work():
            return call(ctx, actor)

        def done(worker_result):
            if worker_result is not None and hasattr(worker_result, "item"):
                self._show(worker_result)
            if then:
                then(worker_result)

        def refused(error: BaseException) -> None:
            text = error_in_words(error)
            self.query_one("#work-message", Static).update(f"! {text}")
            if not quiet and self.work is None:
                self.notify(text, severity="error", timeout=8)
                self.dismiss(None)
            elif isinstance(error, ConflictError) and "reloaded" in text:
                self._refresh_claim()  # another desk changed the item: show it as it is now

        # The minute's claim refresh is background work no key waits for.
        call_service(self, work, done, refused=refused, group="callback",
                     keys=IGNORE_KEYS if quiet else WAIT_FOR_ANSWER)

    def _show(self, work) -> None:
        self.work = work
        item = work.item
        tz = self.app.ctx.settings.tz
        self.query_one("#work-title", Static).update(
            f"Callback: {item.reason.label} — {item.priority.value}, due {item.due_at.astimezone(tz):%d %b %H:%M}"
            + ("  OVERDUE" if item.overdue else ""))
        lines = [f"{item.patient_name}   MRN {item.mrn}   speaks {work.preferred_language}"]
        lines += [f"  {label:<7} {phones.display(number)}" for label, number in work.phones] or ["  no phone on file"]
        if item.note:
            lines.append(f"Note: {item.note}")
        lines.append(f"Created {item.created_at.astimezone(tz):%d %b %H:%M} by {item.created_by or 'the system'}")
        lines.append(f"Attempts ({len(work.attempts)}):")
        for attempt in work.attempts:
            lines.append(f"  {attempt.at.astimezone(tz):%d %b %H:%M} {attempt.by:<14} "
                         f"{OUTCOME_LABELS[attempt.outcome]}" + (f" — {attempt.note}" if attempt.note else ""))
        if item.escalated:
            lines.append("⚑ Escalated to a supervisor after repeated failed calls.")
        self.query_one("#work-detail", Static).update("\n".join(lines))

    def action_outcome(self, key: str) -> None:
        from coordinator_tui.services.callbacks.work import record_attempt

        outcome = OUTCOME_KEYS[key]
        seen = self.seen
        note_box = self.query_one("#work-note", Input)
        note = note_box.value

        def after(result):
            note_box.value = ""
            self.reached = outcome is CallbackOutcome.REACHED
            hint = ("Reached: b books now, k confirms the appointment, d closes as done."
                    if self.reached else f"Recorded: {OUTCOME_LABELS[outcome]}.")
            item = getattr(result, "item", None)
            if not self.reached and item is not None and item.retry_pending:
                ctx = self.app.ctx
                again = when_words(item.due_at.astimezone(ctx.settings.tz), ctx.today())
                hint += f" Due again {again}; Esc for the next item."
            self.query_one("#work-message", Static).update(hint)
            if self.reached and self.work is not None and self.work.item.reason in BOOK_AT_ONCE:
                self.action_book()  # offered at once; Esc comes back to the item

        self._run(lambda ctx, actor: record_attempt(ctx, actor, self.callback_id, outcome, note,
                                                         expected_version=seen), then=after)

    def action_note(self) -> None:
        self.query_one("#work-note", Input).focus()

    def action_confirm(self) -> None:
        from coordinator_tui.services.callbacks.work import confirm_appointment_by_phone

        if self.work is None or self.work.item.reason is not CallbackReason.CONFIRMATION:
            self.query_one("#work-message", Static).update("! Only confirmation calls confirm an appointment.")
            return
        seen = self.seen
        self._run(lambda ctx, actor: confirm_appointment_by_phone(ctx, actor, self.callback_id,
                                                                  expected_version=seen),
                  then=lambda _: self.dismiss(None))

    def action_book(self) -> None:
        """Book for this patient now; the booking closes this item as done (same transaction)."""
        if self.work is None:
            return
        item = self.work.item
        self.app.book_for_patient(item.patient_id, self._booked, reason=f"callback: {item.reason.label}",
                                  callback_id=self.callback_id, callback_version=self.seen)

    def _booked(self, result) -> None:
        if result is None:
            self.query_one("#work-message", Static).update(
                "Nothing booked: b books, d closes as done, Esc leaves the item open.")
            return
        self.dismiss(None)

    def patient_on_screen(self) -> int | None:
        return self.work.item.patient_id if self.work is not None else None

    def action_close(self, done: bool, reason: str | None = None) -> None:
        from coordinator_tui.services.callbacks.work import close

        why = reason or self.query_one("#work-note", Input).value.strip()
        if not why:
            self.query_one("#work-message", Static).update(
                "! Type the reason first (n, then Enter), then d (done) or x (cancel item).")
            self.query_one("#work-note", Input).focus()
            return
        seen = self.seen
        self._run(lambda ctx, actor: close(ctx, actor, self.callback_id, done=done, reason=why,
                                           expected_version=seen),
                  then=lambda _: self.dismiss(None))

    def action_leave(self) -> None:
        from coordinator_tui.services.callbacks.work import release

        ctx, actor, callback_id = self.app.ctx, self.app.actor, self.callback_id
        call_service(self.app, lambda: release(ctx, actor, callback_id), group="release",
                     exclusive=False, keys=IGNORE_KEYS)
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.set_focus(None)  # Enter leaves the note box so number keys record outcomes
