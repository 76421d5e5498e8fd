"""Booking for one patient (from the patient record, or "reached -> book now" on a callback):
type (sets the length), provider or any, first available after a date, mornings/afternoons,
and the patient's desired date, kept apart from the booked one. The next free slots are listed;
Enter books the highlighted one (the service re-checks it inside the write transaction, so a
slot another desk just took is refused with its message and the list is searched again).

Keys: Enter next field (on the last field: find); Ctrl+F find now; Tab to the list; Enter on a
slot books it; y books anyway after a same-time warning; o (supervisors) books the highlighted
slot over a missing authorisation, with a reason; Esc back (with a field changed, after
"Discard changes? y/n"). The authorisation the highlighted slot would be counted on, or the
problem, is shown under the list's message. Dismisses with the BookingResult, or None when
nothing was booked.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.domain.hours import part_of_day_word
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.services import schedule as booking
from coordinator_tui.tui.service_call import IGNORE_KEYS, call_service, error_in_words
from coordinator_tui.tui.widgets.confirm import back_out
from coordinator_tui.tui.widgets.footer import KeyFooter

SLOTS_SHOWN = 12
FIELDS = (("type", "Type", "FU"), ("provider", "Provider", ""), ("after", "After", "T"),
          ("part", "am/pm/any", "any"), ("desired", "Desired date", ""))


class BookForPatientScreen(Screen[booking.BookingResult | None]):
    HELP_KEYS = [
        ("Enter", "Next field; on the last, find slots; on a slot, book it"),
        ("y", "Book anyway after a same-time warning"),
        ("o", "Supervisors: book without a valid authorisation (asks a reason)"),
    ]
    BINDINGS = [
        Binding("ctrl+f", "find", "Find slots"),
        Binding("y", "book_anyway", "Book anyway", show=False),
        Binding("o", "override", "Override", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: int, *, reason: str | None = None, callback_id: int | None = None,
                 callback_version: int | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.reason = reason
        self.callback_id = callback_id
        self.callback_version = callback_version  # the callback as its work screen showed it
        self.options: booking.BookingOptions | None = None
        self.slots: list[booking.FreeSlot] = []
        self.search: dict | None = None  # the checked form values the list was found with
        self.pending: booking.FreeSlot | None = None  # waiting for y after a same-time warning
        self.booked: booking.BookingResult | None = None
        self.message = ""
        self.cover = ""  # the authorisation the highlighted slot would be counted on, or the problem
        self.highlighted = ""  # the slot Enter would book, in words (the cursor row's colour
        # alone does not show on every terminal: NO_COLOR, 16 colours)

    def compose(self) -> ComposeResult:
        yield Static("Book: loading…", id="book-title", markup=False)
        yield Static("", id="book-types", classes="book-info", markup=False)
        for name, label, default in FIELDS:
            with Horizontal(classes="field-row"):
                yield Label(label)
                yield Input(default, id=f"book-{name}", max_length=40)
        yield Static("Enter: next field, find on the last; ^f find; Esc back",
                     id="book-message", markup=False)
        yield DataTable(id="book-slots", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#book-slots", DataTable)
        for label, width in (("#", 2), ("Day", 10), ("Time", 5), ("Provider", 12), ("Length", 6)):
            table.add_column(label, width=width)
        self.query_one("#book-type", Input).focus()
        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        self._run(lambda: booking.booking_options(ctx, actor, pid), self._show_options, fatal=True)

    # --- workers ---------------------------------------------------------------------------------

    def _run(self, fetch, show, *, fatal: bool = False) -> None:
        def refused(error: BaseException) -> None:
            text = error_in_words(error, nothing="nothing was booked")
            if fatal:
                self.notify(text, severity="error", timeout=8)
                self.dismiss(None)
                return
            self._say(f"! {text}")
            if self.search is not None:
                self._find(self.search, keep_message=True)  # the list may be stale: look again

        call_service(self, fetch, show, refused=refused, group="book")

    def _say(self, text: str) -> None:
        self.message = text
        self._show_message()

    def _show_message(self) -> None:
        # Two lines: the authorisation the highlighted slot would use (or its problem) takes the
        # place of "N free slot(s)" once known.
        first = self.cover[:78] if self.cover and self.slots and "free slot(s)" in self.message \
            else self.message
        lines = [first] + ([self.highlighted] if self.highlighted and self.slots else [])
        self.query_one("#book-message", Static).update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if not 0 <= row < len(self.slots):
            return
        local = self.slots[row].starts_at.astimezone(self.app.ctx.settings.tz)
        self.highlighted = (f"> Enter books {row + 1}: {local:%a %d %b %H:%M} with {self.slots[row].provider}"
                            "  (Up/Down: another)")
        self._show_message()
        self._show_cover(self.slots[row])

    def _show_cover(self, slot: booking.FreeSlot) -> None:
        from coordinator_tui.services.referrals import cover_line

        ctx, actor, pid, search = self.app.ctx, self.app.actor, self.patient_id, self.search
        if search is None:
            return

        def show(line: str | None) -> None:
            self.cover = line or ""
            self._show_message()

        call_service(self, lambda: cover_line(ctx, actor, pid, search["type"].code, slot.starts_at), show,
                     group="cover", keys=IGNORE_KEYS)

    # --- the form ----------------------------------------------------------------------------------

    def _show_options(self, options: booking.BookingOptions) -> None:
        self.options = options
        title = f"Book: {options.patient.name[:30]}  {options.patient.mrn}"
        if self.reason:
            title += f"  ({self.reason[:30]})"
        self.query_one("#book-title", Static).update(title[:78])
        types = "  ".join(f"{t.code} {t.minutes}m" for t in options.types)
        providers = " ".join(name for _pid, name in options.providers)
        # Every provider, wrapped over as many lines as it takes (a cut list hid the 8th).
        self.query_one("#book-types", Static).update(f"Types: {types}\nProviders (empty: any): {providers}")

    def values(self) -> dict:
        return {name: self.query_one(f"#book-{name}", Input).value for name, _l, _d in FIELDS}

    def checked(self) -> dict | tuple[str, str]:
        """The form as search arguments, or (field, message) for the first problem."""
        if self.options is None:
            return "type", "Still loading; try again in a moment"
        values = self.values()
        ctx = self.app.ctx
        today, day_first = ctx.today(), ctx.settings.day_first
        code = values["type"].strip().upper()
        kind = next((t for t in self.options.types if t.code == code), None)
        if kind is None:
            return "type", f"Type: one of {', '.join(t.code for t in self.options.types)}"
        name = values["provider"].strip().upper()
        provider_id = None
        if name:
            provider_id = next((pid for pid, short in self.options.providers if short.upper() == name), None)
            if provider_id is None:
                return "provider", f"No provider {name[:12]!r}; leave it empty for any provider"
        part = part_of_day_word(values["part"])
        if part is None:
            return "part", "Part of day: am, pm or any"
        try:
            after = parse_day(values["after"], today=today, day_first=day_first)
        except ValueError as exc:
            return "after", f"After: {exc}"
        desired = after
        if values["desired"].strip():
            try:
                desired = parse_day(values["desired"], today=today, day_first=day_first)
            except ValueError as exc:
                return "desired", f"Desired date: {exc}"
        return {"type": kind, "provider_id": provider_id, "after": after, "part": part, "desired": desired}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_find()

    def action_find(self) -> None:
        search = self.checked()
        if isinstance(search, tuple):
            field, problem = search
            self._say(f"! {problem}")
            self.query_one(f"#book-{field}", Input).focus()  # type over it, Enter or ^f again
            return
        self._find(search)

    def _find(self, search: dict, *, keep_message: bool = False) -> None:
        self.search = search
        self.pending = None
        if not keep_message:
            self._say("Looking for free slots…")
        ctx, actor = self.app.ctx, self.app.actor
        self._run(lambda: booking.find_free_slots(
            ctx, actor, provider_id=search["provider_id"], type_code=search["type"].code,
            after=search["after"], part_of_day=search["part"], limit=SLOTS_SHOWN),
            lambda slots: self._show_slots(slots, keep_message))

    def _show_slots(self, slots: list[booking.FreeSlot], keep_message: bool) -> None:
        self.slots = slots
        tz = self.app.ctx.settings.tz
        table = self.query_one("#book-slots", DataTable)
        table.clear()
        self.highlighted = ""
        for number, slot in enumerate(slots, start=1):
            local = slot.starts_at.astimezone(tz)
            minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
            table.add_row(str(number), f"{local:%a %d %b}", f"{local:%H:%M}", slot.provider[:12],
                          f"{minutes}m", key=str(number))
        if not keep_message:
            self._say(f"{len(slots)} free slot(s): Enter books the highlighted one" if slots
                      else "! No free slot in the next 90 days: change the type, provider or date")
        if slots:
            table.focus()
            table.move_cursor(row=0, animate=False)

    # --- booking -----------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.slots):
            self._book(self.slots[event.cursor_row], confirm=False)

    def action_override(self) -> None:
        from coordinator_tui.services.permissions import Permission, allows
        from coordinator_tui.tui.widgets.reason import ReasonPrompt

        table = self.query_one("#book-slots", DataTable)
        if not allows(self.app.actor, Permission.OVERRIDE_AUTHORISATION) or not self.slots:
            return
        slot = self.slots[table.cursor_row] if 0 <= table.cursor_row < len(self.slots) else self.slots[0]
        self.app.push_screen(ReasonPrompt("Book without a valid authorisation", self.cover[:70]),
                             lambda reason: reason and self._book(slot, confirm=False, override=reason))

    def action_book_anyway(self) -> None:
        if self.pending is not None:
            self._book(self.pending, confirm=True)

    def _book(self, slot: booking.FreeSlot, *, confirm: bool, override: str | None = None) -> None:
        search = self.search
        if search is None:
            return
        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        reason, callback_id, callback_version = self.reason, self.callback_id, self.callback_version
        self.pending = None
        self._say("Booking…")
        self._run(lambda: booking.book(ctx, actor, pid, slot.provider_id, search["type"].code, slot.starts_at,
                                       desired_date=search["desired"], confirm_double=confirm, reason=reason,
                                       close_callback_id=callback_id,
                                       close_callback_version=callback_version, auth_override=override),
                  lambda result: self._booked(slot, result))

    def _booked(self, slot: booking.FreeSlot, result: booking.BookingResult) -> None:
        if result.appointment_id is None:
            self.pending = slot
            self._say(f"! {result.warning}. y books anyway, or pick another slot")
            return
        tz = self.app.ctx.settings.tz
        self.booked = result
        self.notify(f"Booked {result.starts_at.astimezone(tz):%a %d %b %H:%M} with {result.provider}"
                    + (" (callback closed as done)" if self.callback_id else "")
                    + (f"; {result.authorisation}" if result.authorisation else ""), timeout=6)
        self.dismiss(result)

    def has_changes(self) -> bool:
        return self.values() != {name: default for name, _label, default in FIELDS}

    def action_back(self) -> None:
        back_out(self, self.has_changes())
