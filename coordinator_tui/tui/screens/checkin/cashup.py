"""Cash-up (F6 from the check-in desk): the day's payments by method and by user, voids listed.
[ and ] move a day, t back to today, Esc back. Export: `coordinator export payments --date D`."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.money import format_cents
from coordinator_tui.services.checkin.cashup import CashUp, cash_up
from coordinator_tui.services.checkin.payments import void_payment
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.tui.formatting import clock
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.reason import ReasonPrompt


class CashupScreen(DeskScreen):
    DESK_TITLE = "Cash-up"
    HELP_KEYS = [("[", "Previous day"), ("]", "Next day")]
    BINDINGS = [
        # One footer entry for both day keys (80 columns); F1 lists each.
        Binding("left_square_bracket", "day(-1)", "Day", key_display="[ ]"),
        Binding("right_square_bracket", "day(1)", "Next day", key_display="]", show=False),
        Binding("t", "today", "Today"),
        Binding("v", "void", "Void"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day = None
        self.report: CashUp | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading...", id="cashup-summary", markup=False)
        yield DataTable(id="cashup-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#cashup-table", DataTable)
        for label, width in (("Receipt", 14), ("Time", 5), ("MRN", 10), ("Amount", 10), ("Method", 6),
                             ("By", 8), ("Void", 14)):
            table.add_column(label, width=width)
        self.day = self.app.ctx.today()
        self.reload()
        table.focus()

    def reload(self) -> None:
        ctx, actor, day = self.app.ctx, self.app.actor, self.day
        self.load(lambda: cash_up(ctx, actor, day), self.show)

    def show(self, report: CashUp) -> None:
        self.report = report
        methods = "  ".join(f"{m} {format_cents(c)}" for m, c in report.by_method.items()) or "none"
        users = "  ".join(f"{u} {format_cents(c)}" for u, c in report.by_user.items()) or "none"
        voids = report.voids
        void_total = sum(p.amount_cents for p in voids)
        self.query_one("#cashup-summary", Static).update(
            f"{report.day:%a %d %b %Y}   {report.count} payments   total {format_cents(report.total_cents)}\n"
            f"By method: {methods}"[:160] + "\n"
            f"By user:   {users}"[:78] + "\n"
            f"Voids:     {len(voids)} ({format_cents(void_total)}, not in totals)")
        table = self.query_one("#cashup-table", DataTable)
        table.clear()
        tz = self.app.ctx.settings.tz
        for p in report.payments:
            void = f"VOID {p.voided_by or ''}"[:14] if p.voided else ""
            table.add_row(p.receipt_number, clock(p.taken_at, tz), p.mrn, format_cents(p.amount_cents),
                          p.method, p.taken_by[:8], void, key=str(p.id))

    def action_day(self, step: int) -> None:
        self.day = self.day + timedelta(days=step)
        self.reload()

    def action_today(self) -> None:
        self.day = self.app.ctx.today()
        self.reload()

    def check_action(self, action: str, parameters) -> bool | None:
        """v (void) only for the roles services/permissions.py lets void: hidden from the rest."""
        if action == "void":
            return allows(self.app.actor, Permission.VOID_PAYMENT)
        return True

    def action_void(self) -> None:
        table = self.query_one("#cashup-table", DataTable)
        if table.row_count == 0:
            return
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        payment_id = int(row_key.value)
        ctx, actor = self.app.ctx, self.app.actor

        def with_reason(reason: str | None) -> None:
            if reason:
                self.load(lambda: void_payment(ctx, actor, payment_id, reason), lambda _r: self.reload(),
                          group="void")

        self.app.push_screen(ReasonPrompt("Void payment", "Voided payments stay listed; say why."), with_reason)

    def action_back(self) -> None:
        self.dismiss(None)
