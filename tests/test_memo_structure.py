"""The memo a supervising attorney reads (issue 15, points 3-5): its sections and their order at each detail
(brief, default, full) in Markdown, HTML and Word; the word budgets; no internal id in a memo's text; the HTML
memo's table of contents, printed page numbers and narrow screens; and the CLI's --detail option."""

from __future__ import annotations

import functools
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner

from transferlaw import api
from transferlaw.cli import cli

from .conftest import ROOT

CASES = sorted(p.stem for p in (ROOT / "cases").glob("*.yaml"))
DEFAULT = ["Question presented", "Brief answer", "Facts to gather first", "Raised issues", "Undetermined issues",
           "What would change the analysis", "Table of authorities", "Appendix: issues not raised"]
BRIEF = ["Question presented", "Brief answer", "Facts to gather first", "Raised issues"]
FULL = ["Question presented", "Brief answer", "Facts", *DEFAULT[2:]]
BUDGETS = {"citizen-federal-no-consent": 7_000, "many-unknowns": 9_000}
"""Words (``len(text.split())``) of the Markdown memo at the default detail."""


@functools.cache
def _evaluation(case: str) -> api.Evaluation:
    return api.evaluate_case(*api.load_case(ROOT / "cases" / f"{case}.yaml"))


@functools.cache
def _document(case: str) -> dict[str, Any]:
    return api.memo_document(_evaluation(case))


@functools.cache
def rendered(case: str, fmt: str = "md", detail: str = "default") -> str:
    return api.render_document(_document(case), fmt, detail=detail).decode("utf-8")


def sections(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.M)


def ids_of(ruleset: api.RuleSet) -> set[str]:
    """The rule set's question, issue, conclusion and choice ids that a reader could mistake for words (those
    with an underscore)."""
    found = {q.id for q in ruleset.questions} | {i.id for i in ruleset.issues}
    found |= {c.id for c in ruleset.conclusions}
    found |= {value for q in ruleset.questions for value, _ in q.choices}
    return {ident for ident in found if "_" in ident}


_MD_ANCHOR = re.compile(r'<a id="[^"]*"></a>|\]\(#[^)]*\)')
_HTML_TAG = re.compile(r"<[^>]*>")


def visible_text(text: str, fmt: str) -> str:
    """The memo's text without link anchors (Markdown) or tags and their attributes (HTML)."""
    return _MD_ANCHOR.sub("", text) if fmt == "md" else _HTML_TAG.sub(" ", text.split("<body>", 1)[1])


@pytest.mark.parametrize("case", sorted(BUDGETS))
def test_word_budget_at_the_default_detail(case: str) -> None:
    """The Markdown memo at the default detail stays within its word budget (issue 15, point 4)."""
    words = len(rendered(case).split())
    assert words <= BUDGETS[case], f"{case}: {words} words, budget {BUDGETS[case]}"


def printed_ids(case: str, details: tuple[str, ...]) -> list[str]:
    ids = ids_of(_evaluation(case).ruleset)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True))) + r")(?![\w-])")
    return [f"{fmt}/{detail}: {ident}" for fmt in ("md", "html") for detail in details
            for ident in sorted(set(pattern.findall(visible_text(rendered(case, fmt, detail), fmt))))]


@pytest.mark.parametrize("case", CASES)
def test_no_internal_id_in_a_memo(case: str) -> None:
    """No question, issue, conclusion or choice id appears in a bundled case's Markdown or HTML memo, at the
    brief and default details, outside link anchors and attributes."""
    assert printed_ids(case, ("brief", "default")) == []


@pytest.mark.parametrize("case", CASES)
def test_no_internal_id_in_a_full_memo(case: str) -> None:
    """Nor at the full detail, which also prints the questions' help texts."""
    assert printed_ids(case, ("full",)) == []


@pytest.mark.parametrize("case", CASES)
def test_sections_in_order(case: str) -> None:
    """Each detail has its sections, in order; the default one has no "Issue." paragraph and no full what-if
    matrix, and numbers each raised and undetermined issue."""
    assert sections(rendered(case, detail="default")) == DEFAULT
    assert sections(rendered(case, detail="brief")) == BRIEF
    assert sections(rendered(case, detail="full")) == FULL
    text = rendered(case)
    assert "**Issue.**" not in text and "Every change, fact by fact" not in text
    live = [f for f in _document(case)["findings"] if f["status"] != "not_raised"]
    assert [f["number"] for f in live] == list(range(1, len(live) + 1))
    headings = re.findall(r"^### (\d+)\. ", text, re.M)
    assert headings == [str(f["number"]) for f in live]


def test_brief_and_full_differ_as_specified() -> None:
    """brief: the brief answer, the facts to gather and the raised issues' conclusions and next steps only;
    full: every section of the old memo (the facts as given, every open question, the full what-if matrix)."""
    case = "many-unknowns"
    doc = _document(case)
    brief, default, full = (rendered(case, detail=d) for d in ("brief", "default", "full"))
    assert len(brief.split()) < len(default.split()) < len(full.split())
    assert "**Rule.**" not in brief and "**Counterargument.**" not in brief and "**Conclusion.**" in brief
    assert "**Next steps:**" in brief
    assert "**Rule.**" in default and "**Turns on.**" not in default and "**Turns on.**" in full
    assert "### Facts as given" in full and "### Every change, fact by fact" in full
    assert "### Facts as given" not in default
    for q in doc["open_questions"]:
        assert q["prompt"] in full
    gathered = re.findall(r"^\d+\. .+\(decides \d+ issues?", default.split("## Raised issues")[0], re.M)
    assert len(gathered) == min(8, len(doc["open_questions"]))
    matrix = full.split("### Every change, fact by fact")[1].split("## Table of authorities")[0]
    for entry in doc["sensitivity"]:
        assert entry["prompt"] in matrix
    key_changes = default.split("## What would change the analysis")[1].split("## Table of authorities")[0]
    assert len(re.findall(r"^- If ", key_changes, re.M)) == len(doc["key_changes"]) <= 5


def test_not_raised_issues_appear_once_in_the_appendix() -> None:
    """At the default detail, each issue not raised is named once, in the appendix, under the reason it does not
    arise (issues that share a reason share its line)."""
    case = "citizen-federal-no-consent"
    text = rendered(case)
    appendix = text.split("## Appendix: issues not raised")[1]
    before, after = text.split("## What would change the analysis")
    outside = before + after.split("## Table of authorities")[1]  # a what-if sentence may name one
    for f in _document(case)["findings"]:
        if f["status"] == "not_raised":
            assert outside.count(f["title"]) == 1 and f["title"] in appendix
    groups = _document(case)["not_raised_groups"]
    assert appendix.count("\n- ") == len(groups) < sum(len(g["issues"]) for g in groups)
    assert all(g["why"] in appendix for g in groups)


def test_table_of_authorities_gives_issue_numbers() -> None:
    """Each authority lists the numbers of the issues that cite it, not their titles."""
    case = "citizen-federal-no-consent"
    doc = _document(case)
    toa = rendered(case).split("## Table of authorities")[1].split("## Appendix")[0]
    for a in doc["authorities"]:
        line = next(line for line in toa.splitlines() if line.startswith(f"- {a['citation']}"))
        numbers = [str(n) for n in a["cited_by_numbers"]]
        listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 else numbers[0]
        assert line.endswith(f"{'Issue' if len(numbers) == 1 else 'Issues'} {listed}.*")
        assert not any(f["title"] in line for f in doc["findings"])


def test_json_carries_everything_whatever_the_detail() -> None:
    """JSON ignores the detail: the document, with every field."""
    case = "many-unknowns"
    assert len({rendered(case, "json", d) for d in api.DETAILS}) == 1
    doc = json.loads(rendered(case, "json"))
    assert doc["sensitivity"] and doc["key_changes"] and all("number" in f for f in doc["findings"])


def test_docx_has_the_same_sections() -> None:
    """The Word memo's Heading 1 paragraphs are the Markdown memo's sections, at each detail."""
    case = "many-unknowns"
    for detail, expected in (("brief", BRIEF), ("default", DEFAULT), ("full", FULL)):
        document = docx.Document(io.BytesIO(api.render_document(_document(case), "docx", detail=detail)))
        names = {style.style_id: style.name for style in document.styles}
        got = [p.text for p in document.paragraphs if names.get(p._p.style or "Normal") == "Heading 1"]
        assert got == expected


def test_html_has_contents_page_numbers_and_every_section() -> None:
    """The HTML memo opens with a table of contents linking every section and issue, numbers its printed pages
    with @page margin boxes, and keeps its tables inside a scrolling box."""
    case = "many-unknowns"
    html = rendered(case, "html")
    toc = html.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    for anchor in ("question-presented", "brief-answer", "facts-to-gather", "raised", "undetermined",
                   "sensitivity", "authorities", "not-raised"):
        assert f'href="#{anchor}"' in toc and f'id="{anchor}"' in html
    for f in _document(case)["findings"]:
        assert (f'href="#issue-{f["id"]}"' in toc) == (f["status"] != "not_raised")
    assert re.search(r"@page\s*\{[^}]*@bottom-center\s*\{[^}]*counter\(page\)", html)
    assert '<div class="table-wrap">' in html


@pytest.mark.slow
def test_html_has_no_sideways_scroll_at_390_px() -> None:
    """On a 390 px wide screen the page never scrolls sideways (a table may scroll inside its own box)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no chromium executable")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            for case in ("many-unknowns", "citizen-federal-no-consent"):
                for detail in api.DETAILS:
                    page.set_content(rendered(case, "html", detail))
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 390, f"{case} ({detail}): {width} px wide"
        finally:
            browser.close()


def test_cli_detail_option(tmp_path: Path) -> None:
    """`run --detail` chooses the detail (default: default); `batch --detail` too, and a changed detail rewrites
    the memos the manifest had kept."""
    runner = CliRunner()
    case = str(ROOT / "cases" / "many-unknowns.yaml")
    outputs = {}
    for detail in api.DETAILS:
        result = runner.invoke(cli, ["run", case, "--detail", detail])
        assert result.exit_code == 0, result.output
        outputs[detail] = result.stdout
    assert runner.invoke(cli, ["run", case]).stdout == outputs["default"]
    assert sections(outputs["brief"]) == BRIEF and sections(outputs["full"]) == FULL
    assert runner.invoke(cli, ["run", case, "--detail", "everything"]).exit_code == 2
    out = tmp_path / "memos"
    for detail, expect in (("brief", BRIEF), ("brief", BRIEF), ("full", FULL)):
        result = runner.invoke(cli, ["batch", case, "-o", str(out), "-j", "1", "--detail", detail])
        assert result.exit_code == 0, result.output
        [memo] = out.glob("*.md")
        assert sections(memo.read_text(encoding="utf-8")) == expect
    assert "0 written, 1 up to date" in runner.invoke(cli, ["batch", case, "-o", str(out), "-j", "1",
                                                            "--detail", "full"]).stdout


def test_brief_answer_names_what_to_gather_or_what_would_change() -> None:
    """The brief answer ends with the fact to gather first when facts are missing, and otherwise with the answers
    that would change the analysis most, in words from the questions' phrasings (never an id or "not known")."""
    complete = _document("citizen-federal-no-consent")
    assert complete["open_questions"] == []
    # the designation under § 3621(b) makes the confinement the government's request whatever else is answered,
    # so the levers are the destination's documented conditions and whether the move has happened
    assert ("The answers that would change the analysis most: which conditions are documented at the "
            "destination") in complete["brief_answer"]
    assert "not known" not in complete["brief_answer"]
    incomplete = _document("many-unknowns")
    first = incomplete["open_questions"][0]
    assert f"The first fact to gather: {first['prompt']}" in incomplete["brief_answer"]
    assert first["high"] == max(q["high"] for q in incomplete["open_questions"])


def test_brief_answer_gives_the_answer_first() -> None:
    """The brief answer opens with what the transfer raises and names the three most serious issues by number and
    title, in the memo's order (memo-style.md: the answer first)."""
    document = _document("citizen-federal-no-consent")
    brief = document["brief_answer"]
    summary, total = document["summary"], len(document["findings"])
    levels = " and ".join(f"{summary['raised_by_severity'][s]} {s}" for s in ("high", "medium", "low"))
    levels = levels.replace(" and ", ", ", 1)
    assert brief.startswith(f"On these facts, the transfer raises {summary['raised']} issues ({levels} severity).")
    top = [f for f in document["findings"] if f["status"] == "raised"][:3]
    assert f"The most serious are issue 1, \u201c{top[0]['title']}\u201d; issue 2, \u201c{top[1]['title']}\u201d; " \
           f"and issue 3, \u201c{top[2]['title']}\u201d." in brief
    assert f"the other {summary['not_raised']} of the {total} issues checked do not arise" in brief


def test_memo_calls_the_person_by_the_name_the_case_gives(tmp_path: Path) -> None:
    """`memo: person:` is written for "the person" in the memo's prose (titles, texts, brief answer, facts to
    gather); without it the memo keeps "the person"."""
    named = rendered("citizen-federal-no-consent")
    assert "Mr. Whitaker is a U.S. citizen by birth in the United States" in named
    prose = named.split("## Table of authorities")[0]
    assert not re.search(r"\b[Tt]he person\b", prose)
    source = (ROOT / "cases" / "citizen-federal-no-consent.yaml").read_text(encoding="utf-8")
    anonymous = tmp_path / "case.yaml"
    anonymous.write_text(source.replace("memo:\n  person: Mr. Whitaker\n", ""), encoding="utf-8")
    memo = api.render_memo(api.evaluate_case(*api.load_case(anonymous)), "md")
    assert "Mr. Whitaker" not in memo and "The person is a U.S. citizen by birth" in memo
    assert _document("citizen-federal-no-consent")["heading"]["person"] == "Mr. Whitaker"


def test_what_would_change_proposes_realistic_changes() -> None:
    """The few "what would change" sentences never propose another answer to a fixed question (age, how
    citizenship was acquired, who holds the person, where the case stands) and change a list by one item (or
    empty it), never by several at once; the full matrix still lists them."""
    for case in ("citizen-federal-no-consent", "dual-national-consents", "withholding-order", "many-unknowns"):
        evaluation = _evaluation(case)
        document = _document(case)
        facts = evaluation.case.facts
        for change in document["key_changes"]:
            question = evaluation.ruleset.question_by_id[change["id"]]
            assert not question.fixed, (case, change["id"])
            if question.type == "multi" and change["value"]:
                before = set(facts.get(question.id) or ())
                assert len(before ^ set(change["value"])) == 1, (case, change["sentence"])
    fixed = {row["id"] for row in _document("dual-national-consents")["sensitivity"]}
    assert "age_years" in fixed  # the full matrix keeps what the short list leaves out


def test_reasoning_tree_reads_in_the_memos_words() -> None:
    """Every node of every reasoning tree says whether it is met and what it asks, from the phrasings and the
    conclusions' titles: no TRUE/FALSE, no id, no question prompt."""
    document = _document("many-unknowns")
    ruleset = _evaluation("many-unknowns").ruleset
    ids = ids_of(ruleset)
    prompts = {q.prompt for q in ruleset.questions}
    seen = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal seen
        seen += 1
        line = node["summary"]
        assert re.match(r"(Met|Not met|Not known): \S", line), line
        assert not re.search(r"\b(TRUE|FALSE|true|false)\b", line), line
        assert not any(re.search(rf"\b{re.escape(i)}\b", line) for i in ids if "_" in i), line
        assert not any(p in line for p in prompts), line
        for child in node["children"]:
            walk(child)

    for item in (*document["findings"], *document["conclusions"]):
        walk(item["explanation"])
    assert seen > 100
    full = rendered("many-unknowns", "html", "full")
    assert "Not known: whether" in full and "Met: all " in full


def test_a_disputed_answer_is_never_stated_as_a_fact() -> None:
    """An answer the rule set marks `disputed_by` a question answered yes (citizenship, when the government
    disputes it) reads as a disputed claim in "Why", and the issue's application calls it a claim."""
    case = ROOT / "tests" / "review" / "cases" / "21-derived-citizenship-claim-ice.yaml"
    document = api.memo_document(api.evaluate_case(*api.load_case(case)))
    finding = next(f for f in document["findings"] if f["id"] == "citizen_not_removable")
    assert "U.S. citizen by acquisition or derivation through a parent (a disputed claim)" in finding["why"]
    assert "claims U.S. citizenship or nationality" in finding["application"]
    for f in document["findings"]:
        assert "through a parent and" not in f["why"] and not f["why"].endswith("through a parent.")


@pytest.mark.parametrize("name", CASES)
def test_every_text_renders_for_any_part_of_a_case(name: str) -> None:
    """An interview passes through partial cases the bundled ones never show: with any subset of a bundled
    case's facts (a fixed sample of them), every issue's texts render; an undetermined text that lists what it
    turns on never meets an empty list (the browser test found one that did)."""
    import dataclasses
    import random

    case, ruleset = api.load_case(ROOT / "cases" / f"{name}.yaml")
    items = sorted(case.facts.items())
    sample = random.Random(name)
    for _ in range(3):
        part = dict(sample.sample(items, sample.randint(0, len(items))))
        memo = api.render_memo(api.evaluate_case(dataclasses.replace(case, facts=part), ruleset), "md")
        assert "turns on ." not in memo and "turns on  " not in memo
