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

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.geometry import Size
from textual.widgets import DataTable

LINE = "line"  # the key of the one column


def _plain_line(text: Text) -> bool:
    """One line that Rich draws as it is: no line break or tab, no justification of its own."""
    plain = text.plain
    return "\n" not in plain and "\t" not in plain and text.justify in (None, "default", "left")


def fit(value: str | Text, width: int) -> Text:
    """`value` padded to exactly `width` terminal cells, or cut to them with an ellipsis."""
    text = value.copy() if isinstance(value, Text) else Text(str(value))
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


class LineTable(DataTable):
    """Call `set_columns([(label, width), ...])` once, then `add_line(*values, key=...)`."""

    widths: tuple[int, ...] = ()

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        self.widths = tuple(width for _label, width in columns)
        header = self.layout([label for label, _width in columns])
        self.add_column(header, width=sum(self.widths) + len(self.widths) - 1, key=LINE)

    def layout(self, values: Iterable[str | Text]) -> Text:
        values = list(values)
        if all(isinstance(value, str) and cell_len(value) == len(value) for value in values):
            # Plain words one cell a character (the desk's lists, nearly always): the same line
            # as below, without a Text per value (a search answer lays out 19 rows, issue 23).
            # A value longer than its column ends in an ellipsis: a reader sees there is more.
            return Text(" ".join((value if len(value) <= width else value[:width - 1] + "…").ljust(width)
                                 for value, width in zip(values, self.widths, strict=True)))
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
        self.update_cell(key, LINE, self.layout(values))

    def _render_line_in_row(self, row_key, line_no, base_style, cursor_location, hover_location):
        """A row of one pre-laid-out line, drawn straight from its text. DataTable draws each
        cell through Rich (Padding, Styled, render_lines, split and crop) and works out its
        styles again per row: a frame of search results at 1M patients cost 7.1 ms of the UI
        thread, 3.8 ms drawn this way (issue 23). The segments and styles are the same as
        DataTable's (a test compares the two); anything this does not cover is drawn by
        DataTable itself."""
        row = self.rows.get(row_key)
        cell = self._data[row_key].get(LINE) if row is not None else None
        if (row is None or line_no or row.height != 1 or row.label is not None or self._labelled_row_exists
                or self.fixed_columns or self.cursor_type != "row" or len(self.columns) != 1
                or not isinstance(cell, Text) or not _plain_line(cell)):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location,
                                               hover_location)
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, self.cursor_type,
                     self.show_cursor, self._show_hover_cursor, self._update_count,
                     self._pseudo_class_state)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        index = self._row_locations.get(row_key)
        column = self.columns[LINE]
        padding = " " * self.cell_padding
        inner = column.get_render_width(self) - 2 * self.cell_padding
        if cell_len(cell.plain) != inner:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location,
                                               hover_location)
        cursor = cursor_location.row == index
        hover = hover_location.row == index
        row_style = self._get_row_style(index, base_style)
        component, post = self._get_styles_to_render_cell(
            False, False, index < self.fixed_rows, hover, cursor, self.show_cursor,
            self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css")
        pre = row_style + Style.from_meta({"row": index, "column": 0}) + component
        spans = ([Span(0, len(cell), cell.style)] if cell.style else []) + cell._spans
        content = list(Text(cell.plain, spans=spans).render(self.app.console)) if spans \
            else [Segment(cell.plain)]
        null = Style.null()
        line = list(Segment.apply_style([Segment(padding, null), *content, Segment(padding, null)],
                                        style=pre, post_style=post)) if padding else \
            list(Segment.apply_style(content, style=pre, post_style=post))
        extend, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            False, False)
        extend = row_style + extend + Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})
        remaining = max(0, self.size.width - column.get_render_width(self) - self._row_label_column_width)
        pair = ([], [line, [Segment(" " * remaining, extend)]])
        self._row_render_cache[cache_key] = pair
        return pair

    _pass_style: Style | None = None

    def render_lines(self, crop):
        # DataTable asks for the widget's style (a walk up the CSS tree) on every line it draws:
        # it cannot change within one pass, so it is read once per pass here.
        self._pass_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._pass_style = None

    def render_line(self, y: int):
        style = self._pass_style
        if style is None or self.fixed_rows:
            return super().render_line(y)
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.get_row_height(self._header_row_key) if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + width, style)
