"""Benchmark the student tools: the interview's next-question choice and a full case's fact sensitivity.

Run from the repository root (package installed, or with PYTHONPATH=src):

    python bench/bench_student.py [--ruleset foreign-prison-transfer] [--repeat 20]

Prints medians and maxima in milliseconds against the budgets of the student-toolkit issue: next question
<= 20 ms on the flagship rule set, sensitivity of a full case <= 1 s. It times, it never asserts: a busy
machine makes numbers noisy, so compare the printed figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:
    import transferlaw  # noqa: F401
except ImportError:  # pragma: no cover - run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from transferlaw import api  # noqa: E402
from transferlaw.engine import sensitivity  # noqa: E402
from transferlaw.tools import interview  # noqa: E402

NEXT_QUESTION_BUDGET_MS = 20.0
SENSITIVITY_BUDGET_MS = 1000.0


def timed(call: object, repeat: int) -> list[float]:
    """Wall times in milliseconds of ``repeat`` calls (after one warm-up call)."""
    assert callable(call)
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def line(label: str, times: list[float], budget: float) -> None:
    worst = max(times)
    verdict = "meets budget" if worst <= budget else "OVER BUDGET"
    print(f"  {label:52} median {statistics.median(times):7.2f} ms   max {worst:7.2f} ms   "
          f"(budget {budget:g} ms: {verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ruleset", default="foreign-prison-transfer")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    ruleset = api.load_ruleset(args.ruleset)
    cases = []
    for path in sorted((ROOT / "cases").rglob("*.yaml")):
        case, owner = api.load_case(path)
        if owner.id == ruleset.id:
            cases.append(case)
    print(f"rule set {ruleset.id}: {len(ruleset.questions)} questions, {len(ruleset.issues)} issues, "
          f"{len(cases)} bundled cases; {args.repeat} timed calls each after a warm-up")
    print("next question (interview)")
    line("empty case", timed(lambda: interview.next_question(ruleset, {}), args.repeat), NEXT_QUESTION_BUDGET_MS)
    half: list[float] = []
    for case in cases:
        facts = dict(list(case.facts.items())[: len(case.facts) // 2])
        half.extend(timed(lambda f=facts: interview.next_question(ruleset, f), max(3, args.repeat // 5)))
    line("half-answered bundled cases", half, NEXT_QUESTION_BUDGET_MS)
    print("fact sensitivity (full case)")
    full: list[float] = []
    for case in cases:
        full.extend(timed(lambda f=case.facts: sensitivity.sensitivity(ruleset, f), max(3, args.repeat // 5)))
    line("every bundled case", full, SENSITIVITY_BUDGET_MS)
    print(f"command: python bench/bench_student.py {' '.join(argv or sys.argv[1:])}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
