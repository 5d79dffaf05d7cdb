"""The Word memo (render_docx): structure, tables, authorities, page furniture, determinism and safety.

The headings of a few bundled cases are compared with tests/golden/docx/<case>.headings.txt; run
``pytest tests/test_docx.py --update-golden`` after an intended change, then review the diff.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from transferlaw import api
from transferlaw.memo.render_docx import render_docx

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "docx"
GOLDEN_CASES = ("lpr-state-appeal-pending", "many-unknowns", "dual-national-consents")
ALL_CASES = sorted(p.stem for p in (ROOT / "cases").glob("*.yaml"))
LEGEND = "PRIVILEGED & CONFIDENTIAL — ATTORNEY WORK PRODUCT"
SECTIONS = ["Question presented", "Brief answer", "Facts to gather first", "Raised issues", "Undetermined issues",
            "What would change the analysis", "Table of authorities", "Appendix: issues not raised"]
FULL_SECTIONS = [*SECTIONS[:2], "Facts", *SECTIONS[2:]]
BRIEF_SECTIONS = SECTIONS[:4]


@functools.cache
def _memo(case: str) -> dict[str, Any]:
    loaded, ruleset = api.load_case(ROOT / "cases" / f"{case}.yaml")
    return api.memo_document(api.evaluate_case(loaded, ruleset))


def memo(case: str = "lpr-state-appeal-pending") -> dict[str, Any]:
    """A fresh copy of a bundled case's memo document (tests may change it)."""
    return copy.deepcopy(_memo(case))


@functools.cache
def _rendered(case: str, detail: str = "default") -> bytes:
    return render_docx(_memo(case), detail=detail)


def read(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def styled(document: Document) -> list[tuple[str, Paragraph]]:
    """Each body paragraph with its style's name (looked up once per style: python-docx's lookup is slow)."""
    names = {style.style_id: style.name for style in document.styles}
    return [(names.get(p._p.style or "Normal", "Normal"), p) for p in document.paragraphs]


def texts_in(document: Document, style: str) -> list[str]:
    return [p.text for name, p in styled(document) if name == style]


def headings(document: Document) -> list[tuple[str, str]]:
    return [(name, p.text) for name, p in styled(document) if name == "Title" or name.startswith("Heading")]


def section_paragraphs(document: Document, title: str) -> list[Paragraph]:
    """The paragraphs under a Heading 1, up to the next Heading 1."""
    out: list[Paragraph] = []
    inside = False
    for name, p in styled(document):
        if name == "Heading 1":
            inside = p.text == title
        elif inside:
            out.append(p)
    return out


def section_texts(document: Document, title: str) -> list[str]:
    return [p.text for p in section_paragraphs(document, title)]


def table_with_header(document: Document, *header: str) -> Table:
    for table in document.tables:
        if tuple(c.text for c in table.rows[0].cells) == header:
            return table
    raise AssertionError(f"no table with header {header}")


def is_repeating_header(table: Table) -> bool:
    trPr = table.rows[0]._tr.trPr
    return trPr is not None and trPr.find(qn("w:tblHeader")) is not None


def header_text(document: Document) -> str:
    header = document.sections[0].header
    return "" if header.is_linked_to_previous else "\n".join(p.text for p in header.paragraphs)


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_headings_golden(case: str, update_golden: bool) -> None:
    """The Title and Heading paragraphs, in order, equal the reviewed golden list."""
    got = "".join(f"{style}\t{text}\n" for style, text in headings(read(_rendered(case))))
    golden = GOLDEN / f"{case}.headings.txt"
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
        return
    assert golden.exists(), f"no golden file {golden.name}; run pytest --update-golden and review it"
    expected = golden.read_text(encoding="utf-8")
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True),
                                            f"golden/docx/{golden.name}", "rendered", n=2))
        pytest.fail(f"headings differ from golden/docx/{golden.name}:\n{diff[:6000]}")


def test_no_stale_docx_golden_files() -> None:
    """Every docx golden file belongs to a case this module renders."""
    for path in GOLDEN.glob("*"):
        assert path.name.removesuffix(".headings.txt") in GOLDEN_CASES, f"{path.name} is stale; delete it"


@pytest.mark.parametrize("case", ALL_CASES)
def test_sections_match_markdown(case: str) -> None:
    """The Word memo has the Markdown memo's sections and sub-sections, in the same order, at every detail."""
    evaluation = api.evaluate_case(*api.load_case(ROOT / "cases" / f"{case}.yaml"))
    details = ("brief", "default", "full") if case in GOLDEN_CASES else ("default",)
    expected = {"brief": BRIEF_SECTIONS, "default": SECTIONS, "full": FULL_SECTIONS}
    for detail in details:
        sections = expected[detail]
        md = api.render_memo(evaluation, "md", detail=detail)
        norm = functools.partial(re.sub, r"\s+", " ")
        md_headings = [(len(m.group(1)), norm(m.group(2)).strip())
                       for m in re.finditer(r"^(#{1,3}) (.+)$", md, re.M)]
        style_level = {"Title": 1, "Heading 1": 2, "Heading 2": 3}
        got = [(style_level[style], text) for style, text in headings(read(_rendered(case, detail)))]
        assert got == md_headings
        assert [text for level, text in got if level == 2] == sections


def test_title_and_heading_block() -> None:
    """The memo opens with the Title "Memorandum" and a bordered To / From / Date / Re table."""
    document = read(_rendered("lpr-state-appeal-pending"))
    heading = _memo("lpr-state-appeal-pending")["heading"]
    name, first = styled(document)[0]
    assert (name, first.text) == ("Title", "Memorandum")
    block = document.tables[0]
    assert block.style is not None and block.style.name == "Table Grid"
    assert [[c.text for c in row.cells] for row in block.rows] == [
        ["To:", heading["to"]], ["From:", heading["from"]], ["Date:", heading["date"]], ["Re:", heading["re"]]]


def test_notice_gives_both_dates() -> None:
    """The legal-information notice states the law's as-of date and the memo date."""
    doc = _memo("lpr-state-appeal-pending")
    notice = next(p for p in read(_rendered("lpr-state-appeal-pending")).paragraphs
                  if p.text.startswith("Legal information, not legal advice."))
    assert f"law as of {doc['ruleset']['as_of']}; memo date {doc['as_of']}" in notice.text
    assert notice.runs[0].bold


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_brief_answer_table(case: str) -> None:
    """The brief-answer table has a repeating header row and one row per raised or undetermined finding, with
    its number and status (every finding at the full detail)."""
    for detail in ("default", "full"):
        findings = [f for f in _memo(case)["findings"] if detail == "full" or f["status"] != "not_raised"]
        table = table_with_header(read(_rendered(case, detail)), "No.", "Issue", "Severity", "Status")
        assert table.style is not None and table.style.name == "Table Grid"
        assert is_repeating_header(table)
        assert len(table.rows) == len(findings) + 1
        rows = [[c.text for c in row.cells] for row in table.rows[1:]]
        assert rows == [[str(f["number"] or "—"), f["title"], f["severity"].capitalize(), f["status_label"]]
                        for f in findings]
        for row, finding in zip(table.rows[1:], findings, strict=True):
            assert bool(row.cells[3].paragraphs[0].runs[0].bold) == (finding["status"] != "not_raised")


def test_facts_table_and_lists() -> None:
    """At the full detail, answered facts fill a Question / Answer table; unknown and not-applicable facts are
    bullet lists."""
    doc = _memo("many-unknowns")
    document = read(_rendered("many-unknowns", "full"))
    answered = [f for f in doc["facts"] if f["status"] == "answered"]
    table = table_with_header(document, "Question", "Answer")
    assert is_repeating_header(table)
    assert [[c.text for c in row.cells] for row in table.rows[1:]] == [[f["prompt"], f["display"]] for f in answered]
    bullets = set(texts_in(document, "List Bullet"))
    for fact in doc["facts"]:
        if fact["status"] != "answered":
            assert fact["prompt"] in bullets


def test_discussion_labels_are_bold_runs() -> None:
    """Each IRAC label of a raised issue is its own bold run, followed by plain text; no "Issue." paragraph
    repeats the heading; "Why." (the decisive facts, which the application already states in sentences) only
    at the full detail."""
    document = read(_rendered("lpr-state-appeal-pending"))
    raised = [f for f in _memo("lpr-state-appeal-pending")["findings"] if f["status"] == "raised"]
    labels = ("Issue.", "Rule.", "Application.", "Why.", "Counterargument.", "Conclusion.")
    found = {label: 0 for label in labels}
    for p in section_paragraphs(document, "Raised issues"):
        if p.runs and p.runs[0].text in found:
            assert p.runs[0].bold and not p.runs[1].bold
            found[p.runs[0].text] += 1
    assert found == {label: 0 if label in ("Issue.", "Why.") else len(raised) for label in labels}


def test_missing_facts_and_open_questions() -> None:
    """Undetermined findings say what they turn on (in the application's own words at the default detail; as a
    "Turns on." line at the full detail); the facts to gather are a numbered list, most decisive first, at most
    eight at the default detail (all of them at the full detail)."""
    doc = _memo("many-unknowns")
    for detail in ("default", "full"):
        document = read(_rendered("many-unknowns", detail))
        texts = section_texts(document, "Undetermined issues")
        undetermined = [f for f in doc["findings"] if f["status"] == "undetermined"]
        assert sum(t.startswith("Turns on. ") for t in texts) == (len(undetermined) if detail == "full" else 0)
        numbered = texts_in(document, "List Number")
        questions = doc["open_questions"] if detail == "full" else doc["open_questions"][:8]
        assert len(numbered) == len(questions) > 0
        for text, question in zip(numbered, questions, strict=True):
            assert text.startswith(question["prompt"])
            assert f"(decides {question['count']} issue" in text


def test_sensitivity_section() -> None:
    """"What would change the analysis" gives the five facts that matter most, one sentence each; at the full
    detail it also lists each fact and, nested, each answer that changes a finding."""
    doc = _memo("lpr-state-appeal-pending")
    texts = section_texts(read(_rendered("lpr-state-appeal-pending")), "What would change the analysis")
    assert texts == [k["sentence"] for k in doc["key_changes"]] and 0 < len(texts) <= 5
    texts = section_texts(read(_rendered("lpr-state-appeal-pending", "full")), "What would change the analysis")
    for s in doc["sensitivity"]:
        assert any(t.startswith(s["prompt"]) for t in texts)
        for alt in s["alternatives"]:
            assert any(t.startswith(f"If {alt['display']}: ") for t in texts)


def test_table_of_authorities_has_every_citation() -> None:
    """Every cited authority appears under its kind with the numbers of the issues citing it (and, at the full
    detail, its proposition)."""
    doc = _memo("lpr-state-appeal-pending")
    for detail in ("default", "full"):
        texts = section_texts(read(_rendered("lpr-state-appeal-pending", detail)), "Table of authorities")
        assert [g["title"] for g in doc["authority_kinds"]] == [t for t in texts if t in
                                                                 {g["title"] for g in doc["authority_kinds"]}]
        for a in doc["authorities"]:
            entry = next(t for t in texts if t.startswith(a["citation"]))
            assert (a["proposition"] in entry) == (detail == "full")
            numbers = [str(n) for n in a["cited_by_numbers"]]
            listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 else numbers[0]
            assert entry.endswith(f"{'Issue' if len(numbers) == 1 else 'Issues'} {listed}.")
            assert "(citation not verified)" not in entry


def test_unverified_citations_are_marked() -> None:
    """An unverified authority is marked in the table of authorities and in each discussion that cites it."""
    doc = memo()
    unverified = doc["authorities"][0]
    unverified["verified"] = False
    document = read(render_docx(doc, detail="full"))
    marked = f"{unverified['citation']} (citation not verified)"
    toa = section_texts(document, "Table of authorities")
    assert any(t.startswith(marked) for t in toa)
    assert sum(t.startswith(marked) for t in toa) == 1
    discussion = section_texts(document, "Raised issues") + section_texts(document, "Undetermined issues")
    assert [t for t in discussion if "(citation not verified)" in t] == [marked] * len(unverified["cited_by"])
    for run in (r for p in document.paragraphs for r in p.runs if r.text == " (citation not verified)"):
        assert run.bold and run.italic


def test_authority_urls_are_hyperlinks() -> None:
    """A web address in the table of authorities is an external hyperlink; other addresses are not linked."""
    doc = memo()
    with_url = [a for a in doc["authorities"] if a["url"]]
    assert with_url
    doc["authorities"][0]["url"] = "javascript:alert(1)"
    document = read(render_docx(doc, detail="full"))
    targets = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    assert {a["url"] for a in with_url} <= targets
    assert "javascript:alert(1)" not in targets


def test_footer_has_page_fields_and_generator() -> None:
    """The footer shows the generator and "Page N of M" built from real PAGE and NUMPAGES fields."""
    document = read(_rendered("lpr-state-appeal-pending"))
    footer = document.sections[0].footer
    assert not footer.is_linked_to_previous
    xml = footer._element.xml
    instructions = [el.text for el in footer._element.iter(qn("w:instrText"))]
    assert [i.strip() for i in instructions if i] == ["PAGE", "NUMPAGES"]
    kinds = [el.get(qn("w:fldCharType")) for el in footer._element.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"] * 2
    assert "Page " in xml and " of " in xml
    text = footer.paragraphs[0].text
    assert text.startswith("transferlaw ") and "memo date 2026-03-01" in text


def test_privilege_legend_only_when_asked() -> None:
    """The privilege legend is in the page header only when asked for, by argument or by the heading block."""
    doc = memo()
    doc["heading"]["privileged"] = None
    assert header_text(read(render_docx(doc))) == ""
    assert LEGEND not in "".join(p.text for p in read(render_docx(doc)).paragraphs)
    asked = read(render_docx(doc, privileged=LEGEND))
    assert header_text(asked) == LEGEND
    assert asked.sections[0].header.paragraphs[0].runs[0].bold
    doc["heading"]["privileged"] = "PRIVILEGED"
    assert header_text(read(render_docx(doc))) == "PRIVILEGED"
    assert header_text(read(render_docx(doc, privileged=LEGEND))) == LEGEND
    del doc["heading"]["privileged"]
    assert header_text(read(render_docx(doc))) == ""


def test_page_setup_and_fonts() -> None:
    """Letter paper with 1-inch margins, and a 12-point serif Normal style."""
    document = read(_rendered("dual-national-consents"))
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (docx.shared.Inches(8.5), docx.shared.Inches(11))
    for margin in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin):
        assert margin == docx.shared.Inches(1)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size == docx.shared.Pt(11)


def test_core_properties_are_fixed() -> None:
    """Title, subject, author and dates come from the memo, not from the clock."""
    doc = _memo("lpr-state-appeal-pending")
    props = read(_rendered("lpr-state-appeal-pending")).core_properties
    assert props.title == doc["heading"]["re"]
    assert props.subject == doc["ruleset"]["title"]
    assert props.author == "transferlaw"
    assert props.revision == 1
    day = dt.date.fromisoformat(doc["as_of"])
    for stamp in (props.created, props.modified, props.last_printed):
        assert stamp is not None and stamp.date() == day


def test_output_is_deterministic() -> None:
    """The same document renders to identical bytes, with sorted entries and fixed zip timestamps."""
    doc = memo("many-unknowns")
    first = render_docx(doc, privileged=LEGEND)
    assert render_docx(copy.deepcopy(doc), privileged=LEGEND) == first
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        infos = package.infolist()
        assert package.testzip() is None
    names = [i.filename for i in infos]
    assert names[0] == "[Content_Types].xml" and names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_hostile_text_stays_literal() -> None:
    """Markup, entities and control characters in case text are written as literal text, never interpreted."""
    evil = 'Doe <w:p><w:r><w:t>x</w:t></w:r></w:p> & "Roe" &amp; ]]> {{ x }} **bold** \x07\x00'
    literal = 'Doe <w:p><w:r><w:t>x</w:t></w:r></w:p> & "Roe" &amp; ]]> {{ x }} **bold**'
    doc = memo()
    doc["heading"]["re"] = evil
    doc["case"]["notes"] = evil + "\n\nSecond paragraph."
    doc["findings"][0]["title"] = evil
    doc["facts"][0]["display"] = evil
    doc["facts"][0]["status"] = "answered"
    data = render_docx(doc, detail="full")
    document = read(data)
    assert document.core_properties.title == literal
    assert document.tables[0].rows[3].cells[1].text == literal
    quotes = texts_in(document, "Quote")
    assert quotes == [literal, "Second paragraph."]
    assert table_with_header(document, "No.", "Issue", "Severity", "Status").rows[1].cells[1].text == literal
    assert [literal] == [row.cells[1].text for row in table_with_header(document, "Question", "Answer").rows
                         if row.cells[0].text == doc["facts"][0]["prompt"]]
    assert any(text.startswith(f"1. {literal} — ") for _, text in headings(document))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml").decode("utf-8")
    assert "<w:p><w:r><w:t>x" not in body and "&lt;w:p&gt;" in body


def test_empty_memo_sections() -> None:
    """A memo with nothing to discuss still has every section, each saying so (at every detail)."""
    doc = memo()
    doc["findings"] = []
    for key in ("authorities", "authority_kinds", "open_questions", "sensitivity", "key_changes", "not_raised_groups"):
        doc[key] = []
    doc["case"]["notes"] = None
    for fact in doc["facts"]:
        fact["status"] = "unknown"
    for detail, sections in (("brief", BRIEF_SECTIONS), ("default", SECTIONS)):
        document = read(render_docx(doc, detail=detail))
        assert [text for style, text in headings(document) if style == "Heading 1"] == sections
    document = read(render_docx(doc, detail="full"))
    assert [text for style, text in headings(document) if style == "Heading 1"] == FULL_SECTIONS
    body = [p.text for p in document.paragraphs]
    for sentence in ("The case file answers none of the rule set's questions.",
                     "No issue is raised on the facts given.",
                     "None: every issue is either raised or not raised on the facts given.",
                     "None: every issue in the rule set is raised or undetermined on the facts given.",
                     "None: no unknown fact could change a finding.",
                     "No single fact, answered differently, would change any finding.",
                     "No authorities are cited by the issues discussed."):
        assert sentence in body
    assert len(document.tables) == 1  # the heading block only


def test_closes_with_disclaimer_and_generator() -> None:
    """The memo ends with the disclaimer and the generator line."""
    doc = _memo("lpr-state-appeal-pending")
    last = [p.text for p in read(_rendered("lpr-state-appeal-pending")).paragraphs][-2:]
    assert last[0] == f"Disclaimer. {' '.join(doc['disclaimer'].split())}"
    assert last[1].startswith(f"Generated by transferlaw {doc['generator']['version']} · rule set ")
    assert last[1].endswith(f"memo date {doc['as_of']}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice not installed")
def test_libreoffice_converts_to_pdf(tmp_path: Path) -> None:
    """LibreOffice opens the .docx and converts it to a non-trivial PDF."""
    source = tmp_path / "memo.docx"
    source.write_bytes(render_docx(memo(), privileged=LEGEND))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office is not None
    profile = (tmp_path / "profile").as_uri()  # a private profile: no clash with a running LibreOffice
    result = subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                             "--outdir", str(tmp_path), str(source)], capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "memo.pdf"
    assert pdf.exists(), f"no PDF: {result.stdout}\n{result.stderr}"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
