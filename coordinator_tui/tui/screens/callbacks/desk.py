"""The callback queue desk: open items, most urgent first, overdue ones marked in words, items
waiting for a retry after a failed call marked ↻ and listed last; filters by key; Enter works the
highlighted item (claimed for this desk while open). Every reason fits its column at 80x24; a
long name is cut there, and the line under the list shows the highlighted item whole."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.vocab import CallbackReason
from coordinator_tui.tui.formatting import cut, priority_text
from coordinator_tui.tui.quiet import changed, update_text
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.row_detail import RowDetail

REASONS = [None, *CallbackReason]
# The reason column holds the longest reason ("Referral / prior auth", 21): "Priority" is "Prio"
# (its words are 6 at most), and ⚑ (escalated after repeated failed calls) is in Tries.
COLUMNS = (("#", 3), ("Prio", 6), ("Due", 14), ("Patient", 17), ("Reason", 21), ("Tries", 5))


class CallbacksScreen(DeskScreen):
    DESK_TITLE = "Callbacks"
    HELP_KEYS = [("Enter", "Work the highlighted item (claims it for this desk)"),
                 ("w", "Referrals to chase and the pre-procedure list"),
                 ("s l", "Send the day's reminders; print the letters"),
                 ("i", "Refused HL7 messages, to re-try (supervisors)")]
    BINDINGS = [
        Binding("enter", "work", "Work item", show=True),
        Binding("m", "toggle('mine')", "Mine"),
        Binding("u", "toggle('unassigned')", "Unassigned"),
        Binding("o", "toggle('overdue')", "Overdue"),
        Binding("r", "next_reason", "Next reason", show=False),
        Binding("a", "show_all", "All"),
        Binding("s", "send_reminders", "Reminders", show=False),
        Binding("l", "print_letters", "Letters", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("w", "referrals", "Referrals work list", show=False),
        Binding("i", "refused_messages", "Refused HL7 messages", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        from coordinator_tui.services.callbacks.work import QueueFilter

        self.queue_filter = QueueFilter()
        self.items = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="callbacks-summary", classes="desk-summary")
        yield Static("", id="callbacks-filter", classes="desk-summary")
        yield DataTable(id="callbacks-table", cursor_type="row")
        yield RowDetail(id="callbacks-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#callbacks-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        table.focus()
        from coordinator_tui.services.callbacks.generate import generate_daily

        # The queue fills itself: recalls due and tomorrow's confirmation calls (idempotent).
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: generate_daily(ctx, actor), lambda _made: self.action_reload(), group="generate")
        self.set_interval(30, self.action_reload)

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_toggle(self, flag: str) -> None:
        from dataclasses import replace

        changes = {flag: not getattr(self.queue_filter, flag)}
        if flag == "mine" and changes[flag]:
            changes["unassigned"] = False
        if flag == "unassigned" and changes[flag]:
            changes["mine"] = False
        self.queue_filter = replace(self.queue_filter, **changes)
        self.action_reload()

    def action_next_reason(self) -> None:
        from dataclasses import replace

        index = REASONS.index(self.queue_filter.reason)
        self.queue_filter = replace(self.queue_filter, reason=REASONS[(index + 1) % len(REASONS)])
        self.action_reload()

    def action_show_all(self) -> None:
        from coordinator_tui.services.callbacks.work import QueueFilter

        self.queue_filter = QueueFilter()
        self.action_reload()

    def action_send_reminders(self) -> None:
        from coordinator_tui.tui.screens.callbacks.reminders import send_reminders

        send_reminders(self)

    def action_print_letters(self) -> None:
        from coordinator_tui.tui.screens.callbacks.reminders import print_letters

        print_letters(self)

    def action_reload(self) -> None:
        from coordinator_tui.services.callbacks.generate import figures
        from coordinator_tui.services.callbacks.work import list_queue

        ctx, actor, chosen = self.app.ctx, self.app.actor, self.queue_filter
        self.load(lambda: (chosen, list_queue(ctx, actor, chosen), figures(ctx, actor)), self._show)

    def action_work(self) -> None:
        table = self.query_one("#callbacks-table", DataTable)
        if not self.items or table.cursor_row is None:
            self.notify("Nothing to work: the list is empty.", severity="warning")
            return
        from coordinator_tui.tui.screens.callbacks.work import CallbackWorkScreen

        item = self.items[table.cursor_row]
        self.app.push_screen(CallbackWorkScreen(item.id), lambda _: self.action_reload())

    def action_referrals(self) -> None:
        from coordinator_tui.tui.screens.referrals.work_list import ReferralsWorkScreen

        self.app.push_screen(ReferralsWorkScreen(), lambda _: self.action_reload())

    def action_refused_messages(self) -> None:
        from coordinator_tui.services.permissions import Permission, allows
        from coordinator_tui.tui.screens.callbacks.refused import RefusedMessagesScreen

        if not allows(self.app.actor, Permission.MERGE_PATIENTS):
            self.notify("The refused HL7 messages are for supervisors.", severity="warning")
            return
        self.app.push_screen(RefusedMessagesScreen(), lambda _: self.action_reload())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, row: int) -> None:
        """The highlighted item whole: the name and reason the columns may cut."""
        if not 0 <= row < len(self.items):
            self.query_one("#callbacks-detail", RowDetail).show("")
            return
        item = self.items[row]
        self.query_one("#callbacks-detail", RowDetail).show(
            f"{item.patient_name}: {item.reason.label}"
            + (", escalated after repeated failed calls" if item.escalated else ""))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the list arrives as the table's own "select" (its binding wins over ours).
        self.action_work()

    def _show(self, result) -> None:
        chosen, items, figures = result
        if chosen != self.queue_filter:
            return  # a newer filter is already loading
        self.items = items
        ctx = self.app.ctx
        tz = ctx.settings.tz
        median = (f"{figures.median_minutes_to_first_attempt:.0f} min"
                  if figures.median_minutes_to_first_attempt is not None else "-")
        update_text(self.query_one("#callbacks-summary", Static),
            f"Open {figures.open}  Overdue {figures.overdue}  Closed today {figures.closed_today}  "
            f"First try after {median}")
        update_text(self.query_one("#callbacks-filter", Static),
                    f"Showing: {chosen.describe()} ({len(items)})")
        table = self.query_one("#callbacks-table", DataTable)
        lines: list[tuple[tuple, str]] = []
        for number, item in enumerate(items, start=1):
            due_local = item.due_at.astimezone(tz)
            due = Text(f"OVERDUE {due_local:%d %b}", style="bold red") if item.overdue \
                else Text(f"{'↻ ' if item.retry_pending else ''}{due_local:%d %b %H:%M}")
            tries = str(item.attempts) + ("*" if item.being_worked_by else "") \
                + (" ⚑" if item.escalated else "")
            lines.append(((str(number), priority_text(item.priority), due, cut(item.patient_name, 17),
                           cut(item.reason.label, 21), tries), str(item.id)))
        if changed(table, lines):  # the 30 s refresh of an unchanged queue repaints nothing
            table.clear()
            for cells, key in lines:
                table.add_row(*cells, key=key)
        self._show_detail(table.cursor_row)
