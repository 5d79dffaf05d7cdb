"""Build the memo document (docs/memo-json.md): an evaluation as plain, ordered data.

The JSON output is this document, and the Markdown and HTML templates render it, so the formats never
disagree. Rule-set text is rendered here, in the sandbox (``authored``, results kept by the prepared rule set's
``textcache.TextCache``).
"""

from __future__ import annotations

import datetime as dt
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
from ..language.model import Evaluation
from ..language.model import Explanation
from ..language.model import Finding
from ..language.model import MemoMeta
from ..language.model import Reason
from ..language.model import Severity
from ..language.model import Text
from ..language.model import Tri
from ..language.words import counted
from .display import fact_display
from .display import summary
from .phrases import phrase
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
    """The names rule-set text may use: facts, answer, conclusions, case, as_of."""
    ruleset, facts = evaluation.ruleset, evaluation.case.facts
    return {
        "facts": {q.id: _plain(facts.get(q.id)) for q in ruleset.questions},
        "answer": {q.id: fact_display(q, facts.get(q.id)) for q in ruleset.questions},
        "phrase": {q.id: phrase(q, facts.get(q.id)) for q in ruleset.questions},
        "known": {q.id: q.id in facts for q in ruleset.questions},
        "conclusions": {c.conclusion.id: c.value for c in evaluation.conclusions},
        "case": {"title": evaluation.case.title},
        "as_of": as_of.isoformat(),
        "status": None,
    }


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


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
    findings = [_finding(f, evaluation, lambda text, f=f: texts.render(text, per_status[f.status]), nodes,
                         prepared) for f in evaluation.findings]
    counts = {s: sum(1 for f in evaluation.findings if f.status == s)
              for s in ("raised", "undetermined", "not_raised")}
    by_severity = {s: sum(1 for f in evaluation.findings
                          if f.status == "raised" and f.issue.severity == s) for s in SEVERITIES}
    authorities, kinds = _authorities(evaluation)
    presented = (render(ruleset.question_presented) if ruleset.question_presented else
                 f"Applying the rule set \u201c{ruleset.title}\u201d to the facts of \u201c{case.title}"
                 "\u201d: which legal issues would the proposed transfer raise, which are answered, and "
                 "which remain open?")
    return {
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
            "privileged": meta.privileged,
        },
        "question_presented": presented,
        "brief_answer": _brief_answer(evaluation, counts, by_severity),
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
             "decides": list(o.decides), "count": len(o.decides)}
            for o in evaluation.open_questions
        ],
        "sensitivity": _sensitivity(evaluation, prepared),
        "authorities": authorities,
        "authority_kinds": kinds,
        "disclaimer": ruleset.disclaimer or DEFAULT_DISCLAIMER,
    }


def _merge(base: MemoMeta, override: MemoMeta | None) -> MemoMeta:
    if override is None:
        return base
    return MemoMeta(to=override.to or base.to, sender=override.sender or base.sender, re=override.re or base.re,
                    privileged=override.privileged or base.privileged)


def _finding(f: Finding, evaluation: Evaluation, render: Any, nodes: dict[int, dict[str, Any]],
             prepared: Prepared) -> dict[str, Any]:
    issue, ruleset = f.issue, evaluation.ruleset
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
        "authorities": list(issue.authorities),
    }


def _reason(r: Reason, evaluation: Evaluation) -> dict[str, Any]:
    ruleset = evaluation.ruleset
    if r.kind == "conclusion":
        return {"kind": "conclusion", "id": r.id, "title": ruleset.conclusion_by_id[r.id].title,
                "value": r.value}
    question = ruleset.question_by_id[r.id]
    return {"kind": "fact", "id": r.id, "prompt": question.prompt,
            "display": fact_display(question, r.value if r.known else None),
            "value": _plain(r.value)}


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
            parts.append(f"{question.prompt} \u2014 {shown} [{r.id}]")
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
        "kind": node.kind, "text": node.text, "value": node.value, "summary": summary(node, evaluation.ruleset),
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
                     "value": _plain(value), "display": fact_display(q, value)})
    return rows


def _sensitivity(evaluation: Evaluation, prepared: Prepared) -> list[dict[str, Any]]:
    """What would change the analysis: per fact, the other answers that change findings, and how."""
    ruleset, facts = evaluation.ruleset, evaluation.case.facts
    rows = []
    for entry in sensitivity.sensitivity(ruleset, facts, workspace=prepared.workspace):
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


def _authorities(evaluation: Evaluation) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ruleset = evaluation.ruleset
    cited_by: dict[str, list[str]] = {}
    for f in evaluation.findings:
        if f.status == "not_raised":
            continue
        for ident in f.issue.authorities:
            cited_by.setdefault(ident, []).append(f.issue.id)
    kinds_order = list(AUTHORITY_KINDS)
    chosen = sorted((ruleset.authority_by_id[i] for i in cited_by),
                    key=lambda a: (kinds_order.index(a.kind), a.citation.casefold()))
    rows = [
        {"id": a.id, "citation": a.citation, "short": a.short, "kind": a.kind,
         "kind_title": AUTHORITY_KINDS[a.kind], "court": a.court, "year": a.year, "url": a.url,
         "proposition": a.proposition, "verified": a.verified, "cited_by": cited_by[a.id]}
        for a in chosen
    ]
    kinds = [
        {"kind": kind, "title": AUTHORITY_KINDS[kind], "ids": [a.id for a in chosen if a.kind == kind]}
        for kind in kinds_order if any(a.kind == kind for a in chosen)
    ]
    return rows, kinds


def _brief_answer(evaluation: Evaluation, counts: dict[str, int], by_severity: dict[Severity, int]) -> str:
    total = len(evaluation.findings)
    raised = counts["raised"]
    sentences = [
        f"Of the {counted(total, 'issues')} in the rule set, {raised} {'is' if raised == 1 else 'are'} raised on "
        f"these facts ({by_severity['high']} high, {by_severity['medium']} medium and "
        f"{by_severity['low']} low severity), {counts['undetermined']} cannot be decided until more "
        f"facts are known, and {counts['not_raised']} {'does' if counts['not_raised'] == 1 else 'do'} "
        "not arise."
    ]
    top = [f.issue.title for f in evaluation.findings if f.status == "raised"][:3]
    if top:
        sentences.append("The most serious raised issues: " + "; ".join(top) + ".")
    if evaluation.open_questions:
        first = evaluation.open_questions[0]
        count = len(first.decides)
        sentences.append(f"The open question that would decide the most ({counted(count, 'findings')}): "
                         f"{first.question.prompt}")
    return " ".join(sentences)
