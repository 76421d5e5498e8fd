"""The daily A/R work list on screen (Reports desk w, or w from the aging view; supervisors and
admins): patients owing past the threshold with no recent statement or call, oldest money first.
One key per action on the highlighted patient: c a billing call on the callback queue (once),
s a statement to the printer, p a promise to pay (amount and date: the patient comes back after
it). The list reloads after each; Esc goes back."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.services.accounts import statements, worklist
from coordinator_tui.tui.quiet import update_text
from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable
from coordinator_tui.tui.widgets.prompt import PromptModal

ROWS_DRAWN = 200


class WorkListScreen(Screen):
    HELP_KEYS = [("c", "Call: a billing item on the callback queue (once)"),
                 ("s", "Send a statement (printer or printouts folder)"),
                 ("p", "Promise to pay: amount and date (T+7 works)"), ("Esc", "Back")]
    BINDINGS = [
        Binding("c", "call", "Call"),
        Binding("s", "statement", "Statement"),
        Binding("p", "promise", "Promise"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, worklist.WorkItem] = {}

    def compose(self) -> ComposeResult:
        yield ClinicHeader("A/R work list")
        yield Static("", id="work-title", classes="report-line", markup=False)
        yield Static("", id="work-note", classes="report-line", markup=False)
        yield LineTable(id="work-table", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        call_service(self, lambda: worklist.work_list(ctx, actor, limit=ROWS_DRAWN), self._show,
                     refused=lambda e: self._note(error_in_words(e, nothing="nothing shown")), group="worklist")

    def _note(self, text: str) -> None:
        update_text(self.query_one("#work-note", Static), text[:78])

    def _show(self, items: list[worklist.WorkItem]) -> None:
        self.items = {str(i.patient_id): i for i in items}
        update_text(self.query_one("#work-title", Static),
                    f"{len(items)} patients to work, {format_cents(sum(i.aged.balance_cents for i in items))}"[:78])
        table = self.query_one("#work-table", LineTable)
        table.clear(columns=True)
        table.set_columns((("MRN", 9), ("Patient", 20), ("Balance", 11), ("Oldest", 7), ("Paid", 10),
                           ("Called", 10)))
        for item in items:
            p = item.aged
            table.add_line(p.mrn, p.name, format_cents(p.balance_cents), f"bucket {p.oldest + 1}",
                           str(p.last_payment or "-"), str(item.last_call or "-"), key=str(p.patient_id))
        table.focus()

    def _current(self) -> worklist.WorkItem | None:
        table = self.query_one("#work-table", LineTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.items.get(row_key.value)

    def _then_reload(self, words: str):
        def done(_result) -> None:
            self._note(words)
            self.action_reload()
        return done

    def action_call(self) -> None:
        item = self._current()
        if item is None:
            return
        ctx, actor, pid = self.app.ctx, self.app.actor, item.patient_id
        call_service(self, lambda: worklist.call_about_balance(ctx, actor, pid),
                     lambda r: self._then_reload(f"{item.aged.mrn}: " + ("billing call added" if r[1]
                                                 else "already on the callback queue"))(r),
                     refused=lambda e: self._note(error_in_words(e)))

    def action_statement(self) -> None:
        item = self._current()
        if item is None:
            return
        ctx, actor, pid = self.app.ctx, self.app.actor, item.patient_id
        call_service(self, lambda: statements.print_statement(ctx, actor, pid),
                     lambda printed: self._then_reload(f"{item.aged.mrn}: statement to {printed.where}")(printed),
                     refused=lambda e: self._note(error_in_words(e)))

    def action_promise(self) -> None:
        item = self._current()
        if item is None:
            return
        ctx, actor, pid = self.app.ctx, self.app.actor, item.patient_id
        today = ctx.today()

        def check(values):
            try:
                parse_day(values["by"], today=today)
            except ValueError as exc:
                return ("by", str(exc))
            return None

        def chosen(values) -> None:
            if not values:
                return
            by = parse_day(values["by"], today=today)
            call_service(self, lambda: worklist.note_promise(ctx, actor, pid, values["amount"], by),
                         self._then_reload(f"{item.aged.mrn}: promise noted, back after {by}"),
                         refused=lambda e: self._note(error_in_words(e)))

        self.app.push_screen(PromptModal(f"Promise to pay - {item.aged.mrn}",
                                         [("amount", "Amount $", ""), ("by", "By (date)", "T+7")], check=check),
                             chosen)

    def action_back(self) -> None:
        self.dismiss(None)
