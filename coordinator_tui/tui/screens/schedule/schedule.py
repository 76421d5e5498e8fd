"""The day schedule: providers x time at the clinic's slot size, or one provider's day as a list.

Keys: arrows move; [ ] previous/next day; t today; g go to a date (T+7, mon, 12/24...);
< > page across providers; v grid/list; b book at the cursor; m move (press m on the
appointment, then m again on the new slot); c cancel; n no-show; u undo the last status change;
w wait-listed patients who fit the free slot; x block time; a the provider's availability
(weekly hours and exceptions); ctrl+r reload. Another desk's changes appear by
themselves within about a second.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.services import booking
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.schedule_view import (
    BLOCKED,
    BOOKED,
    CONTINUES,
    FREE,
    Cell,
    DayAppointment,
    DaySchedule,
    day_schedule,
)
from coordinator_tui.tui.formatting import STATUS_STYLE, clock
from coordinator_tui.tui.quiet import changed, forget
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.prompt import PromptModal

PER_PAGE = 5  # provider columns at 80 columns: 5 + 2 + 5 x (11 + 2) = 72, plus the scrollbar
COL_WIDTH = 11
PICK_SHOWN = 8  # patients listed in "Which patient?" (the prompt's info shows 9 lines)
LIST_COLUMNS = (("Time", 5), ("Patient", 24), ("Age", 3), ("Type", 4), ("Status", 11), ("Wait", 4))


def cell_text(cell: Cell, now, *, width: int = COL_WIDTH) -> Text:
    """What one grid cell shows: a word or symbol first, colour only adds."""
    if cell.kind == FREE:
        return Text("· free", style="dim")
    if cell.kind == BLOCKED:
        return Text(f"▓ {cell.note or 'blocked'}"[:width], style="reverse")
    if cell.kind == CONTINUES:
        return Text("│", style="dim")
    if cell.kind == BOOKED:
        appt = cell.appointment
        symbol, style = STATUS_STYLE[appt.status]
        if appt.held_too_long(now):
            symbol, style = "!", "bold red"
        waited = appt.waited_minutes(now)
        tail = f"{waited}m" if waited is not None else appt.type_code
        if cell.extra:
            tail = f"+{cell.extra}"
        room = width - 1 - len(tail) - 1
        name = appt.patient_name.replace(", ", " ")
        return Text(f"{symbol}{name[:room]:<{room}} {tail}", style=style)
    return Text("░ closed", style="dim")


def status_word(appt: DayAppointment, now) -> Text:
    symbol, style = STATUS_STYLE[appt.status]
    if appt.held_too_long(now):
        return Text(f"! {appt.status.label}"[:11], style="bold red")
    return Text(f"{symbol} {appt.status.label}", style=style)


class ScheduleScreen(DeskScreen):
    DESK_TITLE = "Schedule"
    HELP_KEYS = [
        ("[", "Previous day"), ("]", "Next day"),
        ("b", "Book at the cursor (patient, type)"),
        ("f", "Find the first free slots (type, provider, after a date, am/pm)"),
        ("m", "Move: m on the appointment, then m on the new slot"),
        ("Esc", "Stop moving"),
    ]
    BINDINGS = [
        # The footer shows the day and the four bookings keys (80 columns); F1 lists every key.
        Binding("left_square_bracket", "shift_day(-1)", "Day", key_display="[ ]"),
        Binding("right_square_bracket", "shift_day(1)", "Next day", key_display="]", show=False),
        Binding("t", "today", "Today", show=False),
        Binding("g", "go_to_date", "Go to date", show=False),
        Binding("b", "book", "Book"),
        Binding("m", "move", "Move"),
        Binding("c", "cancel_appointment", "Cancel"),
        Binding("n", "no_show", "No-show", show=False),
        Binding("u", "undo", "Undo status", show=False),
        Binding("v", "toggle_view", "List/grid", show=False),
        Binding("less_than_sign", "page(-1)", "Prev providers", key_display="<", show=False),
        Binding("greater_than_sign", "page(1)", "Next providers", key_display=">", show=False),
        Binding("w", "waitlist", "Wait list fits", show=False),
        Binding("x", "block_time", "Block time", show=False),
        Binding("a", "availability", "Availability", show=False),
        Binding("f", "find_slot", "Find"),
        Binding("s", "next_status", "Next status", show=False),
        Binding("e", "wants_earlier", "Wait list add", show=False),
        Binding("escape", "stop_moving", "Stop moving", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date | None = None
        self.schedule: DaySchedule | None = None
        self.page = 0
        self.provider_index = 0  # the list view's provider
        self.list_view = False
        self.moving: DayAppointment | None = None
        self._grid_providers: tuple[int, ...] = ()
        self.redraws = 0  # counted, so tests and the benchmark can tell a new day is drawn
        self.detail_updates = 0

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="schedule-day", classes="desk-summary")
        yield DataTable(id="schedule-grid", cursor_type="cell", zebra_stripes=False)
        yield DataTable(id="schedule-list", cursor_type="row", zebra_stripes=False)
        yield Static("", id="schedule-detail", classes="desk-summary", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        listing = self.query_one("#schedule-list", DataTable)
        for label, width in LIST_COLUMNS:
            listing.add_column(label, width=width)
        listing.display = False
        self.query_one("#schedule-grid", DataTable).focus()
        self.day = self.app.ctx.today()
        self.action_reload()
        self.watch_for_changes(self.action_reload)

    def on_screen_resume(self) -> None:
        self.action_reload()

    def on_clinic_header_minute(self, _message: ClinicHeader.Minute) -> None:
        self._redraw()  # wait timers advance without a keystroke, with the clock

    # --- loading ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        ctx, actor, day = self.app.ctx, self.app.actor, self.day or self.app.ctx.today()
        self.load(lambda: day_schedule(ctx, actor, day), self._show)

    def _show(self, schedule: DaySchedule) -> None:
        if schedule.day != self.day:
            return  # the user has already moved on to another day
        first_time = self.schedule is None or self.schedule.day != schedule.day
        self.schedule = schedule
        self._redraw(initial=first_time)

    def _redraw(self, initial: bool = False) -> None:
        schedule = self.schedule
        if schedule is None:
            return
        ctx = self.app.ctx
        now, tz = ctx.now(), ctx.settings.tz
        active = [a for a in schedule.appointments if a.active]
        waiting = sum(a.status is S.ARRIVED for a in active)
        marker = " (today)" if schedule.day == ctx.today() else ""
        pages = max(1, -(-len(schedule.providers) // PER_PAGE))
        self.page = min(self.page, pages - 1)
        if self.list_view and schedule.providers:
            self.provider_index = min(self.provider_index, len(schedule.providers) - 1)
            where = (f"{schedule.providers[self.provider_index].short_name} "
                     f"{self.provider_index + 1}/{len(schedule.providers)}")
        else:
            where = f"providers {self.page + 1}/{pages}"
        summary = (f"{schedule.day:%a %d %b %Y}{marker}  {len(active)} booked, {waiting} waiting  {where}")
        if self.moving is not None:
            # Who is being moved, by name and time (an internal number means nothing at the desk);
            # it replaces the counts so the line still fits 80 columns.
            summary = f"{schedule.day:%a %d %b}  MOVING {self.slot_label(self.moving)}: m on a free slot"
        self.query_one("#schedule-day", Static).update(summary)
        grid = self.query_one("#schedule-grid", DataTable)
        listing = self.query_one("#schedule-list", DataTable)
        if self.list_view:
            self._render_list(listing, schedule, now, tz, initial)
        else:
            self._render_grid(grid, schedule, now, tz, initial)
        self._update_detail()
        self.redraws += 1

    def _now_row(self, schedule: DaySchedule) -> int:
        now = self.app.ctx.now()
        if schedule.day != self.app.ctx.today():
            return 0
        rows = [i for i, t in enumerate(schedule.times) if t <= now]
        return rows[-1] if rows else 0

    def _render_grid(self, grid: DataTable, schedule: DaySchedule, now, tz, initial: bool) -> None:
        columns = schedule.providers[self.page * PER_PAGE:(self.page + 1) * PER_PAGE]
        ids = tuple(c.id for c in columns)
        row, column = grid.cursor_coordinate
        rows = [(clock(start, tz), *(cell_text(c.cells[index], now) for c in columns))
                for index, start in enumerate(schedule.times)]
        if not changed(grid, (ids, rows)) and not initial:
            return  # the same grid: repainting it would only cost bytes
        if ids != self._grid_providers:
            grid.clear(columns=True)
            grid.add_column("Time", width=5, key="time")
            for c in columns:
                grid.add_column(c.short_name[:COL_WIDTH], width=COL_WIDTH, key=f"p{c.id}")
            self._grid_providers = ids
        else:
            grid.clear()
        for index, cells in enumerate(rows):
            grid.add_row(*cells, key=str(index))
        if initial:
            row = self._now_row(schedule)
        if grid.row_count:
            grid.move_cursor(row=min(row, grid.row_count - 1),
                             column=max(1, min(column, len(columns))), animate=False)

    def _render_list(self, listing: DataTable, schedule: DaySchedule, now, tz, initial: bool) -> None:
        row = listing.cursor_coordinate.row
        if not schedule.providers:
            forget(listing)
            listing.clear()
            return
        self.provider_index = min(self.provider_index, len(schedule.providers) - 1)
        column = schedule.providers[self.provider_index]
        rows = []
        for index, start in enumerate(schedule.times):
            cell = column.cells[index]
            appt = cell.appointment
            if cell.kind == BOOKED and appt is not None:
                waited = appt.waited_minutes(now)
                name = appt.patient_name[:24] + (f" +{cell.extra}" if cell.extra else "")
                rows.append((clock(start, tz), name[:24], str(appt.age), appt.type_code,
                             status_word(appt, now), f"{waited}m" if waited is not None else ""))
            else:
                rows.append((clock(start, tz), cell_text(cell, now, width=24), "", "", "", ""))
        if not changed(listing, (column.id, rows)) and not initial:
            return  # the same list: repainting it would only cost bytes
        listing.clear()
        for index, cells in enumerate(rows):
            listing.add_row(*cells, key=str(index))
        if initial:
            row = self._now_row(schedule)
        if listing.row_count:
            listing.move_cursor(row=min(row, listing.row_count - 1), animate=False)

    # --- where the cursor is -----------------------------------------------------------------------

    def current(self) -> tuple[int, int] | None:
        """(provider index, time row) under the cursor."""
        schedule = self.schedule
        if schedule is None or not schedule.providers:
            return None
        if self.list_view:
            row = self.query_one("#schedule-list", DataTable).cursor_coordinate.row
            return self.provider_index, row
        coordinate = self.query_one("#schedule-grid", DataTable).cursor_coordinate
        provider = self.page * PER_PAGE + max(0, coordinate.column - 1)
        return min(provider, len(schedule.providers) - 1), coordinate.row

    def current_cell(self) -> tuple[Cell, int, int] | None:
        where = self.current()
        if where is None or where[1] >= len(self.schedule.times):
            return None
        return self.schedule.cell(*where), where[0], where[1]

    def on_data_table_cell_highlighted(self, _event) -> None:
        self._update_detail()

    def on_data_table_row_highlighted(self, _event) -> None:
        self._update_detail()

    def _update_detail(self) -> None:
        found = self.current_cell()
        detail = self.query_one("#schedule-detail", Static)
        if found is None:
            detail.update("")
            return
        cell, pindex, row = found
        ctx = self.app.ctx
        now, tz = ctx.now(), ctx.settings.tz
        provider = self.schedule.providers[pindex].short_name
        when = clock(self.schedule.times[row], tz)
        appt = cell.appointment
        if appt is not None:
            waited = appt.waited_minutes(now)
            flag = " LONG" if appt.held_too_long(now) else ""
            text = (f"{clock(appt.starts_at, tz)}-{clock(appt.ends_at, tz)} {provider} "
                    f"{appt.patient_name[:22]} ({appt.age}) {appt.type_code} {appt.status.label}{flag}"
                    + (f" waited {waited}m" if waited is not None else "")
                    + (" OVERBOOK" if appt.is_overbook else ""))
        elif cell.kind == FREE:
            text = f"{when} {provider} free: b to book, w wait list"
        elif cell.kind == BLOCKED:
            text = f"{when} {provider} blocked ({cell.note})"
        else:
            text = f"{when} {provider} outside hours"
        detail.update(text[:78])
        self.detail_updates += 1

    # --- moving around -----------------------------------------------------------------------------

    def action_shift_day(self, days: int) -> None:
        self.day = (self.day or self.app.ctx.today()) + timedelta(days=days)
        self.action_reload()

    def action_today(self) -> None:
        self.day = self.app.ctx.today()
        self.action_reload()

    def action_go_to_date(self) -> None:
        today = self.app.ctx.today()
        day_first = self.app.ctx.settings.day_first

        def check(values: dict) -> str | None:
            try:
                parse_day(values["date"], today=today, day_first=day_first)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict | None) -> None:
            if values:
                self.day = parse_day(values["date"], today=today, day_first=day_first)
                self.action_reload()

        self.app.push_screen(PromptModal("Go to date", [("date", "Date", "")],
                                         info="T, T+7, mon, 12/24, 2026-12-24", check=check), done)

    def action_page(self, step: int) -> None:
        if self.schedule is None:
            return
        if self.list_view:
            count = len(self.schedule.providers)
            self.provider_index = (self.provider_index + step) % max(1, count)
        else:
            pages = max(1, -(-len(self.schedule.providers) // PER_PAGE))
            self.page = (self.page + step) % pages
        self._redraw()

    def action_toggle_view(self) -> None:
        where = self.current()
        grid = self.query_one("#schedule-grid", DataTable)
        listing = self.query_one("#schedule-list", DataTable)
        self.list_view = not self.list_view
        if where is not None:
            self.provider_index, row = where
            self.page = where[0] // PER_PAGE
        grid.display, listing.display = not self.list_view, self.list_view
        (listing if self.list_view else grid).focus()
        self._redraw()
        if where is not None:
            if self.list_view:
                listing.move_cursor(row=row, animate=False)
            else:
                grid.move_cursor(row=row, column=where[0] % PER_PAGE + 1, animate=False)

    # --- actions -----------------------------------------------------------------------------------

    def _after_change(self, message: str) -> None:
        self.notify(message, timeout=4)
        self.action_reload()

    def patient_on_screen(self) -> int | None:
        """The patient of the appointment under the cursor (F8 fills it in)."""
        found = self.current_cell()
        appt = found[0].appointment if found else None
        return appt.patient_id if appt is not None else None

    def slot_label(self, appt: DayAppointment) -> str:
        """The patient and slot, as the desk says them: "Reyes, Todd 13:20 RAMAN"."""
        return f"{appt.patient_name[:22]} {clock(appt.starts_at, self.app.ctx.settings.tz)} {appt.provider[:9]}"

    def _appointment_here(self) -> DayAppointment | None:
        found = self.current_cell()
        appt = found[0].appointment if found else None
        if appt is None:
            self.notify("No appointment here: move the cursor onto one", severity="warning")
        return appt

    def action_book(self) -> None:
        found = self.current_cell()
        if found is None:
            return
        cell, pindex, row = found
        if cell.kind not in (FREE, BOOKED, CONTINUES):
            self.notify("That time is not open for booking", severity="warning")
            return
        starts_at = self.schedule.times[row]
        # Refused now, not after the whole form is typed (the service refuses it then anyway):
        # a slot that has ended has passed; the one running now can still take a patient.
        if starts_at + timedelta(minutes=self.schedule.slot_minutes) <= self.app.ctx.now():
            self.notify("That time has already passed: choose a later slot", severity="warning")
            return
        provider = self.schedule.providers[pindex]
        self._open_booking(provider.id, provider.short_name, starts_at, cell.kind != FREE)

    def _open_booking(self, provider_id: int, short_name: str, starts_at, overbook: bool) -> None:
        tz = self.app.ctx.settings.tz
        title = f"Book {starts_at.astimezone(tz):%a %d %b %H:%M} with {short_name}"
        if overbook:
            title = "OVERBOOK: " + title
        today, day_first = self.app.ctx.today(), self.app.ctx.settings.day_first

        def check(values: dict) -> str | None:
            if not values["patient"].strip():
                return "Type the patient's MRN or family name"
            if values["desired"].strip():
                try:
                    parse_day(values["desired"], today=today, day_first=day_first)
                except ValueError as exc:
                    return str(exc)
            return None

        def done(values: dict | None) -> None:
            if values:
                desired = parse_day(values["desired"], today=today, day_first=day_first) if values["desired"].strip() else None
                self._find_patient(values["patient"], values["type"], desired, provider_id, starts_at, overbook)

        self.app.push_screen(PromptModal(title, [("patient", "Patient MRN/name", ""), ("type", "Type", "FU"),
                                                 ("desired", "Desired date", "")],
                                         info="Name as family or family,given", check=check), done)

    def action_find_slot(self) -> None:
        """First free slots for a type, a provider or any, after a date, mornings/afternoons."""
        if self.schedule is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        today, tz, day_first = ctx.today(), ctx.settings.tz, ctx.settings.day_first
        providers = {p.short_name: p.id for p in self.schedule.providers}

        def check(values: dict) -> str | None:
            name = values["provider"].strip().upper()
            if name and name not in providers:
                return f"No provider {name[:16]}; leave empty for any"
            if values["part"].strip().lower() not in ("any", "am", "pm"):
                return "Part of day: any, am or pm"
            try:
                parse_day(values["after"], today=today, day_first=day_first)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict | None) -> None:
            if not values:
                return
            name = values["provider"].strip().upper()
            provider_id = providers.get(name) if name else None
            after = parse_day(values["after"], today=today, day_first=day_first)
            part = values["part"].strip().lower()
            type_code = values["type"]

            def pick(slots) -> None:
                if not slots:
                    self.notify("No free slot found in the next 90 days", severity="warning")
                    return
                info = "\n".join(f"{n}. {s.starts_at.astimezone(tz):%a %d %b %H:%M}  {s.provider}"
                                  for n, s in enumerate(slots, start=1))

                def chosen(values: dict | None) -> None:
                    if not values:
                        return
                    slot = slots[int(values["n"]) - 1]
                    self.day = slot.starts_at.astimezone(tz).date()
                    self.action_reload()
                    self._open_booking(slot.provider_id, slot.provider, slot.starts_at, False)

                # Nothing pre-picked: the user types the number of the slot they chose.
                self.app.push_screen(PromptModal(
                    f"Free {type_code.upper()[:12]} slots", [("n", "Number", "")], info=info,
                    check=lambda v: None if v["n"].strip().isdigit() and 1 <= int(v["n"]) <= len(slots)
                    else "Type a number from the list"), chosen)

            self.load(lambda: booking.find_free_slots(ctx, actor, provider_id=provider_id, type_code=type_code,
                                                      after=after, part_of_day=part, limit=8),
                      pick, group="act")

        here = self.current()
        default = self.schedule.providers[here[0]].short_name if here else ""
        self.app.push_screen(PromptModal("Find a free slot", [
            ("type", "Type", "FU"), ("provider", "Provider", default), ("after", "After", "T"),
            ("part", "any/am/pm", "any")], info="Empty provider: any provider", check=check), done)

    def _find_patient(self, text, type_code, desired, provider_id, starts_at, overbook) -> None:
        ctx, actor = self.app.ctx, self.app.actor

        def chosen(matches) -> None:
            if not matches:
                self.notify("No patient matches; check the MRN or spelling", severity="warning")
            elif len(matches) == 1:
                self._book(matches[0].id, type_code, desired, provider_id, starts_at, overbook)
            else:
                self._pick(matches, type_code, desired, provider_id, starts_at, overbook)

        # One more than is shown, to know whether to say that more patients match.
        self.load(lambda: booking.pick_patients(ctx, actor, text, limit=PICK_SHOWN + 1), chosen, group="act")

    def _pick(self, matches, type_code, desired, provider_id, starts_at, overbook) -> None:
        more = len(matches) > PICK_SHOWN
        matches = matches[:PICK_SHOWN]
        info = "\n".join(f"{n}. {m.name[:30]}  {m.birth_date:%Y-%m-%d}  {m.mrn}"
                         for n, m in enumerate(matches, start=1))
        if more:
            info += "\nmore patients match: type more of the name (family,given) or the MRN"

        def check(values: dict) -> str | None:
            text = values["n"].strip()
            if text.isdigit() and 1 <= int(text) <= len(matches):
                return None
            return f"Type the patient's number, 1-{len(matches)} (Esc: back)"

        def done(values: dict | None) -> None:
            if values:
                choice = matches[int(values["n"]) - 1]
                self._book(choice.id, type_code, desired, provider_id, starts_at, overbook)

        # No number filled in: Enter alone must not book whoever happens to be first.
        self.app.push_screen(PromptModal("Which patient?", [("n", "Number", "")], info=info, check=check),
                             done)

    def _book(self, patient_id, type_code, desired, provider_id, starts_at, overbook, confirm=False) -> None:
        ctx, actor = self.app.ctx, self.app.actor

        def shown(result: booking.BookingResult) -> None:
            if result.appointment_id is None:
                def again(values: dict | None) -> None:
                    if values and values["yes"].strip().lower() in ("y", "yes"):
                        self._book(patient_id, type_code, desired, provider_id, starts_at, overbook, True)

                self.app.push_screen(PromptModal("Book anyway?", [("yes", "y to book", "")],
                                                 info=result.warning or ""), again)
                return
            tz = ctx.settings.tz
            self._after_change(f"Booked {clock(result.starts_at, tz)} with {result.provider}"
                               + (" (overbooked)" if result.is_overbook else ""))

        self.load(lambda: booking.book(ctx, actor, patient_id, provider_id, type_code, starts_at,
                                       desired_date=desired, overbook=overbook, confirm_double=confirm),
                  shown, group="act")

    def action_move(self) -> None:
        found = self.current_cell()
        if found is None:
            return
        cell, pindex, row = found
        if self.moving is None:
            appt = self._appointment_here()
            if appt is not None:
                if appt.status not in (S.SCHEDULED, S.CONFIRMED):
                    self.notify(f"A {appt.status.label} appointment cannot be moved", severity="warning")
                    return
                self.moving = appt
                self.notify("Go to the new slot (any day) and press m; Esc stops", timeout=6)
                self._redraw()
            return
        if cell.kind != FREE:
            self.notify("Choose a free slot for the move", severity="warning")
            return
        appt = self.moving
        provider = self.schedule.providers[pindex]
        starts_at = self.schedule.times[row]
        if starts_at < self.app.ctx.now():  # the service's rule for moves, before the reason is typed
            self.notify("That time has already passed: choose a later slot", severity="warning")
            return
        ctx, actor = self.app.ctx, self.app.actor

        def done(values: dict | None) -> None:
            if not values:
                return
            by = CancelledBy.CLINIC if values["by"].strip().lower().startswith("c") else CancelledBy.PATIENT
            self.moving = None
            self.load(lambda: booking.reschedule(ctx, actor, appt.id, starts_at, provider_id=provider.id,
                                                 reason=values["reason"], by=by, expected_version=appt.version),
                      lambda r: self._after_change(f"Moved to {clock(r.starts_at, ctx.settings.tz)} "
                                                   f"with {r.provider}"), group="act")

        self.app.push_screen(PromptModal(
            f"Move {appt.patient_name[:22]} to {clock(starts_at, ctx.settings.tz)} "
            f"{self.schedule.day:%a %d %b} {provider.short_name}",
            [("reason", "Reason", "patient asked"), ("by", "Asked by p/c", "patient")],
            info=f"Now {self.slot_label(appt)}",
            check=lambda v: None if v["reason"].strip() else ("reason", "Say why it is moved")), done)

    def action_stop_moving(self) -> None:
        if self.moving is not None:
            self.moving = None
            self._redraw()

    def action_cancel_appointment(self) -> None:
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor

        def check(values: dict) -> str | None:
            if not values["reason"].strip():
                return "reason", "Say why it is cancelled"
            if values["by"].strip().lower()[:1] not in ("p", "c"):
                return "by", "Cancelled by p(atient) or c(linic)"
            if values["rebook"].strip().lower()[:1] not in ("y", "n"):
                return "rebook", "Rebook callback: y or n"
            return None

        def done(values: dict | None) -> None:
            if not values:
                return
            by = CancelledBy.CLINIC if values["by"].strip().lower().startswith("c") else CancelledBy.PATIENT
            rebook = values["rebook"].strip().lower().startswith("y")
            def cancel_and_find_fits():
                callback = booking.cancel(ctx, actor, appt.id, reason=values["reason"], by=by,
                                          rebook_callback=rebook, expected_version=appt.version)
                return callback, booking.fits_for_slot(ctx, actor, appt.provider_id, appt.starts_at)

            def shown(result) -> None:
                callback, fits = result
                message = "Cancelled" + ("; callback to rebook added" if callback else "")
                if fits:
                    message += ". Wait list fits: " + "; ".join(
                        f"{r.mrn} {r.patient_name[:18]} {r.type_code}" for r in fits[:3])
                self._after_change(message)

            self.load(cancel_and_find_fits, shown, group="act")

        self.app.push_screen(PromptModal(
            f"Cancel {self.slot_label(appt)}",
            [("reason", "Reason", ""), ("by", "By p/c", "patient"), ("rebook", "Rebook call y/n", "y")],
            check=check), done)

    def action_no_show(self) -> None:
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: booking.no_show(ctx, actor, appt.id, expected_version=appt.version),
                  lambda _cb: self._after_change("Marked no-show; follow-up callback added (u undoes)"),
                  group="act")

    def action_next_status(self) -> None:
        """scheduled -> confirmed -> arrived -> roomed -> with provider -> checked out."""
        appt = self._appointment_here()
        if appt is None:
            return
        following = {S.SCHEDULED: S.CONFIRMED, S.CONFIRMED: S.ARRIVED, S.ARRIVED: S.ROOMED,
                     S.ROOMED: S.WITH_PROVIDER, S.WITH_PROVIDER: S.CHECKED_OUT}.get(appt.status)
        if following is None:
            self.notify(f"A {appt.status.label} appointment has no next status (u undoes)", severity="warning")
            return
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: change_status(ctx, actor, appt.id, following, expected_version=appt.version),
                  lambda change: self._after_change(f"{appt.patient_name[:24]} now {change.to_status.label} "
                                                    "(u undoes)"),
                  group="act")

    def action_wants_earlier(self) -> None:
        """Put the patient under the cursor on the wait list for an earlier slot."""
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        today = ctx.today()
        self.load(lambda: booking.add_to_waitlist(
            ctx, actor, appt.patient_id, appt.type_code, earliest=today,
            latest=appt.starts_at.astimezone(ctx.settings.tz).date(), provider_id=appt.provider_id,
            current_appointment_id=appt.id, note="wants an earlier slot"),
            lambda _id: self._after_change(f"{appt.mrn} is on the wait list for an earlier slot"),
            group="act")

    def action_undo(self) -> None:
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor

        def done(values: dict | None) -> None:
            if values:
                self.load(lambda: undo_last_change(ctx, actor, appt.id, reason=values["reason"],
                                                   expected_version=appt.version),
                          lambda change: self._after_change(f"Back to {change.to_status.label}"),
                          group="act")

        self.app.push_screen(PromptModal(f"Undo last status change: {self.slot_label(appt)}",
                                         [("reason", "Reason", "keyed in error")],
                                         check=lambda v: None if v["reason"].strip() else ("reason", "Say why")),
                             done)

    def action_block_time(self) -> None:
        found = self.current_cell()
        if found is None:
            return
        _cell, pindex, row = found
        ctx, actor = self.app.ctx, self.app.actor
        tz, day = ctx.settings.tz, self.schedule.day
        provider = self.schedule.providers[pindex]
        start_text = clock(self.schedule.times[row], tz)

        def parse(values: dict):
            instants = []
            for name in ("start", "end"):
                hh, _, mm = values[name].strip().partition(":")
                if not (hh.isdigit() and mm.isdigit() and int(hh) <= 24 and int(mm) < 60):
                    raise ValueError(f"{name} time as HH:MM, for example 13:00")
                minutes = int(hh) * 60 + int(mm)
                if minutes > 1440:
                    raise ValueError("times run to 24:00 at most")
                instants.append(datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)
                                + timedelta(minutes=minutes) if minutes == 1440 else
                                datetime.combine(day, dtime(minutes // 60, minutes % 60), tzinfo=tz)
                                .astimezone(UTC))
            kind = values["kind"].strip().lower()
            if kind not in ("block", "vacation", "holiday"):
                raise ValueError("kind: block, vacation or holiday")
            return instants[0], instants[1], kind

        def check(values: dict) -> str | None:
            try:
                parse(values)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict | None) -> None:
            if not values:
                return
            starts_at, ends_at, kind = parse(values)
            provider_id = None if kind == "holiday" else provider.id

            def shown(result: booking.BlockResult) -> None:
                message = "Time blocked"
                if result.affected:
                    listed = "; ".join(f"{clock(a.starts_at, tz)} {a.provider} {a.mrn}" for a in result.affected[:4])
                    message += (f". {len(result.affected)} booked appointment(s) to rebook "
                                f"({result.callbacks_created} callbacks added): {listed}")
                self._after_change(message)

            self.load(lambda: booking.block_time(ctx, actor, provider_id=provider_id, starts_at=starts_at,
                                                 ends_at=ends_at, kind=kind, reason=values["reason"]),
                      shown, group="act")

        self.app.push_screen(PromptModal(
            f"Block time {day:%a %d %b} for {provider.short_name} (holiday: whole clinic)",
            [("start", "From", start_text), ("end", "To", "24:00"), ("kind", "Kind", "block"),
             ("reason", "Reason", "")], check=check), done)

    def action_availability(self) -> None:
        """The provider under the cursor: weekly hours, exceptions (Esc comes back here)."""
        from coordinator_tui.tui.screens.schedule.availability import AvailabilityScreen

        here = self.current()
        if here is None:
            self.notify("No providers to show", severity="warning")
            return
        self.app.push_screen(AvailabilityScreen(self.schedule.providers[here[0]].id))

    def action_waitlist(self) -> None:
        found = self.current_cell()
        if found is None or found[0].kind != FREE:
            self.notify("Put the cursor on a free slot", severity="warning")
            return
        _cell, pindex, row = found
        ctx, actor = self.app.ctx, self.app.actor
        provider_id, starts_at = self.schedule.providers[pindex].id, self.schedule.times[row]

        def shown(rows) -> None:
            if not rows:
                self.notify("Nobody on the wait list fits this slot", timeout=4)
                return
            self.notify("Wait list fits: " + "; ".join(f"{r.mrn} {r.patient_name[:20]} {r.type_code}"
                                                       for r in rows[:4]), timeout=10)

        self.load(lambda: booking.fits_for_slot(ctx, actor, provider_id, starts_at), shown, group="act")


__all__ = ["ScheduleScreen"]
