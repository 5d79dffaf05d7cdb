"""Rule-set tests (``tests/*.yaml``) checked against an evaluation: each expectation missed, with the reasoning."""

from __future__ import annotations

from dataclasses import dataclass

from ..language.model import Evaluation
from ..language.model import Explanation
from ..language.model import RuleSet
from ..language.model import RuleTest
from ..memo.display import summary
from ..memo.display import value_word


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one rule-set test: empty ``failures`` means it passed."""

    test: RuleTest
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def check(test: RuleTest, evaluation: Evaluation) -> TestResult:
    """Compare the evaluation of ``test``'s case with what the test expects; describe every miss."""
    by_issue = {f.issue.id: f for f in evaluation.findings}
    by_conclusion = {c.conclusion.id: c for c in evaluation.conclusions}
    failures: list[str] = []
    for ident, expected in test.issues.items():
        finding = by_issue[ident]
        if finding.status != expected:
            failures.append(f"issue {ident}: expected {expected}, got {finding.status}\n"
                            + _trace(finding.explanation, evaluation.ruleset))
    for ident, value in test.conclusions.items():
        result = by_conclusion[ident]
        if result.value is not value:
            failures.append(f"conclusion {ident}: expected {value_word(value)}, got {value_word(result.value)}\n"
                            + _trace(result.explanation, evaluation.ruleset))
    for ident, facts in test.missing.items():
        got = by_issue[ident].missing
        if set(facts) - set(got):
            failures.append(f"issue {ident}: expected missing facts {', '.join(facts)}, got "
                            f"{', '.join(got) or 'none'}")
    for ident, wanted in test.cites.items():
        absent = [a for a in wanted if a not in by_issue[ident].authorities]
        if absent:
            failures.append(f"issue {ident}: expected to cite {', '.join(absent)}; it cites "
                            f"{', '.join(by_issue[ident].authorities) or 'nothing'}")
    for ident, unwanted in test.omits.items():
        present = [a for a in unwanted if a in by_issue[ident].authorities]
        if present:
            failures.append(f"issue {ident}: expected not to cite {', '.join(present)}")
    return TestResult(test, tuple(failures))


def _trace(node: Explanation, ruleset: RuleSet, depth: int = 1) -> str:
    lines = [f"{'  ' * depth}{summary(node, ruleset)}    [{node.text}]"]
    for child in node.children:
        lines.append(_trace(child, ruleset, depth + 1))
    return "\n".join(lines)
