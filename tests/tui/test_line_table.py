"""LineTable draws its rows itself (issue 23: DataTable's own drawing was most of a keystroke's
time at 1M patients). What the user sees must not change: every row, with and without the
cursor on it, zebra stripes, styled words, wide characters and text that does not fit, comes
out as the same segments in the same styles as DataTable draws them."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import App
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from coordinator_tui.tui.widgets.line_table import LineTable, fit

COLUMNS = (("#", 2), ("Name", 12), ("Status", 8))
ROWS = [
    ("1", "Smith, Ann", "booked"),
    ("2", Text("Jones, Bo", style="bold"), Text("late", style="red on default")),
    ("3", "Müller, Zoë", Text.assemble(("in", "green"), " ", ("room", "underline"))),
    ("4", "[b]Not markup", "x" * 20),
    ("5", "李小龍", "seen"),
    ("6", "", ""),
]


class TableApp(App):
    def __init__(self, zebra: bool, padding: int) -> None:
        super().__init__()
        self.zebra, self.padding = zebra, padding

    def compose(self):
        yield LineTable(cursor_type="row", zebra_stripes=self.zebra, cell_padding=self.padding)


def drawn(table: LineTable, draw) -> list[list[tuple[str, object]]]:
    """Every row as DataTable's row renderer returns it, by `draw` (the class's method)."""
    rows = []
    base = table.rich_style
    for index in range(table.row_count):
        key = table._row_locations.get_key(index)
        fixed, scrollable = draw(table, key, 0, base, table.cursor_coordinate, table.hover_coordinate)
        rows.append([(seg.text, seg.style) for part in (*fixed, *scrollable) for seg in part])
    return rows


async def test_rows_draw_as_datatable_draws_them():
    for zebra in (False, True):
        for padding in (0, 1):
            app = TableApp(zebra, padding)
            async with app.run_test(size=(60, 12)) as pilot:
                table = app.query_one(LineTable)
                table.set_columns(COLUMNS)
                for number, *values in ROWS:
                    table.add_line(number, *values, key=number)
                await pilot.pause()
                for cursor in (0, 2):
                    table.cursor_coordinate = Coordinate(cursor, 0)
                    await pilot.pause()
                    ours = drawn(table, LineTable._render_line_in_row)
                    table._row_render_cache.clear()
                    theirs = drawn(table, DataTable._render_line_in_row)
                    table._row_render_cache.clear()
                    assert ours == theirs, (zebra, padding, cursor)
                    assert any(seg[0] == "李小龍" or "李小龍" in seg[0] for seg in ours[4])
                table.focus()
                await pilot.pause()
                assert drawn(table, LineTable._render_line_in_row) == \
                    (table._row_render_cache.clear() or drawn(table, DataTable._render_line_in_row))



def test_a_line_is_laid_out_alike_whatever_its_words():
    """Plain words take a quicker way into a line: the line must be the one `fit` makes."""
    table = LineTable()
    table.widths = tuple(width for _label, width in COLUMNS)
    for values in [("1", "Smith, Ann", "booked"), ("12", "x" * 30, ""), ("3", "Alarcón, Zoë", "•••-3912"),
                   ("4", "e\u0301 combining", "tab\there"), ("5", "李小龍 wide", "bell\x07"),
                   ("6", Text("Jones", style="bold"), "seen")]:
        line = table.layout(values)
        made = Text(" ").join(fit(value, width) for value, width in zip(values, table.widths, strict=True))
        assert (line.plain, line.spans, line.style, line.end) == (made.plain, made.spans, made.style, made.end)
        assert cell_len(line.plain) == sum(table.widths) + len(table.widths) - 1


def test_a_value_longer_than_its_column_ends_in_an_ellipsis():
    """QA: names and labels cut at a column's edge looked whole ("da Conceição, Maria So"): two
    patients or two payers cut at the same letter could not be told apart from a whole one."""
    table = LineTable()
    table.widths = (2, 12, 8)
    assert table.layout(["1", "Conceição, Maria Sofia", "booked"]).plain == "1  Conceição, … booked  "
    assert table.layout(["2", Text("Conceição, Maria Sofia"), "x" * 8]).plain == "2  Conceição, … xxxxxxxx"
    wide = fit("李小龍 wide name", 6).plain
    assert wide.endswith("…") and cell_len(wide) == 6
