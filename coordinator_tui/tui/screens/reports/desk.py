"""The Reports desk (F9 / Alt+5): no-shows, patient flow and waits, collections, the day's
summary and a patient's next two years, as text bars with their numbers printed (exact with
NO_COLOR), a sparkline of the weekly trend, and the same numbers as a table one key away (t).
l draws the week-over-week trend as a line chart (plotext, imported only then).

Supervisors and admins step through periods (p, [ ]) and providers (v); the front desk sees its
own day only (services/reports decides; the keys are hidden)."""

from __future__ import annotations

import textwrap
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.services.reports import REPORTS, patient_upcoming, provider_names, run_report
from coordinator_tui.services.reports.model import Report, cell
from coordinator_tui.services.reports.render import chart_lines
from coordinator_tui.tui.quiet import update_text
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.screens.reports.periods import DEFAULT_PERIOD, Span
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable

NAMES = tuple(REPORTS)  # 1-5 in this order
WORDS = {"no-shows": "No-shows", "flow": "Flow", "collections": "Collections", "day": "Day",
         "upcoming": "Upcoming"}
CUT_WORDS = {"provider": "provider", "weekday": "weekday", "hour": "hour of day", "type": "type",
             "lead": "lead time", "patient": "new/established", "history": "earlier no-shows",
             "none": "all visits", "user": "desk user", "day": "day"}
SLOW_SECONDS = 0.5


def note_lines(text: str, width: int = 78) -> str:
    """A report's note in the two lines kept for it, wrapped on words: cut at 78 characters,
    the collections note ended "(else the active primary coverag" at 80 columns."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


class ReportsScreen(DeskScreen):
    DESK_TITLE = "Reports"
    HELP_KEYS = [
        ("1-5", "Report: 1 no-shows, 2 flow and waits, 3 collections, 4 the day, 5 upcoming"),
        ("b", "Next cut (by provider, weekday, hour, type, lead time...)"),
        ("t", "The chart's numbers as a table, and back"),
        ("l", "Week-over-week trend as a line chart (t there: its table)"),
        ("T", "The weekly trend's numbers (the sparkline's) as a table"),
        ("x", "Export: a PDF with its chart, or CSV, JSON, text (owner-only file)"),
        ("a / w", "A/R aging / the A/R work list (supervisors and admins)"),
    ]
    BINDINGS = [
        Binding("1", "pick(1)", "Pick", key_display="1-5"),
        *(Binding(str(n), f"pick({n})", f"Report {n}", show=False) for n in range(2, 6)),
        Binding("b", "next_cut", "By"),
        Binding("p", "next_period", "Period"),
        Binding("left_square_bracket", "move(-1)", "Earlier", key_display="[", show=False),
        Binding("right_square_bracket", "move(1)", "Later", key_display="]", show=False),
        Binding("v", "next_provider", "Next provider", show=False),
        Binding("t", "toggle_table", "Table"),
        Binding("l", "line_chart", "Trend"),
        Binding("T", "line_chart(True)", "Trend as a table", show=False),
        Binding("x", "export", "Export to a file (.pdf .csv .json .txt)", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("ctrl+o", "other_location", "Other location", key_display="^o", show=False),
        Binding("a", "accounts", "A/R aging", show=False),
        Binding("w", "accounts('work')", "A/R work list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.name_shown = NAMES[0]
        self.cut: dict[str, str | None] = {name: (REPORTS[name][1] or (None,))[0] for name in NAMES}
        self.span: Span | None = None
        self.provider: str | None = None
        self.providers: list[str] = []
        self.mrn: str | None = None
        self.report: Report | None = None
        self.as_table = False
        self._asked_at: float | None = None
        self._words = ""
        self._seq = 0  # the latest ask: only its answer is shown

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="report-choice", classes="desk-summary", markup=False)
        yield Static("", id="report-scope", classes="report-line", markup=False)
        yield Static("", id="report-status", classes="report-line", markup=False)
        with VerticalScroll(id="report-chart-box"):
            yield Static("", id="report-chart", markup=False)
        yield LineTable(id="report-table", cursor_type="row", zebra_stripes=False)
        with Horizontal(id="report-trend"):
            yield Label("", id="report-trend-label", markup=False)
            yield Sparkline([], id="report-sparkline")
            yield Label("", id="report-trend-ends", markup=False)
        yield Static("", id="report-note", classes="report-line", markup=False)
        yield KeyFooter()

    @property
    def may_look_back(self) -> bool:
        return allows(self.app.actor, Permission.READ_REPORTS)

    def on_mount(self) -> None:
        today = self.app.ctx.today()
        self.span = Span(DEFAULT_PERIOD if self.may_look_back else 0, today)
        self.query_one("#report-table").display = False
        self.query_one("#report-chart-box").focus()
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: provider_names(ctx, actor), self._got_providers, group="providers")
        self.action_reload()

    def _got_providers(self, names: list[str]) -> None:
        self.providers = names

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("next_period", "move", "next_provider"):
            return self.may_look_back
        if action == "next_cut":
            return len(REPORTS[self.name_shown][1]) > 1
        if action == "export":
            return self.report is not None
        if action == "accounts":
            return allows(self.app.actor, Permission.WORK_ACCOUNTS)
        if action == "line_chart":
            return self.report is not None and len(self.report.trend) > 1
        return True

    # --- asking -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        ctx, actor, name = self.app.ctx, self.app.actor, self.name_shown
        span, provider, by, mrn = self.span, self.provider, self.cut[name], self.mrn
        place = getattr(self.app, "place", None)  # a clinic network: the location shown (^o)
        location = place.name if place is not None else None
        self._draw_choice()
        if name == "upcoming":
            if not mrn:
                return
            work = lambda: patient_upcoming(ctx, actor, mrn)  # noqa: E731
        else:
            def work():
                return run_report(ctx, actor, name, span.start, span.end, provider=provider, by=by,
                                  location=location, progress=self._heard)
        self._asked_at = time.monotonic()
        self._words = "counting"
        self.set_timer(SLOW_SECONDS, self._maybe_progress)
        # Not `exclusive`: a newer ask does not cancel the older one (a cancelled worker still
        # handing its answer over upsets whoever waits for it); the older answer is dropped.
        self._seq += 1
        seq = self._seq
        call_service(self, work, lambda report: self._show(report) if seq == self._seq else None,
                     refused=lambda error: self._refused(error) if seq == self._seq else None,
                     group="report", exclusive=False)

    def _refused(self, error: BaseException) -> None:
        """The service said no (a period the front desk may not see, an unknown MRN): in words
        on the status line, where the report would have been."""
        self._asked_at = None
        update_text(self.query_one("#report-status", Static), error_in_words(error, nothing="nothing shown")[:78])
        # Nothing of the report shown before stays under it: after "5", an unknown MRN left the
        # Day report's bars under [5 Upcoming], and x would have exported that report.
        self.report = None
        self.query_one("#report-chart", Static).update("")
        self.query_one("#report-table", LineTable).clear(columns=True)
        self.query_one("#report-trend").display = False
        update_text(self.query_one("#report-note", Static), "")
        self._set_table(False)
        self.refresh_bindings()

    def _heard(self, words: str) -> None:  # from the worker thread: a plain assignment
        self._words = words

    def _maybe_progress(self) -> None:
        if self._asked_at is not None and time.monotonic() - self._asked_at >= SLOW_SECONDS:
            update_text(self.query_one("#report-status", Static), f"{self._words.capitalize()}..."[:78])

    def _draw_choice(self) -> None:
        parts = []
        for number, name in enumerate(NAMES, start=1):
            label = f"{number} {WORDS[name]}"
            parts.append(f"[{label}]" if name == self.name_shown else f" {label} ")
        update_text(self.query_one("#report-choice", Static), " ".join(parts))
        name = self.name_shown
        if name == "upcoming":
            scope = f"Patient MRN {self.mrn}: the next two years" if self.mrn else \
                "5 again: type the patient's MRN"
        else:
            by = self.cut[name]
            scope = self.span.words
            if by and by != "none":
                scope += f" │ by {CUT_WORDS[by]}"
            scope += f" │ {self.provider or 'all providers'}"
            if not self.may_look_back:
                scope += " │ front desk: today only"
        update_text(self.query_one("#report-scope", Static), scope)

    # --- showing ----------------------------------------------------------------------------

    def _show(self, report: Report) -> None:
        self._asked_at = None
        self.report = report
        update_text(self.query_one("#report-status", Static), f"{report.title}: {report.headline}"[:78])
        chart = chart_lines(report, width=76)
        body = [report.bars_title, *chart] if chart else ["No chart for this report: t shows the table."]
        self.query_one("#report-chart", Static).update("\n".join(body))
        table = self.query_one("#report-table", LineTable)
        table.clear(columns=True)
        widths = [min(max(c.width, len(c.heading)), 20) for c in report.columns]
        table.set_columns([(c.heading.rjust(w) if c.numeric else c.heading, w)
                           for c, w in zip(report.columns, widths, strict=True)])
        for row in report.rows:
            values = []
            for value, column, width in zip(row, report.columns, widths, strict=True):
                shown = cell(value, column)
                values.append(shown.rjust(width) if column.numeric else shown)
            table.add_line(*values)
        self._show_trend(report)
        notes = report.notes[1:] if len(report.notes) > 1 else report.notes
        update_text(self.query_one("#report-note", Static), note_lines(notes[0] if notes else ""))
        self._set_table(self.as_table or not report.bars)
        self.refresh_bindings()

    def _show_trend(self, report: Report) -> None:
        values = [v for _week, v in report.trend if v is not None]
        box = self.query_one("#report-trend")
        box.display = len(values) > 1
        if len(values) <= 1:
            return
        first, last = report.trend[0], report.trend[-1]
        self.query_one("#report-trend-label", Label).update(f"{report.trend_title[:28]}:")
        self.query_one("#report-sparkline", Sparkline).data = values
        self.query_one("#report-trend-ends", Label).update(
            f"{first[0]:%m-%d} {_num(first[1])} → {last[0]:%m-%d} {_num(last[1])}")

    def _set_table(self, as_table: bool) -> None:
        self.query_one("#report-table").display = as_table
        self.query_one("#report-chart-box").display = not as_table
        (self.query_one("#report-table") if as_table else self.query_one("#report-chart-box")).focus()

    # --- keys -------------------------------------------------------------------------------

    def action_pick(self, number: int) -> None:
        name = NAMES[number - 1]
        if name == "upcoming":
            self._ask_mrn()
            return
        self.name_shown = name
        self.action_reload()

    def _ask_mrn(self) -> None:
        from coordinator_tui.tui.widgets.prompt import PromptModal

        def chosen(values: dict | None) -> None:
            if values and values.get("mrn", "").strip():
                self.mrn = values["mrn"].strip()
                self.name_shown = "upcoming"
                self.action_reload()

        self.app.push_screen(PromptModal("Appointments, next two years", [("mrn", "MRN", self.mrn or "")],
                                         check=lambda v: None if v["mrn"].strip() else "Type the MRN"),
                             chosen)

    def action_next_cut(self) -> None:
        cuts = REPORTS[self.name_shown][1]
        if len(cuts) > 1:
            now = self.cut[self.name_shown]
            self.cut[self.name_shown] = cuts[(cuts.index(now) + 1) % len(cuts)]
            self.action_reload()

    def action_next_period(self) -> None:
        self.span = self.span.next_length()
        self.action_reload()

    def action_move(self, steps: int) -> None:
        self.span = self.span.moved(steps)
        self.action_reload()

    def action_next_provider(self) -> None:
        order = [None, *self.providers]
        self.provider = order[(order.index(self.provider) + 1) % len(order)] if self.provider in order else None
        self.action_reload()

    def action_toggle_table(self) -> None:
        if self.report is None:
            return
        self.as_table = not self.as_table
        self._set_table(self.as_table or not self.report.bars)

    def action_export(self) -> None:
        """x: the report on screen to a file; the name says the kind (.pdf, .csv, .json, .txt)."""
        from coordinator_tui.errors import UserError
        from coordinator_tui.services.reports.export import export_report, export_target
        from coordinator_tui.tui.widgets.prompt import PromptModal

        report = self.report
        if report is None:
            return
        ctx, actor, clinic = self.app.ctx, self.app.actor, self.app.clinic_name
        suggested = f"{report.name}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.pdf"

        def chosen(values: dict | None) -> None:
            if not values:
                return
            name = values["file"]
            self.load(lambda: export_report(ctx, actor, report, name, clinic), self._exported,
                      group="export")

        def check(values: dict) -> str | None:
            """A wrong name is said in the prompt, which stays open with what was typed (it
            closed, and the next keys went to the desk: x opened it again, and the rest of
            the name was written as a file of its own)."""
            try:
                export_target(values["file"])
            except UserError as error:
                return str(error)
            return None

        self.app.push_screen(PromptModal("Export the report", [("file", "File", suggested)],
                                         info="Owner-only file. .pdf with its chart, .csv, .json, .txt",
                                         check=check),
                             chosen)

    def _exported(self, path) -> None:
        update_text(self.query_one("#report-note", Static), f"Wrote {path}"[:78])

    def action_accounts(self, which: str = "aging") -> None:
        from coordinator_tui.tui.screens.accounts.aging import AgingScreen
        from coordinator_tui.tui.screens.accounts.worklist import WorkListScreen

        self.app.push_screen(WorkListScreen() if which == "work" else AgingScreen())

    def action_line_chart(self, as_table: bool = False) -> None:
        """l: the weekly trend as a line chart; T: straight to its numbers as a table."""
        if self.report is None or len(self.report.trend) < 2:
            return
        # plotext and textual-plotext load here, on the first chart, never at start-up.
        from coordinator_tui.tui.screens.reports.trend import TrendScreen

        self.app.push_screen(TrendScreen(self.report, as_table=as_table))


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
