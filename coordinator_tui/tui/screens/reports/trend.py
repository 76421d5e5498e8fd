"""A report's week-over-week trend as a line chart (plotext through textual-plotext), with the
numbers as a table one key away (t). Imported only when a chart is asked for: plotext costs
about 57 ms to import, which the app's start-up must not pay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from coordinator_tui.services.reports.model import Report
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable


class TrendScreen(Screen):
    HELP_KEYS = [("t", "The weeks' numbers as a table, and back"), ("Esc", "Back to the report")]
    BINDINGS = [
        Binding("t", "toggle_table", "Table"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, report: Report, *, as_table: bool = False) -> None:
        super().__init__()
        self.report = report
        self.as_table = as_table  # open on the weeks' numbers (T on the Reports desk)

    def compose(self) -> ComposeResult:
        yield ClinicHeader("Reports")
        yield Static(f"{self.report.trend_title} │ {self.report.period_words}"[:78],
                     classes="report-line", markup=False)
        yield PlotextPlot(id="trend-plot")
        yield LineTable(id="trend-table", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        weeks = [(week, value) for week, value in self.report.trend]
        plot = self.query_one(PlotextPlot)
        # The terminal's own colours for canvas, frame, ticks and line: the "auto" theme draws the
        # frame and the ticks' numbers in the canvas colour, which 16 colours make black on black.
        plot.theme = "textual-clear"
        plt = plot.plt
        points = [(i, v) for i, (_w, v) in enumerate(weeks, start=1) if v is not None]
        if points:
            plt.plot([i for i, _v in points], [v for _i, v in points], marker="braille")
        step = max(1, len(weeks) // 6)
        ticks = list(range(1, len(weeks) + 1, step))
        plt.xticks(ticks, [f"{weeks[i - 1][0]:%m-%d}" for i in ticks])
        plt.xlabel("week starting")
        table = self.query_one("#trend-table", LineTable)
        table.set_columns((("Week of", 10), ("Value", 8)))
        for week, value in weeks:
            table.add_line(f"{week:%Y-%m-%d}", ("-" if value is None else f"{value:.1f}").rjust(8))
        table.display = False
        if self.as_table:
            self.action_toggle_table()

    def action_toggle_table(self) -> None:
        table = self.query_one("#trend-table")
        plot = self.query_one(PlotextPlot)
        table.display, plot.display = not table.display, table.display
        if table.display:
            table.focus()

    def action_back(self) -> None:
        self.dismiss(None)
