"""The authorities of every bundled rule set: defined, cited in the right form for their kind, and never
printed as settled when unverified."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from transferlaw import api
from transferlaw.language.model import Authority
from transferlaw.language.model import RuleSet

from .conftest import DATA
from .conftest import MINI_RULES
from .conftest import ROOT

RULESETS = [api.load_ruleset(p.parent) for p in sorted((ROOT / "rules").glob("*/ruleset.yaml"))]
ALL = [(r, a) for r in RULESETS for a in r.authorities]
NOTES = {(path.relative_to(ROOT / "rules").parts[0], item["id"]): item.get("note", "")
         for path in sorted((ROOT / "rules").glob("*/**/*.yaml")) if "tests" not in path.parts
         for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("authorities", [])}
"""Each authority's provenance note, read from the rule-set files (the model keeps no notes)."""

_YEAR = r"\b(1[789]\d\d|20\d\d)\b"
_DATE = r"(Jan|Feb|Mar|Apr|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"
_REPORTER = (r"\d+ (U\.S\.( \(\d+ (Pet|Wheat|Cranch|How|Wall|Black|Dall)\.\))?|S\. Ct\.|F\. ?(2d|3d|4th)"
             r"|F\. Supp\.( ?2d| ?3d)?|F\. App'x|WL) (\d+|___)")
FORMS: dict[str, list[str]] = {
    # Meachum v. Fano, 427 U.S. 215 (1976); J.G.G. v. Trump, No. 1:25-cv-00766 (D.D.C. Dec. 22, 2025)
    "case": [rf"^((In re|Ex parte) [^,]+|[^,]+ v\. [^,]+)(, [^,]+)*, ({_REPORTER}|No\. [\w:.\-]+).*\(.*{_YEAR}\)",
             # a Board of Immigration Appeals precedent: Matter of Lok, 18 I. & N. Dec. 101 (B.I.A. 1981)
             rf"^Matter of [^,]+, \d+ I\. & N\. Dec\. \d+ \(B\.I\.A\. {_YEAR}\)"],
    # 18 U.S.C. § 4100(b); Foreign Affairs Reform and Restructuring Act of 1998, Pub. L. No. 105-277, ...
    "statute": [r"^\d+ U\.S\.C\. §§? ?\d+[a-z]?(-\d+)?(\([\w]+\))*", r"Pub\. L\. No\. \d+-\d+",
                # Juvenile Justice and Delinquency Prevention Act of 1974 § 223(a), 34 U.S.C. § 11133(a)
                r"^[A-Z][\w .,'-]* Act of \d{4}( § [\w()]+)?, \d+ U\.S\.C\. § \d+",
                # state codes: Ariz. Rev. Stat. § 31-491; Haw. Rev. Stat. § 353-16.2; Cal. Penal Code § 11191
                r"^[A-Z][A-Za-z.' ]*(Stat|Code|Laws)\.?( Ann\.)? §§? ?\d"],
    # U.S. Const. amend. XIV, § 1; U.S. Const. art. I, § 9, cl. 2
    "constitution": [r"^U\.S\. Const\. (amend\. [IVXL]+|art\. [IVX]+)(, § \d+)?(, cl\. \d+)?$",
                     # a foreign constitution in its own language: Constitución de la República de El Salvador art. 11
                     r"^Constitución de la República de [A-Z][\w ]+ \(\d{4}\) art\. \d+"],
    "treaty": [rf"{_DATE}.*(U\.N\.T\.S\.|U\.S\.T\.|T\.I\.A\.S\.|S\. Treaty Doc\.|O\.A\.S\.T\.S\.|E\.T\.S\."
               r"|\d+ Stat\. \d+|T\.S\. No\. \d+)",
               # the Senate's reservations to a treaty, in the Congressional Record
               rf"\d+ Cong\. Rec\. S\d+.*\(daily ed\. {_DATE}\)"],
    "regulation": [r"^\d+ C\.F\.R\. (§§? ?|pt\. )\d+", r"^[A-Z][A-Za-z.' ]*Admin\. (Code|R\.)( r\.| §)? ?[\d\w]"],
    # Fed. R. Crim. P. 43; Fed. R. Civ. P. 65(d)(2)
    "rule": [r"^Fed\. R\. (Civ|Crim|App|Evid)\. P\. \d+(\([\w]+\))*$"],
    "executive": [rf"^(Proclamation|Exec(utive)? Order|Exec\. Order) No\. \d+, \d+ Fed\. Reg\. \d[\d,]* \({_DATE}\)",
                  rf"\({_DATE}\)|\(updated {_YEAR}|{_YEAR}\)"],
    "soft_law": [rf"(G\.A\. Res\.|U\.N\. Doc\.).*{_YEAR}",
                 # a UN body named with the resolutions that created and renewed it
                 r"(Comm'n on Human Rights|Human Rights Council) Res\. \d+/\d+",
                 # Advisory Opinion OC-8/87, Inter-Am. Ct. H.R. (ser. A) No. 8 (Jan. 30, 1987)
                 rf"Advisory Opinion OC-\d+/\d+, Inter-Am\. Ct\. H\.R\. \(ser\. A\) No\. \d+ \({_DATE}\)"],
    "report": [rf"\({_DATE}\)"],
}


@pytest.mark.parametrize(("ruleset", "authority"), ALL, ids=[f"{r.id}::{a.id}" for r, a in ALL])
def test_citation_has_the_form_of_its_kind(ruleset: RuleSet, authority: Authority) -> None:
    """Each citation reads as its kind should: a reporter or docket and a year for cases, U.S.C. for
    statutes, the Constitution's article or amendment form, a treaty series with a date, and so on."""
    text = " ".join(authority.citation.split())
    forms = FORMS[authority.kind]
    note = NOTES.get((ruleset.id, authority.id), "")
    if authority.kind == "treaty" and "cites were not seen" in note:
        forms = [*forms, rf"{_DATE}$"]  # a treaty whose series cite could not be verified: its name and date
    assert any(re.search(form, text) for form in forms), (
        f"{authority.pos}: {authority.citation!r} is not in the usual form for a {authority.kind}")
    assert "  " not in authority.citation and not authority.citation.endswith(".")
    if authority.year is not None:
        assert str(authority.year) in text or authority.kind in ("statute", "constitution")


@pytest.mark.parametrize("ruleset", RULESETS, ids=[r.id for r in RULESETS])
def test_every_cited_authority_is_defined_and_used(ruleset: RuleSet) -> None:
    """Every id an issue cites is defined, and every defined authority is cited by some issue."""
    cited = {a for issue in ruleset.issues for a in issue.authorities}
    assert cited <= set(ruleset.authority_by_id)
    unused = set(ruleset.authority_by_id) - cited
    assert not unused, f"authorities never cited: {sorted(unused)}"


@pytest.mark.parametrize("ruleset", RULESETS, ids=[r.id for r in RULESETS])
def test_issues_rely_on_authority(ruleset: RuleSet) -> None:
    """Every issue cites at least one authority, and the same id at most once."""
    for issue in ruleset.issues:
        assert issue.authorities, f"{issue.pos}: issue '{issue.id}' cites nothing"
        assert len(set(issue.authorities)) == len(issue.authorities), issue.id


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_unverified_authority_is_never_printed_as_settled(fmt: str) -> None:
    """An authority marked verified: false is flagged wherever its citation is printed."""
    memo = api.run(DATA / "cases" / "mini-unknowns.yaml", fmt, [MINI_RULES])
    citation = "1 U.S.C. § 1"
    assert citation in memo
    marker = "citation not verified"
    for match in re.finditer(re.escape(citation), memo):
        window = memo[match.end():match.end() + 200]
        assert marker in window, f"unflagged citation in {fmt}: …{memo[match.start():match.end() + 80]}…"


def test_flagship_unverified_authorities_are_flagged_in_bundled_memos() -> None:
    """In every bundled memo, each unverified flagship authority that is printed carries the marker."""
    flagship = next(r for r in RULESETS if r.id == "foreign-prison-transfer")
    unverified = [a for a in flagship.authorities if not a.verified]
    for golden in sorted((ROOT / "tests" / "golden").glob("*.md")):
        memo = golden.read_text(encoding="utf-8")
        for authority in unverified:
            for match in re.finditer(re.escape(authority.citation), memo):
                assert "citation not verified" in memo[match.end():match.end() + 200], (golden.name, authority.id)


def test_mini_fixture_exists() -> None:
    """The unverified-marker test runs against the mini rule set, which has an unverified statute."""
    assert not api.load_ruleset(Path(MINI_RULES / "mini")).authority_by_id["statute-b"].verified
