"""The 提示函 (reminder letter) to a body that causes burden: one A4 page in the layout of
Chinese official documents (title, addressee, facts with figures and months, the rule it
breaks, the reply date; the sender and the date at the foot), written as DOCX (python-docx)
and PDF (WeasyPrint, the system's Noto CJK fonts).

The figures are the finding's (survey/source_burden.py), which come from the page's own
suppressed reads: the letter never cites a figure the page does not show. The layout follows
GB/T 9704 as far as a one-page letter needs: A4, margins 37/35/28/26 mm, a 22 pt title, 16 pt
body text with a first-line indent of two characters.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import dataclass

from survey.source_burden import ALL_TOPICS, UNITS, Finding, label, month_text
from survey.sources import REASONS

SERIF = "Noto Serif CJK SC"  # fonts-noto-cjk; DOCX readers substitute their own 仿宋/宋体
RULES = {
    "off_plan": {
        "zh": "上述督查检查考核事项未列入年度计划并备案,不符合督查检查考核计划管理和备案管理的要求"
              "(《整治形式主义为基层减负若干规定》:督查检查考核实行年度计划和备案管理,"
              "未经备案的不得开展)。",
        "en": "These inspections were not in the annual plan filed in advance, contrary to the "
              "planning and filing rules for inspections, checks and assessments (Provisions on "
              "Rectifying Formalism to Reduce Burdens at the Grassroots: inspections follow an "
              "annual plan filed in advance; none may take place unfiled)."},
    "rising": {
        "zh": "上述情况与精简文件会议、严控报表填报,发文和会议数量只减不增的要求不符"
              "(《整治形式主义为基层减负若干规定》)。",
        "en": "This runs against the rule that documents, meetings and forms be cut and their "
              "number only go down (Provisions on Rectifying Formalism to Reduce Burdens at the "
              "Grassroots)."},
}


@dataclass(frozen=True)
class Letter:
    number: str
    title: str
    addressee: str
    paragraphs: tuple[str, ...]  # the facts, the rule, the request
    facts: tuple[str, ...]       # one line per figure cited
    sender: str
    date: str
    lang: str


def _date(day: dt.date, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else f"{day:%d %B %Y}"


def _count(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def fact_lines(finding: Finding, lang: str) -> tuple[str, ...]:
    """The figures, one line each, as the page shows them."""
    lines = []
    for f in finding.facts:
        unit = UNITS[f.topic][0 if lang == "zh" else 1]
        what = label(ALL_TOPICS, f.topic, lang)
        if finding.kind == "off_plan":
            lines.append(
                f"{month_text(f.month, lang)}:{_count(f.figure)} {unit}({REASONS[f.reason]['zh']}),"
                f"{f.points} 个监测点报告。" if lang == "zh" else
                f"{month_text(f.month, lang)}: {_count(f.figure)} {unit} ({REASONS[f.reason]['en']}), "
                f"reported by {f.points} monitoring points.")
        else:
            change = f"{f.change:+.1%}"
            lines.append(
                f"{month_text(f.month, lang)}:{what} {_count(f.figure)} {unit},上年同月 "
                f"{_count(f.before)} {unit},同比 {change}({f.points} 个监测点报告)。"
                if lang == "zh" else
                f"{month_text(f.month, lang)}: {_count(f.figure)} {unit}, against "
                f"{_count(f.before)} a year before, {change} year on year "
                f"(reported by {f.points} monitoring points).")
    return tuple(lines)


def compose(finding: Finding, number: str, reply_by: dt.date, sender: str, today: dt.date,
            lang: str = "zh") -> Letter:
    area = "/".join(finding.area) or ("全部监测点" if lang == "zh" else "all monitoring points")
    if finding.kind == "off_plan":
        title = (f"关于{finding.short_name}开展未备案督查检查考核事项的提示函" if lang == "zh" else
                 f"Reminder to {finding.short_name}: inspections outside the filed plan")
        opening = (f"根据{area}基层减负监测点报告,你单位在{area}开展的下列督查检查考核事项"
                   "未列入年度督查检查考核计划备案:" if lang == "zh" else
                   f"The burden-reduction monitoring points of {area} report the following "
                   "inspections by your office that were not in its filed annual plan:")
    else:
        what = label(ALL_TOPICS, finding.facts[0].topic, lang)
        title = (f"关于{finding.short_name}{what}数量同比上升的提示函" if lang == "zh" else
                 f"Reminder to {finding.short_name}: {what.lower()} rising year on year")
        opening = (f"根据{area}基层减负监测点报告,基层干部反映主要来自你单位的{what}同比上升:"
                   if lang == "zh" else
                   f"The burden-reduction monitoring points of {area} report that the "
                   f"{what.lower()} cadres attribute mainly to your office rose year on year:")
    request = (f"请你单位对照有关规定核查上述情况,于{_date(reply_by, lang)}前将核查和整改情况"
               f"书面反馈{sender}。" if lang == "zh" else
               f"Please look into these facts and reply in writing to {sender} by "
               f"{_date(reply_by, lang)} with what was found and what will change.")
    return Letter(number, title, f"{finding.full_name}:" if lang == "zh" else
                  f"To {finding.full_name}:", (opening, RULES[finding.kind][lang], request),
                  fact_lines(finding, lang), sender, _date(today, lang), lang)


def docx(letter: Letter) -> bytes:
    """The letter as a Word document (A4, one page)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def paragraph(text, size=16, bold=False, align=None, indent=True, after=0):
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(after)
        p.paragraph_format.line_spacing = Pt(28)
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        run = p.add_run(text)
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, SERIF
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SERIF)
        return p

    paragraph(letter.number, size=12, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    paragraph(letter.title, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
              after=12)
    paragraph(letter.addressee, indent=False)
    paragraph(letter.paragraphs[0])
    for line in letter.facts:
        paragraph(line)
    for text in letter.paragraphs[1:]:
        paragraph(text)
    paragraph(letter.sender, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    paragraph(letter.date, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
body {{ font-family: '{SERIF}', serif; font-size: 16pt; line-height: 28pt; }}
p {{ margin: 0; text-indent: 2em; }}
.number {{ text-align: right; font-size: 12pt; text-indent: 0; }}
h1 {{ font-size: 22pt; text-align: center; font-weight: bold; line-height: 1.4;
      margin: 0 0 12pt 0; }}
.flush {{ text-indent: 0; }}
.foot {{ text-align: right; text-indent: 0; }}
"""


def pdf(letter: Letter) -> bytes:
    """The letter as a PDF (A4, one page, Chinese glyphs embedded)."""
    from weasyprint import HTML

    def p(text, cls=""):
        return f'<p class="{cls}">{html.escape(text)}</p>'
    body = [p(letter.number, "number"), f"<h1>{html.escape(letter.title)}</h1>",
            p(letter.addressee, "flush"), p(letter.paragraphs[0]),
            *[p(line) for line in letter.facts], *[p(t) for t in letter.paragraphs[1:]],
            p(letter.sender, "foot"), p(letter.date, "foot")]
    page = (f'<!doctype html><html lang="{"zh-CN" if letter.lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><style>{_CSS}</style></head><body>{"".join(body)}'
            "</body></html>")
    return HTML(string=page).write_pdf()
