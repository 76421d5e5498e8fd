"""Patient lookup desk: the patient list in name order, narrowed by a surname prefix as you type.

(The full one-box lookup grammar replaces the prefix filter; this desk already pages through a
million patients without loading them: keyset pages of one screenful.)
"""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Label, Static

from coordinator_tui.domain import phones
from coordinator_tui.domain.names import name_key
from coordinator_tui.services.desk_views import PatientRow, age_on, patient_count, patient_page
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader

PAGE = 50


class PatientsScreen(DeskScreen):
    DESK_TITLE = "Patients"
    BINDINGS = [
        Binding("escape", "clear_search", "Clear"),
        Binding("pagedown", "next_page", "PgDn more", key_display="PgDn"),
        Binding("down", "focus_table", "List", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PatientRow] = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="patients-summary", classes="desk-summary")
        with Horizontal(classes="search-row"):
            yield Label("Find:", classes="search-label")
            yield Input(placeholder="surname (prefix)", id="patients-search", classes="search-box")
        yield DataTable(id="patients-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#patients-table", DataTable)
        for label, width in (("#", 3), ("Name", 24), ("Born", 10), ("Age", 3), ("Sex", 3),
                             ("MRN", 8), ("Phone", 9)):
            table.add_column(label, width=width)
        self.query_one("#patients-search", Input).focus()
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: patient_count(ctx, actor), self._show_count, group="count")
        self._reload()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._reload()

    def action_clear_search(self) -> None:
        self.query_one("#patients-search", Input).value = ""

    def action_focus_table(self) -> None:
        self.query_one("#patients-table", DataTable).focus()

    def action_next_page(self) -> None:
        if len(self.rows) % PAGE == 0 and self.rows:
            last = self.rows[-1]
            self._fetch(after=(name_key(last.family_name), name_key(last.given_name), last.id), append=True)

    def _reload(self) -> None:
        prefix = name_key(self.query_one("#patients-search", Input).value)
        self._fetch(after=(prefix, "", 0) if prefix else None, append=False, prefix=prefix)

    def _fetch(self, *, after, append: bool, prefix: str | None = None) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        if prefix is None:
            prefix = name_key(self.query_one("#patients-search", Input).value)

        def fetch():
            rows = patient_page(ctx, actor, after_key=after, limit=PAGE)
            if prefix:
                rows = [r for r in rows if name_key(r.family_name).startswith(prefix)]
            return append, rows

        self.load(fetch, self._show)

    def _show_count(self, count: int) -> None:
        self.query_one("#patients-summary", Static).update(f"{count:,} patients")

    def _show(self, result) -> None:
        append, rows = result
        table = self.query_one("#patients-table", DataTable)
        if not append:
            self.rows = []
            table.clear()
        today: date = self.app.ctx.today()
        start = len(self.rows)
        self.rows.extend(rows)
        for number, row in enumerate(rows, start=start + 1):
            table.add_row(str(number), f"{row.family_name}, {row.given_name}"[:24],
                          row.birth_date.isoformat(), str(age_on(row.birth_date, today)), row.sex,
                          row.mrn, phones.masked(row.phone), key=str(row.id))
