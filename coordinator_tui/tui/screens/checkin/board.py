"""Check-in: today's expected patients in time order, with status, time in status and counts."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.domain.appointment_flow import is_active
from coordinator_tui.domain.lateness import LATE_AFTER
from coordinator_tui.domain.lateness import is_late as is_late_for
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.desk_views import AppointmentRow, day_appointments
from coordinator_tui.services.patients.lookup import PatientHit, search_patients
from coordinator_tui.services.reports import median_wait_today
from coordinator_tui.tui.formatting import clock, minutes_between, status_text
from coordinator_tui.tui.quiet import changed, update_text
from coordinator_tui.tui.screens.checkin import flow as checkin_flow
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.line_table import LineTable
from coordinator_tui.tui.widgets.row_detail import RowDetail

WAITING = {S.ARRIVED}
HERE = {S.ARRIVED, S.ROOMED, S.WITH_PROVIDER}


def is_late(row: AppointmentRow, now) -> bool:
    return is_late_for(row.status, row.starts_at, now)


def minutes_late(row: AppointmentRow, now) -> int | None:
    """Minutes past the booked time for a patient still expected after the grace time, else None."""
    return minutes_between(row.starts_at, now) if is_late(row, now) else None


TO_COME = {S.SCHEDULED, S.CONFIRMED, S.ARRIVED}


def first_to_come(rows: list[AppointmentRow], now) -> int | None:
    """Where the desk's list opens: the first patient still expected or waiting whose time is
    at or after now minus the late grace (the morning's finished visits are above it). None for
    an empty day; after the day's last start, the last row (the day is over)."""
    if not rows:
        return None
    since = now - LATE_AFTER
    for index, row in enumerate(rows):
        if row.status in TO_COME and row.starts_at >= since:
            return index
    later = [index for index, row in enumerate(rows) if row.starts_at >= since]
    return later[0] if later else len(rows) - 1


class ArrivalsTable(LineTable):
    """The desk's list. Digits typed here go to the row with that number (the # column: 44 is
    the day's 44th visit), and Enter opens it, as "3 Enter" picks the third row elsewhere: digits
    used to do nothing, so "2 Enter" opened the first row's checklist, another patient's. Each
    digit extends the number while a row has it, else starts a new one; any other key ends it."""

    typed_number = ""

    def on_key(self, event: events.Key) -> None:
        digit = event.character
        if not (digit and len(digit) == 1 and digit.isdigit()):
            self.typed_number = ""
            return
        event.stop()
        event.prevent_default()
        for number in (self.typed_number + digit, digit):
            if 1 <= int(number) <= self.row_count:
                self.typed_number = number
                self.move_cursor(row=int(number) - 1, animate=False)
                return
        self.typed_number = ""


class CheckinScreen(DeskScreen):
    DESK_TITLE = "Check-in"
    # F1's first lines: what the desk is for, in the order it is done.
    HELP_KEYS = [
        ("letters", "Find today's patient (name, birth date, phone, MRN)"),
        ("Enter", "Open the checklist: the patient found, or the row"),
        # One line for both: F1 at 80x24 has no line to spare (F12 lock and ^p must show).
        ("↓ / 1-9", "Into the list / in it: to row number N"),
        ("u", "In the list: undo a check-in (asks a reason)"),
        ("Esc", "Clear the Find box, cursor back in it"),
    ]
    BINDINGS = [
        Binding("escape", "clear_search", "Clear", show=True),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("down", "focus_table", "List", show=False),
        # Check-in flow (issue 5): Enter on a row or on a unique search opens the checklist.
        Binding("u", "undo_checkin", "Undo"),
        Binding("f6", "cashup", "Cash-up", priority=True),
        Binding("f7", "walk_in", "Walk-in", priority=True),
        Binding("ctrl+o", "other_location", "Other location", key_display="^o", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppointmentRow] = []
        # The lookup's answer for the text in the box (None: box empty, show today's list).
        self.hits: list[PatientHit] | None = None
        self._seq = 0
        self._list_drawn = False  # the table shows the day list (not search results)
        self.waits = None  # today's waits, arrival to roomed (services/reports/flow.waits_now)

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("", id="checkin-counts", classes="desk-summary")
        with Horizontal(classes="search-row"):
            yield Label("Find:", classes="search-label")
            yield Input(placeholder="today's patient: name, birth date, phone, MRN",
                        id="checkin-search", classes="search-box")
        # The last check-in (or undo) in words, on this desk only: a toast covered the list and
        # followed the user to the other desks.
        yield Static("", id="checkin-status", classes="desk-summary", markup=False)
        yield ArrivalsTable(id="arrivals", cursor_type="row", zebra_stripes=False)
        yield RowDetail(id="checkin-detail")  # the highlighted row whole: a long name is cut above
        yield KeyFooter()

    def on_mount(self) -> None:
        # Fixed widths: 80 columns hold every column, and no row has to be measured.
        self.query_one("#arrivals", LineTable).set_columns(
            (("#", 3), ("Time", 5), ("Patient", 22), ("Age", 3), ("Prov", 9), ("Type", 4),
             ("Status", 11), ("Wait", 5)))
        self.query_one("#checkin-search", Input).focus()
        self.action_reload()
        self.watch_for_changes(self.action_reload)  # another desk's check-in shows within ~1 s

    def on_screen_resume(self) -> None:
        self.action_reload()

    def on_clinic_header_minute(self, _message: ClinicHeader.Minute) -> None:
        self.action_reload()  # wait times and late counts advance with the clock, once a minute

    def action_reload(self) -> None:
        ctx, actor, here = self.app.ctx, self.app.actor, self.place_id()
        self.load(lambda: (day_appointments(ctx, actor, ctx.today(), here),
                           median_wait_today(ctx, actor, here)), self._show)

    def action_clear_search(self) -> None:
        """Esc: an empty search box with the cursor in it, wherever the cursor was. Left in the
        list, the next patient's name would be read as the list's keys (the u of a name opened
        Undo check-in)."""
        search = self.query_one("#checkin-search", Input)
        search.value = ""
        search.focus()

    def action_focus_table(self) -> None:
        self.query_one("#arrivals", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Type-ahead on the shared lookup, today's patients first; stale answers are dropped."""
        self._seq += 1
        seq, text = self._seq, event.value
        if not text.strip():
            self.hits = None
            self._render_rows()
            return
        ctx, actor = self.app.ctx, self.app.actor

        def fetch():
            return seq, search_patients(ctx, actor, text, limit=30, today_first=True)

        self.load(fetch, self._show_hits, group="search")

    def _show_hits(self, result) -> None:
        seq, hits = result
        if seq != self._seq:
            return
        self.hits = hits
        self._render_rows()

    def _show(self, answer) -> None:
        self.rows, self.waits = answer
        self._render_rows()

    def _render_rows(self) -> None:
        ctx = self.app.ctx
        now, tz = ctx.now(), ctx.settings.tz
        # "Booked" is the Schedule desk's "booked" (the same rule, is_active: cancelled and
        # no-show visits no longer hold their slot), so the two desks' numbers agree; booked +
        # no-show are all the day's visits that were not cancelled.
        counts = {
            "booked": sum(is_active(r.status) for r in self.rows),
            "expected": sum(r.status in (S.SCHEDULED, S.CONFIRMED) for r in self.rows),
            "arrived": sum(r.status in HERE or r.status is S.CHECKED_OUT for r in self.rows),
            "waiting": sum(r.status in WAITING for r in self.rows),
            "late": sum(is_late(r, now) for r in self.rows),
            "no-show": sum(r.status is S.NO_SHOW for r in self.rows),
        }
        words = [f"{label.capitalize()} {value}" for label, value in counts.items()]
        # The day's median wait, arrival to roomed, counting those still waiting up to now: it
        # is a figure as soon as someone has arrived (OpenMRS O3's stayed blank until then).
        median = self.waits.median if self.waits is not None else None
        words.append(f"Median wait {'-' if median is None else f'{round(median)}m'}")
        line = "  ".join(words)
        update_text(self.query_one("#checkin-counts", Static), line if len(line) <= 78 else " ".join(words))
        table = self.query_one("#arrivals", LineTable)
        others: list[PatientHit] = []
        if self.hits is None:
            shown = self.rows
        else:
            # Today's appointments of the patients found, in the lookup's order, then the other
            # patients found (not expected today: a walk-in or a wrong day).
            by_patient: dict[int, list[AppointmentRow]] = {}
            for row in self.rows:
                by_patient.setdefault(row.patient_id, []).append(row)
            shown = [row for hit in self.hits for row in by_patient.get(hit.id, [])]
            others = [hit for hit in self.hits if hit.id not in by_patient]
        lines: list[tuple[tuple, str]] = []
        for number, row in enumerate(shown, start=1):
            wait = ""
            if row.status in WAITING and row.arrived_at:
                wait = f"{minutes_between(row.arrived_at, now)}m"
            elif row.status in HERE and row.status_since:
                wait = f"{minutes_between(row.status_since, now)}m"
            lines.append(((str(number), clock(row.starts_at, tz), row.patient_name, str(row.age),
                           row.provider, row.type_code,
                           status_text(row.status, late_minutes=minutes_late(row, now)), wait), str(row.id)))
        for later, hit in enumerate(others, start=len(shown) + 1):
            lines.append(((str(later), "", hit.display_name, str(hit.age), "", "",
                           "not today", ""), f"p{hit.id}"))
        previous = getattr(table, "_coordinator_drawn", None)
        if not changed(table, lines):
            return  # the same rows: repainting them would only cost bytes
        if previous is not None and table.row_count == len(lines) \
                and [key for _cells, key in previous] == [key for _cells, key in lines]:
            # The same visits in the same order (the minute's reload: a wait grew, a status
            # moved on): redraw the changed rows in place, so the list neither jumps back to
            # the top nor scrolls under the desk's eyes.
            for (before, key), (cells, _key) in zip(previous, lines, strict=True):
                if before != cells:
                    table.update_line(key, *cells)
            return
        # The day list keeps the row the desk is on across reloads; shown afresh (opening the
        # desk, or back from a search) it opens at the patients still to come, not at 08:00.
        kept = None
        if self.hits is None and self._list_drawn and table.row_count:
            kept = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._list_drawn = self.hits is None
        table.clear()
        for cells, key in lines:
            table.add_line(*cells, key=key)
        self._show_detail()
        if self.hits is not None:
            return
        keys = [key for _cells, key in lines]
        if kept in keys:
            table.move_cursor(row=keys.index(kept), animate=False)
            return
        row = first_to_come(shown, now)
        if row:
            table.move_cursor(row=row, animate=False, scroll=False)
            self.call_after_refresh(self._scroll_near_top, table, row)

    def _scroll_near_top(self, table, row: int, passes: int = 12, held: int = 0) -> None:
        """The cursor's row near the top, one finished visit above it for context. The table
        takes its new height, and scrolls its cursor into view, on later refreshes; a scroll
        before then is cut short or undone (on a busy machine the list opened with the cursor
        on its bottom line). So it is repeated until it has held for two refreshes, and given
        up once the desk has moved on (the cursor moved, a search shown)."""
        if self.hits is not None or table.cursor_row != row or not passes:
            return
        wanted = max(0, row - 1)
        if table.max_scroll_y >= wanted and table.scroll_y != wanted:
            table.scroll_to(y=wanted, animate=False, immediate=True)
        held = held + 1 if table.scroll_y == wanted else 0
        if held < 2:
            self.call_after_refresh(self._scroll_near_top, table, row, passes - 1, held)

    # --- check-in flow (issue 5): checklist, express, undo, cash-up, walk-in ----------------------
    # Kept apart from the search and table code above: see tui/screens/checkin/flow.py.

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted row whole under the list (the Patient column cuts a long name)."""
        table, text = self.query_one("#arrivals", LineTable), ""
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key.startswith("p"):
                hit = next((h for h in self.hits or () if h.id == int(key[1:])), None)
                text = f"{hit.display_name}, {hit.age}  {hit.mrn}  not booked today" if hit else ""
            else:
                row = next((r for r in self.rows if r.id == int(key)), None)
                text = (f"{row.patient_name}, {row.age}  {row.mrn}  "  # the name first: always whole
                        f"{clock(row.starts_at, self.app.ctx.settings.tz)} {row.provider} {row.type_code}"
                        ) if row else ""
        self.query_one("#checkin-detail", RowDetail).show(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key.startswith("p"):  # a patient found by the search with no appointment today
            self.app.open_patient(int(key[1:]))
            return
        checkin_flow.open_checklist(self, int(key))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "checkin-search":
            # A fast typist's Enter reaches here only once the search for what was typed has
            # answered and been drawn (the app's key gate holds it: tui/key_gate.py).
            checkin_flow.search_submitted(self, event.value)

    def patient_on_screen(self) -> int | None:
        """The highlighted row's patient, when the list has the cursor (F8 fills it in)."""
        table = self.query_one("#arrivals", DataTable)
        if self.focused is not table or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key.startswith("p"):
            return int(key[1:])
        return next((row.patient_id for row in self.rows if row.id == int(key)), None)

    def action_undo_checkin(self) -> None:
        checkin_flow.undo_checkin(self)

    def action_cashup(self) -> None:
        checkin_flow.open_cashup(self)

    def action_walk_in(self) -> None:
        checkin_flow.open_walk_in(self)
