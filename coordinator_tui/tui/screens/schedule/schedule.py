"""The day schedule: providers x time at the clinic's slot size, or one provider's day as a list.

Keys: arrows move; [ ] day; t today; g date; < > providers; v grid/list; b book; m move; c cancel;
n no-show; u undo; w wait list fits; x block time; a availability; ctrl+r reload. The dialogs are
in prompts.py, the cells in cells.py. Another desk's changes appear within about a second.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.appointment_flow import next_status
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import change_status
from coordinator_tui.services.schedule.schedule_view import (
    BLOCKED,
    BOOKED,
    FREE,
    Cell,
    DayAppointment,
    DaySchedule,
    day_schedule,
)
from coordinator_tui.tui.formatting import clock
from coordinator_tui.tui.quiet import changed, forget
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.screens.schedule.cells import (
    COL_WIDTH,
    LIST_COLUMNS,
    cell_text,
    status_word,
    type_word,
)
from coordinator_tui.tui.screens.schedule.prompts import SchedulePrompts
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter

PER_PAGE = 5  # provider columns at 80 columns: 5 + 2 + 5 x (11 + 2) = 72, plus the scrollbar
class ScheduleScreen(SchedulePrompts, DeskScreen):
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
        Binding("p", "print_sheet", "Print day sheet", show=False),
        Binding("ctrl+o", "other_location", "Other location", key_display="^o", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date | None = None
        self.schedule: DaySchedule | None = None
        self.page = 0
        self.provider_index = 0  # the list view's provider
        self.list_view = False
        self.moving: DayAppointment | None = None
        self._grid_providers: tuple[int, ...] | None = None  # None: no columns yet (even no providers)
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

    def action_print_sheet(self) -> None:
        from coordinator_tui.tui.screens.schedule.printing import print_day_sheet

        print_day_sheet(self, self.day or self.app.ctx.today())

    def action_reload(self) -> None:
        ctx, actor, day, here = self.app.ctx, self.app.actor, self.day or self.app.ctx.today(), self.place_id()
        self.load(lambda: day_schedule(ctx, actor, day, here), self._show)

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
        # "booked" as on the Check-in desk (is_active: not cancelled, not a no-show); no-shows
        # named beside it, so the two desks' counts visibly add up.
        active = [a for a in schedule.appointments if a.active]
        waiting = sum(a.status is S.ARRIVED for a in active)
        no_shows = sum(a.status is S.NO_SHOW for a in schedule.appointments)
        marker = " (today)" if schedule.day == ctx.today() else ""
        pages = max(1, -(-len(schedule.providers) // PER_PAGE))
        self.page = min(self.page, pages - 1)
        if self.list_view and schedule.providers:
            self.provider_index = min(self.provider_index, len(schedule.providers) - 1)
            where = (f"{schedule.providers[self.provider_index].short_name} "
                     f"{self.provider_index + 1}/{len(schedule.providers)}")
        else:
            where = f"providers {self.page + 1}/{pages}"
        summary = (f"{schedule.day:%a %d %b %Y}{marker}  {len(active)} booked, {no_shows} no-show, "
                   f"{waiting} waiting  {where}")
        if not schedule.providers:  # a location where nobody works that day
            summary = f"{schedule.day:%a %d %b %Y}{marker}  nobody works here this day (^o other location)"
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
                rows.append((clock(start, tz), name[:24], str(appt.age), type_word(appt),
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
        following = next_status(appt.status)
        if following is None:
            self.notify(f"This appointment is {appt.status.words}: it has no next status (u undoes)", severity="warning")
            return
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: change_status(ctx, actor, appt.id, following, expected_version=appt.version),
                  lambda change: self._after_change(f"{appt.patient_name[:24]} now {change.to_status.words} "
                                                    "(u undoes)"),
                  group="act")

    def action_availability(self) -> None:
        """The provider under the cursor: weekly hours, exceptions (Esc comes back here)."""
        from coordinator_tui.tui.screens.schedule.availability import AvailabilityScreen

        here = self.current()
        if here is None:
            self.notify("No providers to show", severity="warning")
            return
        self.app.push_screen(AvailabilityScreen(self.schedule.providers[here[0]].id))


__all__ = ["ScheduleScreen"]
