"""Word document building blocks for the .docx memo, on top of python-docx.

XML-safe text (``_clean``, ``_inline``, ``_paragraphs``), paragraphs and runs in the built-in styles, bordered
tables with repeating header rows, cell shading, paragraph borders, PAGE / NUMPAGES fields and external
hyperlinks (each hand-built OOXML element inserted in schema order), the sober serif styles and the Letter page
with its header legend and "page N of M" footer. Nothing here knows the memo's layout: render_docx does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence

from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Inches
from docx.shared import Pt
from docx.shared import RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
HEADER_FILL = "E7E6E1"
NOTICE_FILL = "F2F4F7"
TEXT_WIDTH = Inches(6.5)  # Letter, 1-inch margins

# Child order of the OOXML property elements we add to by hand (ECMA-376 Part 1, 17.3.1.26, 17.4.70, 17.4.82).
_PPR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
              "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
              "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
              "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
              "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_TCPR_ORDER = ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap",
               "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers", "w:cellIns",
               "w:cellDel", "w:cellMerge", "w:tcPrChange")
_TRPR_ORDER = ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
               "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del",
               "w:trPrChange")

# Characters XML 1.0 cannot carry (C0 controls other than tab / newline / carriage return, lone surrogates,
# U+FFFE / U+FFFF): dropped, since lxml refuses them and Word would call the file corrupt.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# The built-in styles the memo uses, by name and by the id they have in python-docx's default template
# (checked on every render, so a changed template fails loudly instead of producing unstyled paragraphs).
_STYLE_IDS = {"Title": "Title", "Heading 1": "Heading1", "Heading 2": "Heading2", "Caption": "Caption",
              "Quote": "Quote", "List Bullet": "ListBullet", "List Bullet 2": "ListBullet2",
              "List Number": "ListNumber"}

Part = tuple[str, str]  # (text, format): format is "" plain, "b" bold, "i" italic or "bi"


# --- text ---------------------------------------------------------------------------------------------------


def _clean(value: object) -> str:
    """Text safe for XML: ``None`` is empty, characters XML cannot carry are removed."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _inline(value: object) -> str:
    """Text on one line: every whitespace run becomes one space (like the Markdown memo's ``inline``)."""
    return " ".join(_clean(value).split())


def _paragraphs(value: object) -> list[str]:
    """Text as paragraphs: blank lines separate paragraphs, single line breaks become spaces."""
    text = _clean(value).replace("\r\n", "\n").replace("\r", "\n")
    return [" ".join(chunk.split()) for chunk in re.split(r"\n[ \t]*\n", text) if chunk.strip()]


def _count_of(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


# --- low-level building blocks ------------------------------------------------------------------------------


def _insert(parent: BaseOxmlElement, child: BaseOxmlElement, order: Sequence[str]) -> None:
    """Put ``child`` into ``parent`` in schema order, replacing an element with the same tag."""
    tag = child.tag
    for old in parent.findall(tag):
        parent.remove(old)
    name = next(n for n in order if qn(n) == tag)
    successors = order[order.index(name) + 1:]
    parent.insert_element_before(child, *successors)


def _element(tag: str, **attrs: str) -> BaseOxmlElement:
    el: BaseOxmlElement = OxmlElement(tag)
    for key, val in attrs.items():
        el.set(qn(f"w:{key}"), val)
    return el


def _run(paragraph: Paragraph, text: str, fmt: str = "") -> Run:
    """One literal text run (python-docx escapes it; ``text`` is never interpreted)."""
    run = paragraph.add_run(text)
    if "b" in fmt:
        run.bold = True
    if "i" in fmt:
        run.italic = True
    return run


def _fill(paragraph: Paragraph, parts: Iterable[Part]) -> Paragraph:
    for text, fmt in parts:
        if text:
            _run(paragraph, text, fmt)
    return paragraph


def _para(doc: Document, parts: Iterable[Part] = (), style: str | None = None) -> Paragraph:
    """A paragraph in the built-in style ``style`` (by name; None for Normal) holding ``parts``."""
    paragraph = doc.add_paragraph()
    if style is not None:
        # By id: python-docx's lookup by name scans every style, which dominates the time of a long memo.
        paragraph._p.style = _STYLE_IDS[style]
    return _fill(paragraph, parts)


def _heading(doc: Document, text: str, level: int) -> None:
    _para(doc, [(text, "")], f"Heading {level}")


def _text(doc: Document, value: object, style: str | None = None) -> None:
    """Plain text as one or more paragraphs."""
    for chunk in _paragraphs(value):
        _para(doc, [(chunk, "")], style)


def _labelled(doc: Document, label: str, value: object) -> None:
    """A bold run-in label ("Rule.") followed by text; later paragraphs of the text follow on their own."""
    chunks = _paragraphs(value)
    _para(doc, [(label, "b"), (" " + chunks[0] if chunks else "", "")])
    for chunk in chunks[1:]:
        _para(doc, [(chunk, "")])


def _lead_in(doc: Document, label: str) -> None:
    """A bold label introducing a list ("Next steps:"), kept on the page of the list."""
    _para(doc, [(label, "b")]).paragraph_format.keep_with_next = True


def _bullets(doc: Document, items: Iterable[Iterable[Part]], style: str = "List Bullet") -> None:
    for parts in items:
        _para(doc, parts, style)


def _shade(cell_tcPr: BaseOxmlElement, fill: str) -> None:
    _insert(cell_tcPr, _element("w:shd", val="clear", color="auto", fill=fill), _TCPR_ORDER)


def _box(paragraph: Paragraph, fill: str) -> None:
    """A thin border all round the paragraph, on a light background."""
    pPr = paragraph._p.get_or_add_pPr()
    borders = _element("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        borders.append(_element(f"w:{side}", val="single", sz="6", space="4", color="8C8C8C"))
    _insert(pPr, borders, _PPR_ORDER)
    _insert(pPr, _element("w:shd", val="clear", color="auto", fill=fill), _PPR_ORDER)


def _rule_above(paragraph: Paragraph) -> None:
    """A horizontal rule above the paragraph (its top border)."""
    pPr = paragraph._p.get_or_add_pPr()
    borders = _element("w:pBdr")
    borders.append(_element("w:top", val="single", sz="6", space="6", color="8C8C8C"))
    _insert(pPr, borders, _PPR_ORDER)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A simple field (PAGE, NUMPAGES) as real field codes: begin, instrText, separate, result, end."""
    def char_run(kind: str) -> None:
        paragraph.add_run()._r.append(_element("w:fldChar", fldCharType=kind))

    char_run("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char_run("separate")
    paragraph.add_run(placeholder)
    char_run("end")


def _hyperlink(paragraph: Paragraph, url: str) -> None:
    """An external hyperlink showing its own address (blue, underlined)."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rPr = OxmlElement("w:rPr")
    rPr.append(_element("w:color", val=str(ACCENT)))
    rPr.append(_element("w:u", val="single"))
    run.append(rPr)
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = url
    run.append(text)
    link.append(run)
    paragraph._p.append(link)


def _table(doc: Document, header: Sequence[str] | None, rows: Sequence[Sequence[Sequence[Part]]],
           widths: Sequence[float], label_column: bool = False) -> Table:
    """A bordered table ("Table Grid"): an optional shaded header row that repeats on each page, then ``rows``.

    With ``label_column`` the first column is a bold, shaded label (the heading block).
    """
    all_rows: list[tuple[Sequence[Sequence[Part]], bool]] = []
    if header is not None:
        all_rows.append(([[(text, "b")] for text in header], True))
    all_rows.extend((row, False) for row in rows)
    table: Table = doc.add_table(rows=len(all_rows), cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Inches(width)
    for row, (cells, is_header) in zip(table.rows, all_rows, strict=True):
        trPr = row._tr.get_or_add_trPr()
        _insert(trPr, _element("w:cantSplit"), _TRPR_ORDER)  # a row never breaks across pages
        if is_header:
            _insert(trPr, _element("w:tblHeader"), _TRPR_ORDER)  # repeats at the top of each page
        for i, (cell, parts, width) in enumerate(zip(row.cells, cells, widths, strict=True)):
            cell.width = Inches(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_before = Pt(2)
            paragraph.paragraph_format.space_after = Pt(2)
            bold_label = label_column and i == 0
            _fill(paragraph, [(text, "b" if bold_label else fmt) for text, fmt in parts])
            for run in paragraph.runs:
                run.font.size = Pt(10)
            if is_header or bold_label:
                _shade(cell._tc.get_or_add_tcPr(), HEADER_FILL)
    return table


# --- styles and page ----------------------------------------------------------------------------------------


def _serif(rPr: BaseOxmlElement | None) -> None:
    """Point an ``rPr``'s fonts at the serif face, dropping theme fonts (which would take precedence)."""
    if rPr is None:
        return
    fonts = rPr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rPr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def _paragraph_style(doc: Document, name: str) -> ParagraphStyle:
    style = doc.styles[name]
    assert isinstance(style, ParagraphStyle)
    return style


def _set_styles(doc: Document) -> None:
    """A sober serif memo: black headings, no theme colours or fonts."""
    for name, style_id in _STYLE_IDS.items():
        if doc.styles[name].style_id != style_id:
            raise RuntimeError(f"python-docx's template has no style {name!r} with id {style_id!r}")
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        _serif(defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}"))

    normal = _paragraph_style(doc, "Normal")
    normal.font.name = FONT
    normal.font.size = Pt(11)  # 11-point text: the flagship memo fits its 15-page budget (tests/test_memo_pages.py)
    _serif(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.widow_control = True

    title = _paragraph_style(doc, "Title")
    pPr = title.element.get_or_add_pPr()
    for border in pPr.findall(qn("w:pBdr")):
        pPr.remove(border)
    title.font.size = Pt(20)
    title.font.bold = True
    title.font.all_caps = True
    title.font.color.rgb = BLACK
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)

    for name, size, before, after in (("Heading 1", 14, 14, 5), ("Heading 2", 12, 10, 4),
                                      ("Heading 3", 12, 10, 3)):
        heading = _paragraph_style(doc, name)
        heading.font.size = Pt(size)
        heading.font.bold = True
        heading.font.color.rgb = BLACK
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(after)
        heading.paragraph_format.keep_with_next = True

    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Caption", "Quote", "Header", "Footer"):
        _serif(_paragraph_style(doc, name).element.get_or_add_rPr())

    caption = _paragraph_style(doc, "Caption")
    caption.font.size = Pt(10)
    caption.font.bold = False
    caption.font.italic = True
    caption.font.color.rgb = BLACK
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(3)
    caption.paragraph_format.keep_with_next = True

    quote = _paragraph_style(doc, "Quote")
    quote.paragraph_format.left_indent = Inches(0.4)
    quote.paragraph_format.right_indent = Inches(0.4)

    for name in ("List Bullet", "List Bullet 2", "List Number"):
        style = _paragraph_style(doc, name)
        style.paragraph_format.space_after = Pt(3)
        pPr = style.element.get_or_add_pPr()
        for contextual in pPr.findall(qn("w:contextualSpacing")):  # would drop the space between items
            pPr.remove(contextual)

    for name, size in (("Header", 10), ("Footer", 9)):
        _paragraph_style(doc, name).font.size = Pt(size)


def _set_page(doc: Document, legend: str | None, footer_note: str) -> None:
    """Letter paper, 1-inch margins; the privilege legend in the header; the generator and page N of M below."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Inches(8.5)
    section.page_height = Inches(11)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Inches(1))
    section.header_distance = Inches(0.5)
    section.footer_distance = Inches(0.5)

    if legend:
        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, legend, "b")

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    stops = paragraph.paragraph_format.tab_stops
    stops.add_tab_stop(Inches(3.25), WD_TAB_ALIGNMENT.CLEAR)  # the Footer style's centre stop
    stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _run(paragraph, footer_note)
    paragraph.add_run("\t")
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE", "1")
    paragraph.add_run(" of ")
    _field(paragraph, "NUMPAGES", "1")
