"""Patient lookup desk: one search box (names, birth date, phone, last four, MRN, member id), with
results following each keystroke.

Type-ahead never blocks typing: each keystroke starts a search in an exclusive thread worker
(the previous one is cancelled) and a result is drawn only if it answers the text now in the box.
With the box empty the desk pages through every patient in name order (keyset pages): first
the rows that fit, so the first letter typed changes rows only (no scroll bar goes away, no layout
pass, issue 23); the next page follows when the cursor reaches the last row, or on PgDn.

Keys: type to search; Down (or Tab) enters the list; in the list 1-9 open that row (digits in the
box are search text: phones, birth dates), Up/Down/PgUp/PgDn move, Enter opens; Enter in the box
opens the first row; Esc clears the box and goes back to it.
"""

from __future__ import annotations

from datetime import date

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.domain import phones
from coordinator_tui.domain.lookup_query import parse_lookup, registration_prefill
from coordinator_tui.domain.names import name_key
from coordinator_tui.services.desk_views import PatientRow, age_on, patient_count, patient_page
from coordinator_tui.services.patients.lookup import PatientHit, search_patients
from coordinator_tui.tui.frame_hold import FrameHold
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable
from coordinator_tui.tui.widgets.row_detail import RowDetail
from coordinator_tui.tui.widgets.search_box import SearchBox

PAGE = 50
RESULTS = 20  # at most one screenful: repainting more rows costs frames
COLUMNS = (("#", 2), ("Name", 22), ("Born", 10), ("Ag S", 5), ("MRN", 8), ("Phone", 8),
           ("Next", 5), ("Fl", 2))


class PatientTable(LineTable):
    """The result list: a digit opens that row (the search box keeps digits as search text)."""

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character in "123456789" and len(event.character) == 1:
            event.stop()
            event.prevent_default()
            self.screen.open_row(int(event.character) - 1)


class PatientsScreen(DeskScreen):
    DESK_TITLE = "Patients"
    HELP_KEYS = [
        ("letters, digits", "Search: name, birth date, phone or last 4, MRN, member id"),
        ("Enter", "Open the highlighted patient (in the box: the first)"),
        ("↓", "From the box into the list"),
        ("1-9", "In the list: open that row"),
        ("Esc", "Clear the box, cursor back in it"),
    ]
    BINDINGS = [
        Binding("escape", "clear_search", "Clear"),
        Binding("enter", "open_selected", "Open"),
        Binding("down", "focus_table", "↓ List, then 1-9 open", key_display="↓"),
        Binding("pagedown", "next_page", "PgDn more", key_display="PgDn", show=False),
        # Ctrl+N, not a letter: letters are search text here.
        Binding("ctrl+n", "new_patient", "New patient", key_display="^n"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PatientRow] = []
        self.hits: list[PatientHit] = []
        self.mode = "browse"  # or "search"
        self.shown_text: str | None = None  # the search text the table answers (None: browsing)
        self._seq = 0
        self._more = False  # the last browse page came back full: there may be more
        self._frames: FrameHold | None = None  # the box's letter and its results in one frame

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="patients-summary", classes="desk-summary")
        with Horizontal(classes="search-row"):
            yield Label("Find:", classes="search-label")
            yield SearchBox(placeholder="name, birth date, phone or last 4, MRN, member id",
                            id="patients-search", classes="search-box")
        yield PatientTable(id="patients-table", cursor_type="row")
        yield RowDetail(id="patients-detail")  # the highlighted row whole: a long name is cut above
        yield KeyFooter()

    def on_mount(self) -> None:
        self._frames = FrameHold(self.app)
        self.query_one("#patients-table", PatientTable).set_columns(COLUMNS)
        box = self.query_one("#patients-search", SearchBox)
        box.frame_hold = self._frames
        box.focus()
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: patient_count(ctx, actor), self._show_count, group="count")
        self._search("")

    # --- keys -----------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._frames.start()  # until the answer is drawn (tui/frame_hold.py; the box took it)
        gate = getattr(self.app, "key_gate", None)
        if gate is not None and event.value and gate.more_text_queued():
            # The typist is ahead (a burst, keys in one packet): the next letter is already
            # queued and changes the text again; its search is the one that counts (issue 23).
            # (Never for an empty box: Esc then a digit switches desks rather than typing it.)
            self._seq += 1  # what is out now answers text no longer in the box
            return
        self._search(event.value)

    def on_screen_suspend(self) -> None:
        self._frames.release()

    def on_screen_resume(self) -> None:
        box = self.query_one("#patients-search", Input)
        if box.value != (self.shown_text or ""):  # a search skipped for a key that went elsewhere
            self._search(box.value)

    def on_unmount(self) -> None:
        if self._frames is not None:
            self._frames.release()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.open_row(self.query_one("#patients-table", DataTable).cursor_row or 0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The row whole under the list; browsing: the next page once the cursor is on the last row."""
        event.stop()
        self._show_detail(event.cursor_row)
        if self.mode == "browse" and self.rows and event.cursor_row >= len(self.rows) - 1:
            self.action_next_page()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_row(event.cursor_row)

    def action_new_patient(self) -> None:
        """Register a walk-in: what was typed in the box (a name, a birth date) is carried over."""
        query = parse_lookup(self.query_one(Input).value, day_first=self.app.ctx.settings.day_first,
                             today=self.app.ctx.today())
        self.app.register_patient(registration_prefill(query) or None)

    def action_clear_search(self) -> None:
        box = self.query_one("#patients-search", Input)
        box.value = ""
        box.focus()

    def action_focus_table(self) -> None:
        self.query_one("#patients-table", DataTable).focus()

    def action_open_selected(self) -> None:
        self.open_row(self.query_one("#patients-table", DataTable).cursor_row or 0)

    def action_next_page(self) -> None:
        table = self.query_one("#patients-table", DataTable)
        if self.mode == "search":
            table.action_page_down()
            return
        if self._more and self.rows:
            last = self.rows[-1]
            self._browse(after=(name_key(last.family_name), name_key(last.given_name), last.id),
                         append=True)

    def patient_on_screen(self) -> int | None:
        """The highlighted patient, when the list has the cursor (F8 fills it in)."""
        table = self.query_one("#patients-table", DataTable)
        ids = [h.id for h in self.hits] if self.mode == "search" else [r.id for r in self.rows]
        index = table.cursor_row
        if self.focused is not table or index is None or not 0 <= index < len(ids):
            return None
        return ids[index]

    def open_row(self, index: int) -> None:
        ids = [h.id for h in self.hits] if self.mode == "search" else [r.id for r in self.rows]
        if not 0 <= index < len(ids):
            return
        opener = getattr(self.app, "open_patient", None)
        if opener is None:
            self.notify("The patient record screen is not available yet.", timeout=4)
            return
        opener(ids[index])

    # --- loading --------------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        self._seq += 1
        seq = self._seq
        ctx, actor = self.app.ctx, self.app.actor
        query = parse_lookup(text, day_first=ctx.settings.day_first, today=ctx.today())
        if query.is_empty:
            self._browse(after=None, append=False, seq=seq)
            return
        limit = self._fits()

        def fetch():
            if seq != self._seq:  # a newer key came before this thread began: not worth a search
                return seq, text, query.describe(), []
            return seq, text, query.describe(), search_patients(ctx, actor, text, limit=limit)

        # Exclusive: a newer keystroke cancels the search still running for an older one. (Holding
        # later keys' searches until the one out answers was tried: with keys 12 ms apart on the
        # loaded 2-core machine it doubled the p95 from the last key to its results, issue 23.)
        self.load(fetch, self._show_hits, group="search")

    def _fits(self) -> int:
        """Results to ask for: RESULTS, or fewer when fewer rows fit the table (19 at 80x24).
        A list that fits needs no scroll bar, and one that never does changes only rows as
        the typing goes on: no layout pass (issue 23)."""
        table = self.query_one("#patients-table", PatientTable)
        rows = table.size.height - (table.header_height if table.show_header else 0)
        return min(RESULTS, rows) if rows > 0 else RESULTS

    def _browse(self, *, after, append: bool, seq: int | None = None) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        seq = self._seq if seq is None else seq

        # The first page is what fits (no scroll bar: see the module's note); more pages append.
        limit = PAGE if append else self._fits()

        def fetch():
            return seq, append, limit, patient_page(ctx, actor, after_key=after, limit=limit)

        self.load(fetch, self._show_page, group="search")

    def _show_count(self, count: int) -> None:
        self._count = count
        if self.mode == "browse":
            self.query_one("#patients-summary", Static).update(f"{count:,} patients, in name order", layout=False)

    def _show_hits(self, result) -> None:
        seq, text, described, hits = result
        if seq != self._seq:
            return  # a stale query: the box has changed since
        self.mode = "search"
        self.hits = hits
        self.shown_text = text
        summary = f"{len(hits)} found" if len(hits) < self._fits() else f"best {len(hits)}"
        # One fixed line: new words never move anything, so no layout pass (issue 23).
        self.query_one("#patients-summary", Static).update(f"{summary}: {described}"[:78], layout=False)
        today: date = self.app.ctx.today()
        tz = self.app.ctx.settings.tz
        table = self.query_one("#patients-table", PatientTable)
        table.clear()
        for number, hit in enumerate(hits, start=1):
            nxt = hit.next_appointment.astimezone(tz).strftime("%m/%d") if hit.next_appointment else ""
            if hit.next_appointment and hit.next_appointment.astimezone(tz).date() == today:
                nxt = "today"
            flags = ("!" if hit.has_alerts else " ") + ("D" if hit.possible_duplicate else " ")
            table.add_line(str(number), hit.display_name, hit.birth_date.isoformat(),
                           f"{hit.age:>3} {hit.sex}", hit.mrn, hit.phone_masked, nxt, flags,
                           key=str(hit.id))
        self._show_detail(0)  # drawn with the results, in their frame
        self._frames.release()

    def _show_page(self, result) -> None:
        seq, append, limit, rows = result
        if seq != self._seq:
            return
        self.mode = "browse"
        self._more = len(rows) == limit
        keep = self._fits()  # asked before the first layout, the table's height was not known
        if not append and len(rows) > keep:
            rows, self._more = rows[:keep], True
        self.shown_text = None
        table = self.query_one("#patients-table", PatientTable)
        if not append:
            self.rows = []
            table.clear()
            count = getattr(self, "_count", None)
            if count is not None:
                self.query_one("#patients-summary", Static).update(f"{count:,} patients, in name order", layout=False)
        today: date = self.app.ctx.today()
        start = len(self.rows)
        self.rows.extend(rows)
        for number, row in enumerate(rows, start=start + 1):
            table.add_line(str(number), f"{row.family_name}, {row.given_name}",
                           row.birth_date.isoformat(), f"{age_on(row.birth_date, today):>3} {row.sex}",
                           row.mrn, phones.masked(row.phone), "", "", key=str(row.id))
        if not append:
            self._show_detail(0)
        self._frames.release()

    def _show_detail(self, index: int) -> None:
        """The patient on row `index` whole (the Name column cuts a long name); nothing when
        the list has no such row."""
        text = ""
        if self.mode == "search" and 0 <= index < len(self.hits):
            hit = self.hits[index]
            text = (f"{hit.display_name}  {hit.mrn}" + ("  has alerts" if hit.has_alerts else "")
                    + ("  possible duplicate" if hit.possible_duplicate else ""))
        elif self.mode == "browse" and 0 <= index < len(self.rows):
            row = self.rows[index]
            text = f"{row.family_name}, {row.given_name}  {row.mrn}"
        self.query_one("#patients-detail", RowDetail).show(text)
