"""Contact preferences of one patient: the channels they agreed to (SMS, voice, e-mail, letter),
who recorded each answer and when, and their preferred language. Opened with `c` on the
patient's record (and usable from check-in's demographics step).

Keys: s v e l toggle a channel (yes, then no: a patient never asked who says no is recorded as
a no, with who and when), g types the language, Ctrl+S (or Enter in the language) saves,
Esc leaves without saving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.domain.reminders import ConsentSource, ContactChannel
from coordinator_tui.errors import ConflictError
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.dialog import Dialog

KEYS = {"s": ContactChannel.SMS, "v": ContactChannel.VOICE, "e": ContactChannel.EMAIL,
        "l": ContactChannel.LETTER}


class ContactPreferencesDialog(Dialog[bool]):
    """Dismissed with True when something was saved."""

    AUTO_FOCUS = None
    BINDINGS = [
        *(Binding(key, f"toggle('{channel.value}')", channel.label, show=False)
          for key, channel in KEYS.items()),
        Binding("g", "language", "Language", show=False),
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "dismiss(False)", "Back"),
    ]

    def __init__(self, patient_id: int, source: ConsentSource = ConsentSource.DESK, *,
                 who: str = "") -> None:
        super().__init__()
        self.patient_id = patient_id
        self.source = source
        # Whose answers these are, said at the top as every other dialog of a patient does:
        # without it, a dialog opened by a key typed ahead named nobody.
        self.who = who
        self.prefs = None
        # True agreed, False said no, None never asked (and not asked now).
        self.wanted: dict[ContactChannel, bool | None] = {}

    def compose(self) -> ComposeResult:
        with self.cover():
            yield Static(self._title(), id="consent-who", classes="dialog-title", markup=False)
            yield Static("What the patient agreed to", markup=False)
            yield Static("Loading...", id="consent-lines", markup=False)
            yield Horizontal(Label("Language:", classes="field-label"),
                             Input(id="consent-language", classes="field", max_length=40,
                                   disabled=True),
                             classes="field-row shown")
            yield Static("", classes="dialog-error")
            yield Static("s SMS  v voice  e e-mail  l letter  g language  ^s save  Esc back",
                         classes="dialog-hint")

    def _title(self, mrn: str = "") -> str:
        return "  ".join(part for part in ("Contact preferences", self.who[:30], mrn) if part)

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        from coordinator_tui.services.reminders.consent import contact_preferences

        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        call_service(self, lambda: contact_preferences(ctx, actor, pid), self._loaded,
                     refused=self._refused, group="dialog")

    def _refused(self, error: BaseException) -> None:
        self.query_one(".dialog-error", Static).update(
            f"! {error_in_words(error, nothing='nothing was saved')}")
        if isinstance(error, ConflictError):  # another desk saved first: show what it saved
            self._load()

    def _loaded(self, prefs) -> None:
        self.prefs = prefs
        self.query_one("#consent-who", Static).update(self._title(prefs.mrn))
        self.wanted = {c.channel: c.agreed if c.recorded_at else None for c in prefs.channels}
        language = self.query_one("#consent-language", Input)
        language.value = prefs.language
        language.disabled = False
        language.can_focus = True
        self.set_focus(None)
        self._draw()

    def _draw(self) -> None:
        if self.prefs is None:
            return
        tz = self.app.ctx.settings.tz
        lines = []
        for key, channel in KEYS.items():
            known = next(c for c in self.prefs.channels if c.channel is channel)
            mark = "x" if self.wanted[channel] else " "
            changed = ""
            if self._changed(channel):
                changed = " (yes, not saved)" if self.wanted[channel] else " (no, not saved)"
            who = (f"{known.recorded_at.astimezone(tz):%m/%d/%Y %H:%M} {(known.recorded_by or '-')[:16]}"
                   if known.recorded_at else "never asked")
            lines.append(f"{key} [{mark}] {channel.label:<7} {who}{changed}")
        self.query_one("#consent-lines", Static).update("\n".join(lines))

    def _changed(self, channel: ContactChannel) -> bool:
        known = next(c for c in self.prefs.channels if c.channel is channel)
        wanted = self.wanted[channel]
        return wanted is not None and (known.recorded_at is None or wanted != known.agreed)

    def action_toggle(self, channel: str) -> None:
        """Yes, then no, then yes...: a channel never asked about can be recorded as a no."""
        if self.prefs is None:
            return
        chosen = ContactChannel(channel)
        self.wanted[chosen] = self.wanted[chosen] is not True
        self._draw()

    def action_language(self) -> None:
        if self.prefs is not None:
            self.query_one("#consent-language", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.prefs is None:
            return
        from coordinator_tui.services.reminders.consent import set_contact_preferences

        ctx, actor, pid, source = self.app.ctx, self.app.actor, self.patient_id, self.source
        # Only what this desk changed, against the answers it was shown.
        wanted = {channel: bool(value) for channel, value in self.wanted.items()
                  if self._changed(channel)}
        version, consent_version = self.prefs.version, self.prefs.consent_version
        language = self.query_one("#consent-language", Input).value
        call_service(self, lambda: set_contact_preferences(
            ctx, actor, pid, wanted, language=language, source=source, expected_version=version,
            expected_consent_version=consent_version),
            lambda _prefs: self.dismiss(True), refused=self._refused, group="dialog")
