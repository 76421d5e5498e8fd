"""What a keystroke costs on the Patients desk (issue 23): from the browse list to search results
and on as the typing goes, keys change rows only, never the layout (a layout pass re-renders the
whole screen), and the list asks only for the rows that fit."""

from __future__ import annotations

from datetime import date

from textual.screen import Screen
from textual.widgets import DataTable

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.patients.desk import PatientsScreen
from coordinator_tui.tui.widgets.search_box import SearchBox
from tests.helpers.lookup import add_patient
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def open_desk(app, pilot):
    await settle(app, pilot)
    await pilot.press("f4")
    await settle(app, pilot)
    assert isinstance(app.screen, PatientsScreen)


def count_layouts(monkeypatch) -> list[int]:
    calls = [0]
    real = Screen._refresh_layout

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return calls


async def test_typing_changes_rows_without_a_layout_pass(ctx, desk_user, monkeypatch):
    for i, given in enumerate(("Ann", "Anja", "Bo", "Bea", "Cy", "Dora", "Eve")):
        add_patient(ctx, "Quaxley", given, date(1960, 1, 2 + i))
    add_patient(ctx, "Quaxton", "Zed", date(1970, 3, 4))
    for i in range(30):  # more than a screenful to browse
        add_patient(ctx, "Abbot", f"Given{i:02d}", date(1950, 1, 1 + i))
    layouts = count_layouts(monkeypatch)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        screen = app.screen
        table = screen.query_one("#patients-table", DataTable)
        assert table.row_count == 18 and "Abbot, Given00" in screen_text(app)
        counts, before = [], layouts[0]
        for key in ["q", "u", "a", "x", "l", "e", "y", "space", "b"]:
            await pilot.press(key)
            await settle(app, pilot)
            counts.append(table.row_count)
        assert screen.shown_text == "quaxley b"
        text = screen_text(app)
        assert "Quaxley, Bo" in text and "Quaxley, Bea" in text and "Quaxley, Eve" not in text
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        counts.append(table.row_count)
        assert screen.shown_text == "quaxley" and "Quaxley, Eve" in screen_text(app)
        assert len(set(counts)) > 1  # the list changed size as the typing went on
        assert layouts[0] == before, "a keystroke cost a layout pass"


async def test_the_list_asks_only_for_the_rows_that_fit(ctx, desk_user):
    for i in range(25):
        add_patient(ctx, "Quaxley", f"Given{i:02d}", date(1960, 1, 1 + i))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await pilot.press(*"quaxley")
        await settle(app, pilot)
        table = app.screen.query_one("#patients-table", DataTable)
        visible = table.size.height - table.header_height
        # 80x24: header, summary, box, table header, the highlighted row whole, footer
        assert table.row_count == visible == 18
        assert table.virtual_size.height <= table.size.height  # no scroll bar to show or hide
        assert "best 18" in screen_text(app)


async def test_search_box_scrolls_to_a_long_text(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        box = app.screen.query_one("#patients-search", SearchBox)
        text = "quaxley " * 12
        await pilot.press(*text.replace(" ", "_"))
        await settle(app, pilot)
        assert box.value == text.replace(" ", "_")
        assert box.virtual_size.width == len(text) + 1  # the cursor's cell after the text
        assert box.scroll_x > 0  # the cursor's end of the text is in view


async def test_browsing_shows_what_fits_then_the_next_page_at_the_last_row(ctx, desk_user):
    for i in range(30):
        add_patient(ctx, "Abbot", f"Given{i:02d}", date(1950, 1, 1 + i))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        table = app.screen.query_one("#patients-table", DataTable)
        assert table.row_count == 18  # no scroll bar: the first letter typed changes rows only
        assert table.virtual_size.height <= table.size.height
        await pilot.press("down", *["down"] * 17)
        await settle(app, pilot)
        assert table.cursor_row == 17 and table.row_count > 18  # the next page, at the last row
        await pilot.press(*["down"] * 6)
        await settle(app, pilot)
        assert table.cursor_row == 23
        assert "Abbot, Given23" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Given23" in screen_text(app)  # the record of the row the cursor reached


async def test_a_letter_and_its_results_are_drawn_in_one_frame(ctx, desk_user, monkeypatch):
    from coordinator_tui.tui import frame_hold

    monkeypatch.setattr(frame_hold, "LIMIT_SECONDS", 30.0)  # whatever the machine's load
    for i, given in enumerate(("Ann", "Bo", "Cy")):
        add_patient(ctx, "Quaxley", given, date(1960, 1, 2 + i))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        frames: list[str] = []
        display = app._display

        def counted(screen, update):
            if update is not None:  # None: nothing changed, nothing written
                frames.append(screen_text(app))
            return display(screen, update)

        app._display = counted
        for typed in ("q", "qu", "qua"):
            frames.clear()
            await pilot.press(typed[-1])
            await settle(app, pilot)
            await pilot.pause(0.05)
            assert len(frames) == 1, "\n=====\n".join(f[:400] for f in frames)
            assert f"Find: {typed}" in frames[0]  # the letter typed
            assert "Quaxley, Bo" in frames[0]  # the results, in the same frame as the letter
        assert app._batch_count == 0  # nothing held once the answer is drawn


async def test_keys_typed_ahead_search_once_for_the_text_they_make(ctx, desk_user, monkeypatch):
    import coordinator_tui.tui.screens.patients.desk as desk
    from tests.helpers.keys import burst

    searched: list[str] = []
    real = desk.search_patients

    def spied(ctx_, actor, text, **kwargs):
        searched.append(text)
        return real(ctx_, actor, text, **kwargs)

    monkeypatch.setattr(desk, "search_patients", spied)
    add_patient(ctx, "Quaxley", "Bo", date(1960, 1, 2))
    add_patient(ctx, "Quaxton", "Zed", date(1970, 3, 4))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await open_desk(app, pilot)
        await burst(app, "quaxl")  # five keys in one packet
        await settle(app, pilot)
        assert searched == ["quaxl"]
        assert app.screen.shown_text == "quaxl"
        text = screen_text(app)
        assert "Quaxley, Bo" in text
