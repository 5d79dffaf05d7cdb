"""Rule-set test coverage: the statuses each issue and conclusion reached, and the branches tests exercised.

An issue (or conclusion) is covered when some test makes it raised (true) and some test makes it not raised
(false); undetermined is reported too. A branch is one sub-condition of its ``when`` (every node below the
root, not descending into the conditions of the conclusions it uses, which are counted as conclusions); it
is covered when some test makes it true and some test makes it false. The percentage counts both kinds of
outcome together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from ..engine import kleene
from ..engine import workspace as workspace_
from ..language.model import Condition
from ..language.model import Explanation
from ..language.model import RuleSet
from ..language.model import RuleTest
from ..language.model import Tri
from ..language.words import counted


@dataclass
class Branch:
    """One sub-condition and the values the tests gave it."""

    text: str
    depth: int
    seen: set[Tri] = field(default_factory=set)

    @property
    def covered(self) -> int:
        return int(True in self.seen) + int(False in self.seen)


@dataclass
class Target:
    """One issue or conclusion and what the tests made of it."""

    id: str
    kind: str
    seen: set[Tri] = field(default_factory=set)
    branches: list[Branch] = field(default_factory=list)

    @property
    def outcomes(self) -> int:
        return 2 + 2 * len(self.branches)

    @property
    def covered(self) -> int:
        return int(True in self.seen) + int(False in self.seen) + sum(b.covered for b in self.branches)


@dataclass
class Coverage:
    """Coverage of one rule set by a set of tests."""

    ruleset: str
    tests: int
    targets: list[Target]

    @property
    def percent(self) -> float:
        total = sum(t.outcomes for t in self.targets)
        return 100.0 * sum(t.covered for t in self.targets) / total if total else 100.0

    def as_json(self) -> dict[str, object]:
        words = {True: "true", False: "false", None: "unknown"}
        return {
            "ruleset": self.ruleset, "tests": self.tests, "percent": round(self.percent, 1),
            "targets": [
                {"id": t.id, "kind": t.kind, "seen": sorted(words[v] for v in t.seen),
                 "covered": t.covered, "outcomes": t.outcomes,
                 "branches": [{"text": b.text, "seen": sorted(words[v] for v in b.seen)} for b in t.branches]}
                for t in self.targets
            ],
        }


def _branches(node: Explanation, depth: int, found: list[tuple[int, Explanation]]) -> None:
    for child in node.children:
        found.append((depth, child))
        if child.kind != "conclusion":
            _branches(child, depth + 1, found)


def measure(ruleset: RuleSet, tests: Iterable[RuleTest], *, workspace: workspace_.Workspace | None = None) -> Coverage:
    """Run every test's case through the reference evaluator and record what each condition did."""
    program = workspace_.prepared(ruleset, workspace).program
    conditions: list[tuple[str, str, Condition]] = [(c.id, "conclusion", c.when) for c in ruleset.conclusions]
    conditions += [(i.id, "issue", i.when) for i in ruleset.issues]
    targets = {ident: Target(id=ident, kind=kind) for ident, kind, _ in conditions}
    count = 0
    for test in tests:
        count += 1
        facts = test.case.facts
        values = program.values(facts)
        for ident, _, cond in conditions:
            target = targets[ident]
            target.seen.add(values[ident])
            nodes: list[tuple[int, Explanation]] = []
            _branches(kleene.explain(cond.expr, cond.text, program, facts, values), 0, nodes)
            if not target.branches:
                target.branches = [Branch(text=node.text, depth=depth) for depth, node in nodes]
            for branch, (_, node) in zip(target.branches, nodes, strict=True):
                branch.seen.add(node.value)
    ordered = [targets[ident] for ident, _, _ in conditions]
    return Coverage(ruleset=ruleset.id, tests=count, targets=ordered)


def report(coverage: Coverage, *, details: bool = True) -> str:
    """A readable coverage report: one line per issue and conclusion, then its uncovered branches."""
    mark = {True: "T", False: "F", None: "?"}
    lines = [f"coverage of {coverage.ruleset} by {counted(coverage.tests, 'tests')}: {coverage.percent:.1f}%",
             f"{'ID':36} {'KIND':10} {'SEEN':5} BRANCHES"]
    for target in coverage.targets:
        seen = "".join(mark[v] if v in target.seen else "-" for v in (True, False, None))
        covered = sum(b.covered for b in target.branches)
        lines.append(f"{target.id:36} {target.kind:10} {seen:5} {covered}/{2 * len(target.branches)}")
        if details:
            for branch in target.branches:
                missing = [w for v, w in ((True, "true"), (False, "false")) if v not in branch.seen]
                if missing:
                    lines.append(f"{'':4}never {' or '.join(missing)}: {branch.text}")
    lines.append("SEEN: T raised/true, F not raised/false, ? undetermined; '-' never reached")
    return "\n".join(lines)
