"""A/R aging on screen (Reports desk, key a; supervisors and admins): the totals by bucket and
the patients owing (the first 200 by urgency: oldest money first, then by amount, sorted in the
database: aging_overview.py), with the last payment and statement.
[ and ] move the as-of date by one bucket; w opens the work list; Esc goes back. At 80x24 the first rows that fit are
drawn (the table pages by itself); the totals always cover everyone."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from coordinator_tui.domain.money import format_cents
from coordinator_tui.services.accounts.aging_overview import AgingOverview, aging_overview
from coordinator_tui.tui.quiet import update_text
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable

ROWS_DRAWN = 200  # a DataTable repaint costs ~55 ms per 200 rows (GUIDE 5): more is a CSV's job


def _short(cents: int) -> str:
    """Whole dollars for the narrow columns ('$1,235'); the CSV has the cents."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${(abs(cents) + 50) // 100:,}"


class AgingScreen(Screen):
    HELP_KEYS = [("[ ]", "Age on an earlier / later date (one bucket)"), ("Ctrl+R", "Reload"),
                 ("Esc", "Back to the reports")]
    BINDINGS = [
        Binding("left_square_bracket", "move(-1)", "Earlier", key_display="["),
        Binding("right_square_bracket", "move(1)", "Later", key_display="]"),
        Binding("w", "work_list", "Work list"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.as_of = None
        self.report: AgingOverview | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader("A/R aging")
        yield Static("", id="aging-title", classes="report-line", markup=False)
        yield Static("", id="aging-totals", classes="report-line", markup=False)
        yield LineTable(id="aging-table", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.as_of = self.app.ctx.today()
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor, as_of = self.app.ctx, self.app.actor, self.as_of
        update_text(self.query_one("#aging-title", Static), f"Ageing balances as of {as_of:%Y-%m-%d}...")
        call_service(self, lambda: aging_overview(ctx, actor, as_of, top=ROWS_DRAWN), self._show, refused=self._refused, group="aging")

    def _refused(self, error: BaseException) -> None:
        update_text(self.query_one("#aging-title", Static), error_in_words(error, nothing="nothing shown")[:78])

    def _show(self, report: AgingOverview) -> None:
        self.report = report
        update_text(self.query_one("#aging-title", Static),
                    f"A/R as of {report.as_of:%Y-%m-%d} by date of service: {report.count} "
                    f"patients, {format_cents(report.total_cents)}"[:78])
        update_text(self.query_one("#aging-totals", Static),
                    " ".join(f"{label} {_short(c)}" for label, c in zip(report.labels, report.totals, strict=True))[:78])
        table = self.query_one("#aging-table", LineTable)
        table.clear(columns=True)
        table.set_columns((("MRN", 8), ("Patient", 14), *((label, 7) for label in report.labels),
                           ("Paid", 5), ("Stmt", 5)))
        for p in report.top:
            table.add_line(p.mrn, p.name, *(_short(c) if c else "-" for c in p.buckets),
                           f"{p.last_payment:%m-%d}" if p.last_payment else "-",
                           f"{p.last_statement:%m-%d}" if p.last_statement else "-", key=str(p.patient_id))
        table.focus()

    def action_move(self, step: int) -> None:
        width = self.report.width if self.report else 30
        self.as_of = self.as_of + timedelta(days=width * step)
        self.action_reload()

    def action_work_list(self) -> None:
        from coordinator_tui.tui.screens.accounts.worklist import WorkListScreen

        self.app.push_screen(WorkListScreen(), lambda _r: self.action_reload())

    def action_back(self) -> None:
        self.dismiss(None)
