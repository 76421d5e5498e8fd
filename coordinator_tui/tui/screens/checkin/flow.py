"""What the check-in board does beyond its list and search (issue 5): open a patient's checklist
(Enter on a row, or Enter on a search that matches exactly one of today's patients: express
check-in), undo a check-in with a reason, cash-up (F6), walk-in (F7).

Kept out of checkin.py so the board's search and table code can change independently."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin as svc
from coordinator_tui.tui.formatting import clock
from coordinator_tui.tui.widgets.reason import ReasonPrompt

EXPRESS_MIN_LETTERS = 3


def _search(board) -> Input:
    return board.query_one("#checkin-search", Input)


def say(board, text: str) -> None:
    """One line under the Find box, on the check-in desk only (not a toast over the list)."""
    board.query_one("#checkin-status", Static).update(text)


def back_to_search(board, checked_in) -> None:
    """After a check-in the cursor is in the cleared search box, ready for the next patient, and
    the line under it says who was checked in (`checked_in` is then that sentence)."""
    search = _search(board)
    if checked_in:
        search.value = ""
    if isinstance(checked_in, str):
        say(board, checked_in)
    search.focus()
    if not checked_in:
        # Back without checking in (Esc): the name stays, and its rows with it, but selected,
        # so the next patient's name typed replaces it. Appended to it ("schmiedtwashington"),
        # the lookup still found the first patient, and Enter opened that checklist again.
        search.select_all()
    board.action_reload()


def open_checklist(board, appointment_id: int) -> None:
    from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen

    board.app.push_screen(ChecklistScreen(appointment_id), lambda done: back_to_search(board, done))


def express_choice(board, typed: str) -> int | None:
    """The appointment Enter in the Find box opens at once (express check-in), else None.

    Only today's appointments count (the search may add "not today" rows). One of them: that
    one. Several: the one still to check in whose patient matched what was typed exactly, when
    there is one such: the lookup also brings today's near spellings and sound-alikes ("sanders"
    finds Andre, "guerra" Kerry), and with them on the list a typed "name Enter Enter" only
    opened the checklist, so the next name typed ahead was read as the checklist's keys (its
    f and i recorded forms signed and ID seen for a patient who had shown neither)."""
    if len(typed) < EXPRESS_MIN_LETTERS:
        return None
    table = board.query_one("#arrivals", DataTable)
    today_rows = [int(key.value) for key in table.rows if not key.value.startswith("p")]
    if len(today_rows) == 1:
        return today_rows[0]
    exact = {hit.id for hit in board.hits or () if hit.exact}
    rows = {row.id: row for row in board.rows}
    to_check_in = [appointment for appointment in today_rows if appointment in rows
                   and rows[appointment].patient_id in exact
                   and rows[appointment].status in (S.SCHEDULED, S.CONFIRMED)]
    return to_check_in[0] if len(to_check_in) == 1 else None


def search_submitted(board, value: str) -> None:
    table = board.query_one("#arrivals", DataTable)
    typed = value.strip()
    chosen = express_choice(board, typed)
    if chosen is not None:
        open_checklist(board, chosen)
    elif table.row_count > 1 and typed:
        table.focus()
    elif typed:
        board.notify("Not among today's patients: F7 walk-in (find by MRN or register)", timeout=5)


def _selected_appointment(board) -> int | None:
    table = board.query_one("#arrivals", DataTable)
    if table.row_count == 0:
        return None
    row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    return None if row_key.value.startswith("p") else int(row_key.value)


def undo_checkin(board) -> None:
    appointment_id = _selected_appointment(board)
    if appointment_id is None:
        return
    ctx, actor = board.app.ctx, board.app.actor
    row = next((row for row in board.rows if row.id == appointment_id), None)
    if row is None:
        return
    if row.status is not S.ARRIVED:
        # Said before a reason is asked for: typing one for an impossible undo wastes the queue's time.
        board.notify(f"{row.patient_name} is not checked in ({row.status.words}); nothing to undo.",
                     severity="warning", timeout=5)
        return
    seen = row.version  # if another desk changed the visit since, nothing is undone
    who = f"{row.patient_name}, {clock(row.starts_at, ctx.settings.tz)} with {row.provider}."

    def with_reason(reason: str | None) -> None:
        if not reason:
            return

        def done(change) -> None:
            say(board, f"Check-in undone: {row.patient_name}, now {change.to_status.words}")
            board.action_reload()

        board.load(lambda: svc.undo_check_in(ctx, actor, appointment_id, reason, expected_version=seen), done,
                   group="undo")

    board.app.push_screen(ReasonPrompt("Undo check-in", f"{who} Why is this check-in being undone?"), with_reason)


def open_cashup(board) -> None:
    from coordinator_tui.tui.screens.checkin.cashup import CashupScreen

    board.app.push_screen(CashupScreen())


def open_walk_in(board) -> None:
    from coordinator_tui.tui.screens.checkin.walk_in import WalkInScreen

    board.app.push_screen(WalkInScreen(), lambda made: back_to_search(board, made if isinstance(made, str)
                                                                     else bool(made)))
