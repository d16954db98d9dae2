"""The page every document shares: font, letterhead (logo slot, organisation, DPC number), footer.

The documents are for the French agency and training bodies' files: they are written in French whatever the
language of the page they were asked from (labels are read under flask_babel's force_locale("fr"))."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from babel.dates import format_datetime as babel_format_datetime
from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
PARIS = ZoneInfo("Europe/Paris")
INK, MUTED, LINE = (27, 31, 36), (74, 85, 99), (140, 148, 160)


def organisation(pathway=None) -> dict[str, str | None]:
    """Who issues the document: the configured training body; the pathway's CPTS when it names one."""
    config = current_app.config
    organiser = pathway.organisation.name if pathway is not None and pathway.organisation else ""
    name = config.get("ORGANISATION_NAME") or organiser or config.get("TOOL_NAME", "")
    return {"name": name, "organiser": organiser if organiser and organiser != name else "",
            "dpc_number": config.get("ORGANISATION_DPC_NUMBER") or "", "logo": config.get("ORGANISATION_LOGO") or None}


def french_date(moment: datetime, pattern: str = "d MMMM y") -> str:
    return babel_format_datetime(paris(moment), pattern, locale="fr_FR")


def paris(moment: datetime) -> datetime:
    """Stored times are UTC (naive on SQLite): shown as the wall clock in Paris."""
    if moment.tzinfo is None:
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS)


class Document(FPDF):
    def __init__(self, title: str, issuer: dict, orientation: str = "P"):
        super().__init__(orientation=orientation, format="A4")
        self.title_text, self.issuer = title, issuer
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_author(issuer["name"])
        self.set_creator(current_app.config.get("TOOL_NAME", ""))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        self.alias_nb_pages()
        self.add_page()

    def header(self):
        top = self.get_y()
        logo = self.issuer.get("logo")
        if logo and Path(logo).is_file():
            self.image(logo, x=self.l_margin, y=top, h=18)
        else:  # the slot the logo goes in, so the page is laid out the same with or without it
            self.set_draw_color(*LINE)
            self.set_line_width(0.2)
            self.set_dash_pattern(dash=1, gap=1)
            self.rect(self.l_margin, top, 30, 18)
            self.set_dash_pattern()
            self.set_font(FONT, "", 6)
            self.set_text_color(*MUTED)
            self.set_xy(self.l_margin, top + 7)
            self.cell(30, 4, "Logo", align="C")
        self.set_xy(self.l_margin + 34, top)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 6, self.issuer["name"], new_x="LMARGIN", new_y="NEXT")
        self.set_x(self.l_margin + 34)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        lines = []
        if self.issuer.get("dpc_number"):
            lines.append(f"Organisme de DPC enregistré auprès de l'ANDPC sous le n° {self.issuer['dpc_number']}")
        if self.issuer.get("organiser"):
            lines.append(f"Action organisée avec : {self.issuer['organiser']}")
        for line in lines:
            self.set_x(self.l_margin + 34)
            self.cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), top + 18) + 4)
        self.set_draw_color(*INK)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(5)
        self.set_text_color(*INK)

    def footer(self):
        self.set_y(-13)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        made = french_date(datetime.now(PARIS), "d MMMM y 'à' HH:mm")
        self.cell(0, 5, f"{self.title_text} — édité le {made} (heure de Paris)")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} / {{nb}}", align="R")

    def heading(self, text: str, size: float = 15):
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5 + 1, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def pairs(self, rows: list[tuple[str, str]], label_width: float = 55):
        """Label and value lines, the value wrapping under itself."""
        for label, value in rows:
            self.set_font(FONT, "B", 10)
            self.cell(label_width, 6.5, label)
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 6.5, value or "—", new_x="LMARGIN", new_y="NEXT")

    def signature_box(self, x: float, y: float, width: float, height: float, caption: str, name: str = ""):
        self.set_draw_color(*LINE)
        self.set_line_width(0.3)
        self.rect(x, y, width, height)
        self.set_xy(x + 2, y + 1.5)
        self.set_font(FONT, "B", 8.5)
        self.multi_cell(width - 4, 4.5, caption, new_x="LEFT", new_y="NEXT")
        if name:
            self.set_font(FONT, "", 8.5)
            self.multi_cell(width - 4, 4.5, name, new_x="LEFT", new_y="NEXT")

    def output_bytes(self) -> bytes:
        return bytes(self.output())
