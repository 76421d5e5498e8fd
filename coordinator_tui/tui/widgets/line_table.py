"""A DataTable whose rows are single pre-formatted lines.

DataTable renders every cell through Rich (padding, wrapping, style merging): about 0.1 ms a cell
on the desk PCs, so a 20-row, 8-column result list cost 20-30 ms a frame, most of the time
between a keystroke and its results on screen. Our lists have fixed column widths anyway, so
each row is laid out here as one line of text in one cell: one Rich render per row. Cursor
movement, row keys and selection events are DataTable's own.

Values are plain text, never markup: a name typed as "[b]Smith" shows as typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widgets import DataTable


def fit(value: str | Text, width: int) -> Text:
    """`value` cropped or padded to exactly `width` terminal cells."""
    text = value.copy() if isinstance(value, Text) else Text(str(value))
    text.truncate(width, overflow="crop", pad=True)
    return text


class LineTable(DataTable):
    """Call `set_columns([(label, width), ...])` once, then `add_line(*values, key=...)`."""

    widths: tuple[int, ...] = ()

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        self.widths = tuple(width for _label, width in columns)
        header = self.layout([label for label, _width in columns])
        self.add_column(header, width=sum(self.widths) + len(self.widths) - 1, key="line")

    def layout(self, values: Iterable[str | Text]) -> Text:
        return Text(" ").join(fit(value, width) for value, width in zip(values, self.widths, strict=True))

    def add_line(self, *values: str | Text, key: str | None = None) -> None:
        self.add_row(self.layout(values), key=key)

    def _update_dimensions(self, new_rows) -> None:
        """Every row is one line of a column whose width is fixed: nothing to measure. DataTable
        measured each new cell through Rich (a second render of every row added) to learn a
        width it never uses for a fixed column; the scrollable size follows from the row count."""
        if not self.widths or self._labelled_row_exists or any(
                self.rows[key].label is not None or self.rows[key].auto_height
                for key in new_rows if key in self.rows):
            super()._update_dimensions(new_rows)
            return
        header = self.header_height if self.show_header else 0
        width = sum(column.get_render_width(self) for column in self.columns.values())
        # Rows that fit the table's height scroll nothing, whatever their number: the scrollable
        # size is then the table's own height, so a new list of 3 rows after one of 12 changes
        # only rows, not the layout (a layout pass re-renders the whole screen, issue 23).
        height = self._total_row_height + header
        fixed = not (self.styles.height is not None and self.styles.height.is_auto)
        if fixed and height <= self.size.height:  # (an auto height follows the rows themselves)
            height = self.size.height
        self.virtual_size = Size(width + self._row_label_column_width, height)

    def on_resize(self) -> None:
        self._require_update_dimensions = True  # the height that rows fit in changed
        self.check_idle()

    def update_line(self, key: str, *values: str | Text) -> None:
        """Redraw one row in place: the cursor and the scroll position stay where they are."""
        self.update_cell(key, "line", self.layout(values))
