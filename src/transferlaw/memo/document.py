"""Build the memo document (docs/memo-json.md): an evaluation as plain, ordered data.

The JSON output is this document, and the Markdown and HTML templates render it, so the formats never
disagree. Rule-set text is rendered here, in the sandbox (``authored``, results kept by the prepared rule set's
``textcache.TextCache``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .._version import __version__
from ..engine import sensitivity
from ..engine.evaluate import engine_label
from ..engine.workspace import Prepared
from ..language.conditions import parse_date
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.model import AUTHORITY_KINDS
from ..language.model import SEVERITIES
from ..language.model import STATUS_LABELS
from ..language.model import Contains
from ..language.model import Evaluation
from ..language.model import Explanation
from ..language.model import Finding
from ..language.model import MemoMeta
from ..language.model import Question
from ..language.model import Reason
from ..language.model import RuleSet
from ..language.model import Text
from ..language.model import Tri
from ..language.model import Value
from .briefing import brief_answer
from .briefing import gather_first
from .briefing import issue_numbers
from .briefing import key_changes
from .briefing import plain
from .display import fact_display
from .phrases import choice_phrase
from .phrases import joined
from .phrases import named
from .phrases import phrase
from .phrases import sentence
from .phrases import tree_line
from .textcache import TextCache

SCHEMA = "transferlaw.memo"
SCHEMA_VERSION = 2
DEFAULT_DISCLAIMER = (
    "This memo is legal information generated from a rule set for study and advocacy preparation. It is "
    "not legal advice, it does not create a lawyer-client relationship, and it is no substitute for the "
    "judgement of a lawyer who knows the full facts. The law stated is current only to the as-of date "
    "shown; later statutes, decisions and events may change the analysis."
)


def memo_date(evaluation: Evaluation, date: dt.date | str | None = None) -> dt.date:
    """The memo's date: ``date`` (a date or ``YYYY-MM-DD``), else the case's as_of, else the rule set's (never
    the clock)."""
    if isinstance(date, str):
        parsed = parse_date(date)
        if parsed is None:
            raise SourceError(Diagnostic(Position("--date"), f"invalid date {date!r}", "use YYYY-MM-DD"))
        return parsed
    return date or evaluation.case.as_of or evaluation.ruleset.as_of


def _yes_no(value: Tri) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def text_context(evaluation: Evaluation, as_of: dt.date) -> dict[str, Any]:
    """The names rule-set text may use, for an evaluated case: facts, answer, phrase, known, conclusions, case,
    as_of (and status, set per finding)."""
    conclusions = {c.conclusion.id: c.value for c in evaluation.conclusions}
    return names_for(evaluation.ruleset, evaluation.case.facts, conclusions, evaluation.case.title, as_of)


def names_for(ruleset: RuleSet, facts: Mapping[str, Value], conclusions: Mapping[str, Tri], title: str,
              as_of: dt.date, status: str | None = None) -> dict[str, Any]:
    """The names rule-set text may use, from a case's facts and conclusions (also for texts rendered outside a
    memo, as ``check`` renders them)."""
    return {
        "facts": {q.id: plain(facts.get(q.id)) for q in ruleset.questions},
        "answer": {q.id: fact_display(q, facts.get(q.id)) for q in ruleset.questions},
        "phrase": {q.id: phrase(q, facts.get(q.id)) for q in ruleset.questions},
        "known": {q.id: q.id in facts for q in ruleset.questions},
        "conclusions": dict(conclusions),
        "case": {"title": title},
        "as_of": as_of.isoformat(),
        "status": status,
    }


def build(evaluation: Evaluation, *, as_of: dt.date, prepared: Prepared,
          meta: MemoMeta | None = None) -> dict[str, Any]:
    """The memo document for an evaluation, dated ``as_of``; ``meta`` overrides the case's memo heading.
    ``prepared`` is the evaluation's rule set as its workspace prepared it: its text and tree caches are used."""
    ruleset, case = evaluation.ruleset, evaluation.case
    texts = prepared.own(TextCache, TextCache)
    meta = _merge(case.memo, meta)
    context = text_context(evaluation, as_of)

    def render(text: Text) -> str:
        return texts.render(text, context)

    nodes: dict[int, dict[str, Any]] = {}  # shared subtrees of the reasoning trees, converted once
    per_status = {status: {**context, "status": status} for status in ("raised", "undetermined", "not_raised")}
    numbers = issue_numbers(evaluation)
    findings = [_finding(f, evaluation, lambda text, f=f: texts.render(text, per_status[f.status]), nodes,
                         prepared, numbers.get(f.issue.id)) for f in evaluation.findings]
    counts = {s: sum(1 for f in evaluation.findings if f.status == s)
              for s in ("raised", "undetermined", "not_raised")}
    by_severity = {s: sum(1 for f in evaluation.findings
                          if f.status == "raised" and f.issue.severity == s) for s in SEVERITIES}
    authorities, kinds = _authorities(evaluation, numbers)
    entries = sensitivity.sensitivity(ruleset, case.facts, workspace=prepared.workspace)
    sensitive = _sensitivity(evaluation, entries)
    presented = (render(ruleset.question_presented) if ruleset.question_presented else
                 f"Applying the rule set \u201c{ruleset.title}\u201d to the facts of \u201c{case.title}"
                 "\u201d: which legal issues would the proposed transfer raise, which are answered, and "
                 "which remain open?")
    changes = key_changes(evaluation, entries)
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "transferlaw", "version": __version__, "engine": engine_label(evaluation.engine)},
        "as_of": as_of.isoformat(),
        "ruleset": {
            "id": ruleset.id, "title": ruleset.title, "version": ruleset.version,
            "as_of": ruleset.as_of.isoformat(), "jurisdiction": ruleset.jurisdiction,
            "description": ruleset.description,
        },
        "case": {"title": case.title, "source": case.source, "notes": case.notes},
        "heading": {
            "to": meta.to or "File", "from": meta.sender or "transferlaw (automated issue checklist)",
            "date": as_of.isoformat(), "re": meta.re or f"{case.title} \u2014 {ruleset.title}",
            "privileged": meta.privileged, "person": meta.person,
        },
        "question_presented": presented,
        "brief_answer": brief_answer(evaluation, counts, by_severity, changes),
        "summary": {**counts, "raised_by_severity": by_severity},
        "findings": findings,
        "conclusions": [
            {"id": c.conclusion.id, "title": c.conclusion.title, "value": c.value,
             "because_text": _because_text(c.reasons, evaluation),
             "explanation": _root(c.conclusion.id, c.explanation, evaluation, nodes, prepared)}
            for c in evaluation.conclusions
        ],
        "facts": _facts(evaluation),
        "open_questions": [
            {"id": o.question.id, "prompt": o.question.prompt, "help": o.question.help,
             "decides": list(o.decides), "count": len(o.decides),
             "high": sum(1 for i in o.decides if ruleset.issue_by_id[i].severity == "high"),
             "unknown_text": sentence(phrase(o.question, None))}
            for o in gather_first(evaluation)
        ],
        "sensitivity": sensitive,
        "key_changes": changes,
        "not_raised_groups": _by_reason(findings),
        "authorities": authorities,
        "authority_kinds": kinds,
        "disclaimer": ruleset.disclaimer or DEFAULT_DISCLAIMER,
    }
    if meta.person:
        _call_person(document, meta.person)
    return document


def _call_person(document: dict[str, Any], name: str) -> None:
    """Write ``name`` for "the person" in the memo's prose (the texts a reader reads as sentences; the
    reasoning trees, shared across cases, and the facts' prompts in the JSON's data keep the rule set's words)."""
    def call(text: str) -> str:
        return named(text, name)

    document["question_presented"] = call(document["question_presented"])
    document["brief_answer"] = call(document["brief_answer"])
    for f in document["findings"]:
        for key in ("title", "rule", "application", "counterargument", "conclusion", "why", "reason", "turns_on"):
            f[key] = call(f[key])
        f["next_steps"] = [call(step) for step in f["next_steps"]]
    for o in document["open_questions"]:
        o["prompt"], o["unknown_text"] = call(o["prompt"]), call(o["unknown_text"])
    for change in document["key_changes"]:
        change["sentence"] = call(change["sentence"])
    for group in document["not_raised_groups"]:
        group["why"] = call(group["why"])
        for issue in group["issues"]:
            issue["title"] = call(issue["title"])
    for row in document["sensitivity"]:
        for alt in row["alternatives"]:
            for change in alt["changes"]:
                change["title"] = call(change["title"])


def _by_reason(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues not raised, grouped by the sentence that says why (in rule-set rank order of each group's
    first issue): many share one reason ("the person is serving a final sentence"), which the appendix then
    says once."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        if f["status"] == "not_raised":
            groups.setdefault(f["reason"] or "", []).append({"id": f["id"], "title": f["title"]})
    return [{"why": why, "issues": issues} for why, issues in groups.items()]


def _merge(base: MemoMeta, override: MemoMeta | None) -> MemoMeta:
    if override is None:
        return base
    return MemoMeta(to=override.to or base.to, sender=override.sender or base.sender, re=override.re or base.re,
                    privileged=override.privileged or base.privileged, person=override.person or base.person)


def _finding(f: Finding, evaluation: Evaluation, render: Any, nodes: dict[int, dict[str, Any]],
             prepared: Prepared, number: int | None) -> dict[str, Any]:
    issue, ruleset = f.issue, evaluation.ruleset
    known = _clauses(f.explanation, evaluation)
    missing = [phrase(ruleset.question_by_id[q], None) for q in f.missing]
    return {
        "id": issue.id,
        "title": issue.title,
        "area": {"id": issue.area, "title": ruleset.area_titles[issue.area]},
        "severity": issue.severity,
        "status": f.status,
        "status_label": STATUS_LABELS[f.status],
        "rule": render(issue.rule),
        "application": render(issue.application),
        "counterargument": render(issue.counterargument),
        "conclusion": render(issue.conclusion),
        "next_steps": [render(step) for step in issue.next_steps],
        "because": [_reason(r, evaluation) for r in f.reasons],
        "because_text": _because_text(f.reasons, evaluation),
        "missing_facts": [{"id": q, "prompt": ruleset.question_by_id[q].prompt} for q in f.missing],
        "explanation": _root(issue.id, f.explanation, evaluation, nodes, prepared),
        "authorities": list(f.authorities),
        "number": number,
        "why": sentence(joined(known)) if known else "",
        "reason": sentence(joined(_positive(known))) if known else "",
        "turns_on": sentence(joined(missing)) if missing else "",
    }


def _clauses(tree: Explanation, evaluation: Evaluation) -> list[str]:
    """The known facts that decide ``tree`` (a minimal branch, as :func:`transferlaw.engine.kleene.reasons`
    finds it, through the conclusions it uses), each once, as clauses from the questions' phrasings; of a
    multi-select answer, only the choices the branch tests: those it finds, and those it finds missing ("the file
    does not record that …")."""
    chosen: dict[str, tuple[set[str], set[str]] | None] = {}
    _leaves(tree, chosen)
    ruleset, facts, clauses = evaluation.ruleset, evaluation.case.facts, []
    for ident, choices in chosen.items():
        value = facts.get(ident)
        question = ruleset.question_by_id[ident]
        if value is None:
            if choices == (set(), set()):  # a known() test that fails: the file does not answer it
                clauses.append(phrase(question, None))
            continue
        if value == ():
            clauses.append(phrase(question, value))  # the empty answer: its own phrase ("holds no other …")
        elif isinstance(value, tuple) and choices is not None:
            present, absent = choices
            found = [phrase(question, (v,)) for v in value if v in present]
            missing = [ABSENT + _claim(choice_phrase(question, v)) for v in sorted(absent)]
            clauses.extend(_few([*found, *missing], question))
        elif isinstance(value, tuple) and len(value) > MANY:
            clauses.extend(_few([phrase(question, (v,)) for v in value], question))
        else:
            clauses.append(phrase(question, value) + _disputed(question, facts))
    return clauses


def _disputed(question: Question, facts: Mapping[str, Value]) -> str:
    """" (a disputed claim)" when the rule set marks the answer as disputed (``disputed_by`` answered yes):
    the memo then never states it as a fact."""
    return " (a disputed claim)" if question.disputed_by and facts.get(question.disputed_by) is True else ""


def _positive(clauses: list[str]) -> list[str]:
    """The clauses that say what the file records, when there are any: a reason in the appendix leaves out
    what the file does not record ("the file does not record that …") unless nothing else decides it."""
    positive = [c for c in clauses if not c.startswith(ABSENT)]
    return positive or clauses


ABSENT = "the file does not record that "


def _claim(clause: str) -> str:
    """A choice's clause as what a file could record ("the record shows that X" is just X)."""
    prefix = "the record shows that "
    return clause[len(prefix):] if clause.startswith(prefix) else clause


def _few(clauses: list[str], question: Question) -> list[str]:
    """At most :data:`MANY` clauses about one multi-select answer: the first ones and a count of the rest."""
    if len(clauses) <= MANY:
        return clauses
    rest = len(clauses) - MANY + 1
    return [*clauses[:MANY - 1], f"{rest} more answers to \u201c{question.prompt.rstrip('?')}\u201d"]


MANY = 3
"""A multi-select answer of more choices than this reads as its first ones and a count of the rest, in "Why"."""


def _leaves(node: Explanation, chosen: dict[str, tuple[set[str], set[str]] | None]) -> None:
    """The questions a minimal branch of ``node`` reads, with the choices it finds present and absent in a
    multi-select answer (None: the whole answer)."""
    if node.fact is not None:
        if node.kind == "known":  # that it was answered says nothing about which answer: name no choice for it
            chosen.setdefault(node.fact, (set(), set()))
        elif node.kind == "contains" and node.value is not None and isinstance(node.expr, Contains):
            found = chosen.setdefault(node.fact, (set(), set()))
            if found is not None:
                found[0 if node.value else 1].add(str(node.expr.value))
        else:
            chosen[node.fact] = None
        return
    children = node.children
    if node.kind in ("and", "or") and node.value is (node.kind == "or"):
        children = tuple(c for c in children if c.value is node.value)[:1]
    for child in children:
        _leaves(child, chosen)


def _reason(r: Reason, evaluation: Evaluation) -> dict[str, Any]:
    ruleset = evaluation.ruleset
    if r.kind == "conclusion":
        return {"kind": "conclusion", "id": r.id, "title": ruleset.conclusion_by_id[r.id].title,
                "value": r.value}
    question = ruleset.question_by_id[r.id]
    return {"kind": "fact", "id": r.id, "prompt": question.prompt,
            "display": fact_display(question, r.value if r.known else None),
            "value": plain(r.value)}


def _because_text(reasons: tuple[Reason, ...], evaluation: Evaluation) -> str:
    ruleset = evaluation.ruleset
    parts = []
    for r in reasons:
        if r.kind == "conclusion":
            title = ruleset.conclusion_by_id[r.id].title
            parts.append(f"{title}: {_yes_no(r.value if isinstance(r.value, bool) or r.value is None else None)}")
        else:
            question = ruleset.question_by_id[r.id]
            shown = fact_display(question, r.value if r.known else None)
            parts.append(f"{question.prompt} \u2014 {shown}")
    return "; ".join(parts) + "." if parts else "No facts are needed: the condition is fixed."


def _root(ident: str, tree: Explanation, evaluation: Evaluation, memo: dict[int, dict[str, Any]],
          prepared: Prepared) -> dict[str, Any]:
    """The reasoning tree of a conclusion or issue as data, kept in ``prepared.trees`` across cases while its
    tree is shared (:class:`transferlaw.engine.kleene.Trees`)."""
    kept = prepared.trees[ident]
    found = kept.get(id(tree))
    if found is not None and found[0] is tree:
        return found[1]
    converted = _node(tree, evaluation, memo)
    kept.put(id(tree), (tree, converted))  # the tree is held, so its id is not reused
    return converted


def _node(node: Explanation, evaluation: Evaluation,
          memo: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A reasoning tree as data. A conclusion is a leaf that names it (``conclusion``): its own tree is given
    once, in the document's ``conclusions``, instead of again under every issue that uses it."""
    if memo is not None:
        done = memo.get(id(node))
        if done is not None:
            return done
    fact = None
    if node.fact is not None:
        question = evaluation.ruleset.question_by_id[node.fact]
        fact = {"id": node.fact, "prompt": question.prompt,
                "display": fact_display(question, evaluation.case.facts.get(node.fact))}
    children = [] if node.conclusion is not None else [_node(c, evaluation, memo) for c in node.children]
    result = {
        "kind": node.kind, "text": node.text, "value": node.value,
        "summary": tree_line(node, evaluation.ruleset),
        "fact": fact, "conclusion": node.conclusion, "children": children,
    }
    if memo is not None:
        memo[id(node)] = result
    return result


def _facts(evaluation: Evaluation) -> list[dict[str, Any]]:
    facts, rows = evaluation.case.facts, []
    for q in evaluation.ruleset.questions:
        value = facts.get(q.id)
        status = ("answered" if value is not None else
                  "not_applicable" if q.id in evaluation.not_applicable else "unknown")
        rows.append({"id": q.id, "prompt": q.prompt, "type": q.type, "status": status,
                     "value": plain(value), "display": fact_display(q, value)})
    return rows


def _sensitivity(evaluation: Evaluation, entries: tuple[sensitivity.FactSensitivity, ...]) -> list[dict[str, Any]]:
    """What would change the analysis: per fact, the other answers that change findings, and how."""
    ruleset, facts = evaluation.ruleset, evaluation.case.facts
    rows = []
    for entry in entries:
        question = ruleset.question_by_id[entry.question]
        rows.append({
            "id": entry.question, "prompt": question.prompt, "answered": entry.answered,
            "current": fact_display(question, facts.get(entry.question)),
            "alternatives": [
                {"display": fact_display(question, alt.value), "changes": [
                    {"issue": c.issue, "title": ruleset.issue_by_id[c.issue].title, "from": c.before,
                     "to": c.after, "to_label": STATUS_LABELS[c.after]} for c in alt.changes]}
                for alt in entry.alternatives
            ],
        })
    return rows


def _authorities(evaluation: Evaluation,
                 numbers: dict[str, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ruleset = evaluation.ruleset
    cited_by: dict[str, list[str]] = {}
    for f in evaluation.findings:
        if f.status == "not_raised":
            continue
        for ident in f.authorities:
            cited_by.setdefault(ident, []).append(f.issue.id)
    kinds_order = list(AUTHORITY_KINDS)
    chosen = sorted((ruleset.authority_by_id[i] for i in cited_by),
                    key=lambda a: (kinds_order.index(a.kind), a.citation.casefold()))
    rows = [
        {"id": a.id, "citation": a.citation, "short": a.short, "kind": a.kind,
         "kind_title": AUTHORITY_KINDS[a.kind], "court": a.court, "year": a.year, "url": a.url,
         "proposition": a.proposition, "verified": a.verified, "cited_by": cited_by[a.id],
         "cited_by_numbers": [numbers[i] for i in cited_by[a.id] if i in numbers]}
        for a in chosen
    ]
    kinds = [
        {"kind": kind, "title": AUTHORITY_KINDS[kind], "ids": [a.id for a in chosen if a.kind == kind]}
        for kind in kinds_order if any(a.kind == kind for a in chosen)
    ]
    return rows, kinds
