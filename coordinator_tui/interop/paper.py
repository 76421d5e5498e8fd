"""Paper as PDF (fpdf2): letters with a page per patient, and plain text sheets (the day sheet,
a receipt, an estimate) set in a monospaced font, a form feed starting a new page.

Names are ordinary text in any script. Text that Latin-1 covers (most letters here) is set in
the PDF core fonts (Helvetica, Courier): nothing embedded, and the text stays text through a
CUPS queue (cups-pdf re-renders embedded subset fonts as Type 3 glyphs that pdftotext cannot
read back). Other text (Nguyễn, 王) is set in a Unicode TrueType font (DejaVu, Debian's
fonts-dejavu-core) when the system has one; without it, characters the core fonts lack become
'?' (the letter still prints, nothing is refused).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

# fpdf2 warns about glyphs a font lacks by quoting them: that would put patient names in logs.
logging.getLogger("fpdf").setLevel(logging.ERROR)

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
                Path("/usr/local/share/fonts"), Path("/Library/Fonts"))
SANS, SANS_BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"


@dataclass(frozen=True)
class LetterPage:
    clinic_name: str
    clinic_phone: str
    date_line: str
    recipient: tuple[str, ...]  # name and address lines
    subject: str
    body: str


def _font(name: str) -> Path | None:
    for folder in FONT_FOLDERS:
        path = folder / name
        if path.is_file():
            return path
    return None


def _latin1(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class _Pdf:
    def __init__(self, title: str, *, latin1: bool = True):
        from fpdf import FPDF

        self.pdf = FPDF(format="Letter", unit="mm")
        self.pdf.set_title(title)
        self.pdf.set_creator("coordinator")
        self.pdf.set_auto_page_break(auto=True, margin=18)
        self.pdf.set_margins(22, 20, 22)
        sans, bold, mono = _font(SANS), _font(SANS_BOLD), _font(MONO)
        self.unicode = not latin1 and sans is not None and mono is not None
        if self.unicode:
            self.pdf.add_font("Sans", "", str(sans))
            self.pdf.add_font("Sans", "B", str(bold or sans))
            self.pdf.add_font("Mono", "", str(mono))
            self.sans, self.mono = "Sans", "Mono"
        else:
            self.sans, self.mono = "Helvetica", "Courier"

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def letters_pdf(letters: list[LetterPage], title: str = "Letters") -> bytes:
    """One page per letter: clinic, date, the address block (for a window envelope), subject,
    body."""
    doc = _Pdf(title, latin1=_latin1(*(part for letter in letters for part in (
        letter.clinic_name, letter.clinic_phone, letter.date_line, letter.subject, letter.body,
        *letter.recipient)), title))
    pdf = doc.pdf
    for letter in letters:
        pdf.add_page()
        pdf.set_font(doc.sans, "B", 14)
        pdf.cell(0, 8, doc.text(letter.clinic_name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(doc.sans, "", 10)
        if letter.clinic_phone:
            pdf.cell(0, 5, doc.text(f"Telephone {letter.clinic_phone}"), new_x="LMARGIN",
                     new_y="NEXT")
        pdf.ln(4)
        pdf.cell(0, 5, doc.text(letter.date_line), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(52)  # the window of a #10 envelope
        pdf.set_font(doc.sans, "", 11)
        for line in letter.recipient:
            pdf.cell(0, 5.5, doc.text(line), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(92)
        pdf.set_font(doc.sans, "B", 12)
        pdf.cell(0, 7, doc.text(letter.subject), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font(doc.sans, "", 11)
        pdf.multi_cell(0, 6, doc.text(letter.body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.multi_cell(0, 6, doc.text(f"{letter.clinic_name}"), new_x="LMARGIN", new_y="NEXT")
    if not letters:
        pdf.add_page()
    return doc.output()


def text_pdf(text: str, title: str = "Printout", *, size: float = 9.5) -> bytes:
    """Plain text as it reads on screen, monospaced; '\\f' starts a new page."""
    doc = _Pdf(title, latin1=_latin1(text, title))
    pdf = doc.pdf
    pdf.set_margins(12, 12, 12)
    for page in text.split("\f"):
        pdf.add_page()
        pdf.set_font(doc.mono, "", size)
        for line in page.strip("\n").split("\n"):
            pdf.cell(0, size * 0.45, doc.text(line.rstrip()), new_x="LMARGIN", new_y="NEXT")
    return doc.output()
