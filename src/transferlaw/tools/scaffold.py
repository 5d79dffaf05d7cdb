"""Scaffold a new rule set: a small, working example of every part, which passes ``check`` and ``test``."""

from __future__ import annotations

from pathlib import Path

from ..language import paths
from ..language.errors import Diagnostic
from ..language.errors import OutputError
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import display_path
from ..language.resources import RULESET_ID
from ..language.resources import schema_text
from ..memo.output import make_dir
from ..memo.output import write_output

_RULESET = """\
{modeline}
id: {id}
title: {title}
version: "0.1.0"
as_of: 2026-01-01
jurisdiction: United States
description: >
  A starting point for a new rule set. Replace the example question, conclusion, issue, authority and
  tests with your own; `transferlaw check {path}` and `transferlaw test {path}` tell you what to fix.
areas:
  due_process: Due process
question_presented: >
  On the facts of "{{{{ case.title }}}}", does the proposed transfer raise a due-process issue?
"""

_QUESTIONS = """\
{modeline}
questions:
  - id: custodian
    prompt: Who holds the person now?
    help: The authority that has legal custody, not the company that runs the building.
    type: choice
    choices:
      federal: Federal Bureau of Prisons
      state: A State's prison system
    # How each answer reads in a sentence: memos and `phrase.custodian` in texts use these.
    phrases:
      federal: the person is held by the Federal Bureau of Prisons
      state: the person is held by a State's prison system
      unknown: who holds the person is not known
  - id: hearing_held
    prompt: Was the person given a hearing before the transfer was decided?
    type: boolean
    phrases:
      true: the person was given a hearing before the transfer was decided
      false: the person was not given a hearing before the transfer was decided
      unknown: whether the person was given a hearing before the transfer was decided is not known
    ask_if: custodian == "state"
"""

_CONCLUSIONS = """\
{modeline}
conclusions:
  - id: state_custody
    title: The person is in a State's custody
    when: custodian == "state"
"""

_AUTHORITIES = """\
{modeline}
authorities:
  - id: const-amend-14
    citation: U.S. Const. amend. XIV, § 1
    short: Fourteenth Amendment
    kind: constitution
    proposition: No State may deprive any person of liberty without due process of law.
    verified: true
    note: The text of the Constitution.
"""

_ISSUE = """\
{modeline}
issues:
  - id: no_hearing
    title: A state prisoner moved without any hearing
    area: due_process
    severity: medium
    when: state_custody and not hearing_held
    rule: >
      A State may not deprive a person of liberty without due process of law. Whether a transfer between
      prisons needs a hearing depends on whether it touches a protected liberty interest.
    application: >
      {{{{ phrase.custodian | upfirst }}}}.
      {{% if status == "raised" %}}The person was moved without a hearing.
      {{%- elif status == "undetermined" %}}The issue turns on what is not yet known: if the person is in a
      State's custody and was moved without a hearing, the issue is raised.{{% endif %}}
    counterargument: >
      The State will answer that an ordinary transfer between prisons is within the normal range of custody
      that a conviction authorizes, so no liberty interest, and no hearing, is at stake.
    conclusion: >
      {{% if status == "raised" %}}A hearing was arguably owed; the answer turns on the liberty interest.
      {{%- else %}}Not raised on these facts.{{% endif %}}
    next_steps:
      - Ask for the transfer decision and any written reasons.
    authorities: [const-amend-14]
"""

_TESTS = """\
{modeline}
tests:
  - name: state prisoner, no hearing
    case: ../cases/example.yaml
    expect:
      issues:
        no_hearing: raised
      conclusions:
        state_custody: true
  - name: state prisoner given a hearing
    facts:
      custodian: state
      hearing_held: true
    expect:
      issues:
        no_hearing: not_raised
  - name: federal prisoner
    facts:
      custodian: federal
    expect:
      issues:
        no_hearing: not_raised
  - name: state prisoner, hearing unknown
    facts:
      custodian: state
    expect:
      issues:
        no_hearing: undetermined
    missing:
      no_hearing: [hearing_held]
"""

_CASE = """\
{modeline}
ruleset: {id}
title: Example - state prisoner moved without a hearing
as_of: 2026-01-01
facts:
  custodian: state
  hearing_held: false
notes: An example case; copy it to start a new one.
"""


def modeline(schema: str, depth: int) -> str:
    """The yaml-language-server line that points editors at a schema ``depth`` folders up."""
    return f"# yaml-language-server: $schema={'../' * depth}.schemas/{schema}.schema.json"


def create(directory: Path, *, force: bool = False) -> list[Path]:
    """Write a new rule set into ``directory`` (named after it); return the files written."""
    ident = directory.name
    if not RULESET_ID.match(ident):
        raise SourceError(Diagnostic(Position(display_path(directory)), f"'{ident}' is not a valid rule-set id",
                                     "name the folder with lower-case letters, digits and '-', e.g. my-rules"))
    files = {
        "ruleset.yaml": _RULESET.format(modeline=modeline("ruleset", 0), id=ident,
                                        title=ident.replace("-", " ").capitalize(), path=display_path(directory)),
        "questions.yaml": _QUESTIONS.format(modeline=modeline("ruleset", 0)),
        "conclusions.yaml": _CONCLUSIONS.format(modeline=modeline("ruleset", 0)),
        "authorities.yaml": _AUTHORITIES.format(modeline=modeline("ruleset", 0)),
        "issues/due_process.yaml": _ISSUE.format(modeline=modeline("ruleset", 1)),
        "tests/examples.yaml": _TESTS.format(modeline=modeline("ruleset", 1)),
        "cases/example.yaml": _CASE.format(modeline=modeline("case", 1), id=ident),
        ".schemas/ruleset.schema.json": schema_text("ruleset"),
        ".schemas/case.schema.json": schema_text("case"),
    }
    existing = [name for name in files if paths.exists(directory / name)]
    if existing and not force:
        raise OutputError(f"{display_path(directory)}: would overwrite {', '.join(existing)} (use --force)")
    written = []
    for name, text in files.items():
        path = directory / name
        make_dir(path.parent)
        write_output(path, text, force=True)
        written.append(path)
    return written
