"""A provider's availability, opened from the Schedule desk with `a`: the weekly template in force
(hours per weekday, slot length, location, allowed types, the next planned change) and the
exceptions of the next 60 days (vacations, part-day blocks, clinic holidays).

Keys: Up/Down move; Tab switches between the week and the exceptions; e edits the weekday under
the cursor (admins: the 'manage schedule templates' permission); x adds an exception (the booked
appointments it would leave are listed before it is saved, and each patient gets a rebook
callback); d removes the exception under the cursor; p chooses the provider by name, < > the
previous/next one; g shows the week in force on another date; Esc back to the schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.hours import WEEKDAYS
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.services.schedule import availability
from coordinator_tui.tui.formatting import cut
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.screens.schedule.availability_edit import AvailabilityEdits, hours_text
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.row_detail import RowDetail

WEEK_COLUMNS = (("Day", 3), ("Hours", 23), ("Slot", 4), ("Location", 12), ("Types", 11), ("Change", 6))
EXCEPTION_COLUMNS = (("Kind", 8), ("Who", 10), ("From", 16), ("To", 16), ("Reason", 12))
class AvailabilityScreen(AvailabilityEdits, DeskScreen):
    DESK_TITLE = "Availability"
    BINDINGS = [
        Binding("e", "edit_day", "Edit"),
        Binding("x", "add_exception", "Exception"),
        Binding("d", "delete_exception", "Delete", show=False),
        Binding("p", "choose_provider", "Provider"),
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("tab", "switch_list", "Week / exceptions", key_display="Tab", show=False),
        Binding("less_than_sign", "step_provider(-1)", "Prev provider", key_display="<", show=False),
        Binding("greater_than_sign", "step_provider(1)", "Next provider", key_display=">", show=False),
        Binding("g", "as_of", "Week on date", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, provider_id: int, as_of: date | None = None) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.as_of = as_of
        self.view: availability.ProviderAvailability | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading…", id="avail-title", classes="desk-summary", markup=False)
        yield DataTable(id="avail-week", cursor_type="row", zebra_stripes=False)
        yield Static("Exceptions, next 60 days (Tab: here; x add, d delete)", id="avail-exc-title",
                     classes="desk-summary", markup=False)
        yield DataTable(id="avail-exceptions", cursor_type="row", zebra_stripes=False)
        yield RowDetail(lines=2, id="avail-detail", classes="desk-summary")
        yield Static("", id="avail-message", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        week = self.query_one("#avail-week", DataTable)
        for label, width in WEEK_COLUMNS:
            week.add_column(label, width=width)
        exceptions = self.query_one("#avail-exceptions", DataTable)
        for label, width in EXCEPTION_COLUMNS:
            exceptions.add_column(label, width=width)
        week.focus()
        self.action_reload()
        self.watch_for_changes(self.action_reload)

    # --- loading ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        ctx, actor, pid, as_of = self.app.ctx, self.app.actor, self.provider_id, self.as_of
        self.load(lambda: availability.provider_availability(ctx, actor, pid, as_of), self._show)

    def _show(self, view: availability.ProviderAvailability) -> None:
        if view.provider_id != self.provider_id:
            return  # another provider was chosen meanwhile
        self.view = view
        today = self.app.ctx.today()
        when = "today" if view.as_of == today else f"{view.as_of:%a %d %b %Y}"
        self.query_one("#avail-title", Static).update(
            f"{view.provider}  week in force {when}  (p provider, < > next, g date)"[:78])
        week = self.query_one("#avail-week", DataTable)
        row = week.cursor_coordinate.row
        week.clear()
        for day in view.week:
            types = ",".join(day.type_codes) or ("all" if day.blocks else "")
            week.add_row(WEEKDAYS[day.weekday].capitalize(), cut(hours_text(day.blocks), 23),
                         f"{day.slot_minutes}m" if day.blocks else "", cut(day.location or "", 12) if day.blocks
                         else "", cut(types, 11),
                         f"{day.next_change:%m/%d}" if day.next_change else "", key=str(day.weekday))
        week.move_cursor(row=min(row, 6), animate=False)
        table = self.query_one("#avail-exceptions", DataTable)
        row = table.cursor_coordinate.row
        table.clear()
        for item in view.exceptions:
            start, end = self._span_text(item)
            table.add_row(item.kind, cut(item.who, 10), start, end, cut(item.reason or "", 12),
                          key=str(item.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        else:
            table.add_row("(none)", "", "", "", "", key="none")
        self._update_detail()

    def _span_text(self, item: availability.ExceptionRow) -> tuple[str, str]:
        tz = self.app.ctx.settings.tz
        start, end = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
        if start.time().hour == start.time().minute == 0 and end.time().hour == end.time().minute == 0:
            last = (end - timedelta(minutes=1)).date()
            return f"{start:%a %d %b %Y}"[:16], f"{last:%a %d %b %Y}"[:16]
        if end.date() == start.date() or (end.time().hour == end.time().minute == 0
                                          and (end - timedelta(minutes=1)).date() == start.date()):
            end_text = "24:00" if end.date() != start.date() else f"{end:%H:%M}"
            return f"{start:%a %d %b %H:%M}", end_text
        return f"{start:%a %d %b %H:%M}", f"{end:%a %d %b %H:%M}"

    def say(self, text: str) -> None:
        """The outcome of the last action (or why it was refused): kept until the next one."""
        self.query_one("#avail-message", Static).update(text[:156])

    def _detail(self, text: str) -> None:
        # The highlighted row in full (its cells are cut to their columns): up to two lines.
        self.query_one("#avail-detail", RowDetail).show(text)

    # --- where the cursor is -----------------------------------------------------------------------

    def on_data_table_row_highlighted(self, _event) -> None:
        self._update_detail()

    def on_descendant_focus(self, _event) -> None:
        self._update_detail()

    def _week_focused(self) -> bool:
        return self.focused is not self.query_one("#avail-exceptions", DataTable)

    def _current_day(self) -> availability.WeekdayHours | None:
        if self.view is None:
            return None
        return self.view.week[min(6, self.query_one("#avail-week", DataTable).cursor_coordinate.row)]

    def _current_exception(self) -> availability.ExceptionRow | None:
        if self.view is None or not self.view.exceptions:
            return None
        row = self.query_one("#avail-exceptions", DataTable).cursor_coordinate.row
        return self.view.exceptions[min(row, len(self.view.exceptions) - 1)]

    def _update_detail(self) -> None:
        if self.view is None:
            return
        if self._week_focused():
            day = self._current_day()
            text = f"{WEEKDAYS[day.weekday].capitalize()}: {hours_text(day.blocks)}"
            if day.blocks:
                text += (f", {day.slot_minutes}-minute slots at {day.location or 'no location'}, "
                         f"types {','.join(day.type_codes) or 'all'}")
            if day.next_change:
                text += f"; changes {day.next_change:%a %d %b}"
            self._detail(text + ("  (e edits)" if allows(self.app.actor, Permission.MANAGE_TEMPLATES) else ""))
        else:
            item = self._current_exception()
            if item is None:
                self._detail("No exceptions in the next 60 days (x adds one)")
            else:
                start, end = self._span_text(item)
                self._detail(f"{item.kind} {item.who} {start} to {end}: {item.reason or 'no reason'}"
                             "  (d deletes)")

    def action_switch_list(self) -> None:
        week = self.query_one("#avail-week", DataTable)
        (self.query_one("#avail-exceptions", DataTable) if self.focused is week else week).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    # --- provider and date -------------------------------------------------------------------------

    def _set_provider(self, provider_id: int) -> None:
        self.provider_id = provider_id
        self.view = None
        self.action_reload()

    def action_step_provider(self, step: int) -> None:
        if self.view is None or not self.view.providers:
            return
        ids = [pid for pid, _name in self.view.providers]
        index = ids.index(self.provider_id) if self.provider_id in ids else 0
        self._set_provider(ids[(index + step) % len(ids)])

    # --- editing a weekday ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        """e (change a weekday's hours) only for the roles allowed to manage schedule templates
        (services/permissions.py); everyone else looks, and is not offered the key."""
        if action == "edit_day":
            return allows(self.app.actor, Permission.MANAGE_TEMPLATES)
        return True



__all__ = ["AvailabilityScreen"]
