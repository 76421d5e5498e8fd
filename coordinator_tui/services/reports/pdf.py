"""A report on paper for the supervisor: title, the table, the chart drawn as bars with their
numbers printed, the notes. fpdf2, imported only when a PDF is asked for. The file itself is
written by interop/private_file.py (owner-only, whole or nothing), like every export."""

from __future__ import annotations

from coordinator_tui.services.reports.model import Report
from coordinator_tui.services.reports.render import table_lines


def _latin(text: str) -> str:
    """The PDF core fonts speak Latin-1: other characters become '?' (names never appear in
    a report; provider short names and words do)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(report: Report, clinic: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creator("coordinator")
    pdf.set_title(_latin(report.title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin(f"{report.period_words}  {clinic}".strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Courier", "", 8)
    for line in table_lines(report):
        pdf.cell(0, 4, _latin(line), new_x="LMARGIN", new_y="NEXT")
    if report.bars:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, _latin(report.bars_title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        maximum = max((v for _l, v, _t in report.bars if v is not None), default=0) or 1
        for label, value, words in report.bars:
            y = pdf.get_y()
            pdf.cell(35, 5, _latin(label[:22]))
            width = 90 * (value or 0) / maximum
            if width > 0:
                pdf.set_fill_color(70, 110, 170)
                pdf.rect(pdf.l_margin + 36, y + 1, width, 3, style="F")
            pdf.set_x(pdf.l_margin + 130)
            pdf.cell(0, 5, _latin(words), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 8)
    for note in report.notes:
        pdf.multi_cell(0, 4, _latin(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
