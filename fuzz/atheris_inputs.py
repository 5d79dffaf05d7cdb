"""Coverage-guided fuzzing of every input reader with atheris (libFuzzer), beside the hypothesis fuzz tests.

Not part of the test suite: atheris is a native extension that is not always installable, and a
coverage-guided run is open-ended. Each target feeds bytes to one reader, and any exception other than a
:class:`~transferlaw.language.errors.TransferlawError` (or one without a location) is a crash that libFuzzer
reports with the input that caused it, saved as ``crash-*`` in the current directory.

    pip install atheris
    python fuzz/atheris_inputs.py case -max_total_time=300 fuzz/corpus/case
    python fuzz/atheris_inputs.py ruleset -max_total_time=300
    python fuzz/atheris_inputs.py csv -max_total_time=300

Targets: ``case`` (a case file of the flagship rule set), ``ruleset`` (a rule-set file, validated and
compiled), ``tests`` (a rule-set test file), ``csv`` (a spreadsheet of the mini rule set), ``mapping``.
The seed corpus is the bundled files; extra arguments are passed to libFuzzer.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="transferlaw-atheris-"))
os.environ.setdefault("TRANSFERLAW_CACHE_DIR", str(WORK / "cache"))

with atheris.instrument_imports(include=["transferlaw"]):
    from transferlaw import api
    from transferlaw.batch import sheet_mapping
    from transferlaw.batch import sources
    from transferlaw.engine.compile import compile_ruleset
    from transferlaw.language.errors import TransferlawError
    from transferlaw.language.validate_ruleset import load_ruleset_dir
    from transferlaw.language.validate_ruleset import load_ruleset_tests

MINI = ROOT / "tests" / "data" / "rules" / "mini"
RULES = WORK / "rules" / "mini"
(RULES / "tests").mkdir(parents=True)
(RULES / "ruleset.yaml").write_bytes((MINI / "ruleset.yaml").read_bytes())
MINI_RULESET = load_ruleset_dir(RULES)


def _file(name: str, data: bytes) -> Path:
    path = WORK / name
    path.write_bytes(data)
    return path


def case(data: bytes) -> None:
    case_, ruleset = api.load_case(_file("case.yaml", data))
    evaluation = api.evaluate_case(case_, ruleset)
    for fmt in ("md", "html", "json"):
        api.render_memo_bytes(evaluation, fmt, "2026-01-01")


def ruleset(data: bytes) -> None:
    target = WORK / "fuzzed" / "x"
    target.mkdir(parents=True, exist_ok=True)
    (target / "ruleset.yaml").write_bytes(data)
    compile_ruleset(load_ruleset_dir(target))


def tests(data: bytes) -> None:
    (RULES / "tests" / "basic.yaml").write_bytes(data)
    load_ruleset_tests(RULES, MINI_RULESET)


def csv(data: bytes) -> None:
    for item in sources.expand([_file("sheet.csv", data)], [RULES.parent], ruleset="mini"):
        if item.case is not None and item.ruleset is not None:
            api.render_memo_bytes(api.evaluate_case(item.case, item.ruleset), "md", "2026-01-01")


def mapping(data: bytes) -> None:
    sheet_mapping.load_mapping(_file("mapping.yaml", data))


TARGETS: dict[str, tuple[Callable[[bytes], None], list[Path]]] = {
    "case": (case, sorted((ROOT / "cases").glob("*.yaml"))),
    "ruleset": (ruleset, [MINI / "ruleset.yaml"]),
    "tests": (tests, [MINI / "tests" / "basic.yaml"]),
    "csv": (csv, sorted((ROOT / "tests" / "data").rglob("*.csv"))),
    "mapping": (mapping, sorted((ROOT / "tests" / "data").rglob("*mapping*.yaml"))),
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options] [corpus dir]")
    target, seeds = TARGETS[sys.argv[1]]
    args = [sys.argv[0], *sys.argv[2:]]
    corpus = [a for a in args[1:] if not a.startswith("-")]
    for directory in corpus:  # seed an empty corpus directory with the bundled files
        Path(directory).mkdir(parents=True, exist_ok=True)
        if not any(Path(directory).iterdir()):
            for seed in seeds:
                (Path(directory) / seed.name).write_bytes(seed.read_bytes())

    def one(data: bytes) -> None:
        try:
            target(data)
        except TransferlawError as exc:
            if not exc.report().strip():
                raise AssertionError("an error with no message") from exc

    atheris.Setup(args, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
