"""Benchmark transferlaw's core: cold start, throughput of both engines, and memory over many cases.

Run from the repository root (the package installed, or ``PYTHONPATH=src``; the script also falls back to
``src/`` on its own)::

    python bench/bench_core.py [--ruleset foreign-prison-transfer] [--cases 2000] [--memory-cases 20000]
                               [--seed 1] [--rules DIR ...]

It prints labelled figures and ratios and never asserts on time; see bench/README.md for what each figure
means and the targets. Exit status: 0, or 1 if the rule set does not load, the two engines disagree on a
generated case, an engine raises, or the cold-start command fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"

try:  # the package installed, or already on PYTHONPATH
    import transferlaw  # noqa: F401

    ADDED_SRC = False
except ImportError:  # a source checkout without PYTHONPATH=src
    sys.path.insert(0, str(SRC))
    ADDED_SRC = True

from transferlaw import api  # noqa: E402
from transferlaw.engine import analysis  # noqa: E402
from transferlaw.engine import durable  # noqa: E402
from transferlaw.engine import evaluate  # noqa: E402
from transferlaw.language.errors import TransferlawError  # noqa: E402
from transferlaw.language.model import Case  # noqa: E402
from transferlaw.language.model import Question  # noqa: E402
from transferlaw.language.model import RuleSet  # noqa: E402
from transferlaw.language.model import Value  # noqa: E402

FLAGSHIP = "foreign-prison-transfer"
COLD_RUNS = 5
WARMUP_CASES = 50
UNKNOWN_P = 0.25
FLAT_MB = 5.0
TARGET_COLD_RATIO = 2.0
TARGET_DURABLE_CPS = 1_000.0
BASELINE_IMPORTS = "import durable.engine, yaml, jinja2, click"
FALLBACK_CASE = REPO / "tests" / "data" / "cases" / "mini-unknowns.yaml"
FALLBACK_RULES = REPO / "tests" / "data" / "rules"
RESULT_TAG = "MEMORY-RESULT "


# --- helpers ------------------------------------------------------------------------------------

def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}", flush=True)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def subprocess_env() -> dict[str, str]:
    """The environment for child processes: ``src/`` on PYTHONPATH if this script had to add it."""
    env = dict(os.environ)
    if ADDED_SRC:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def _proc_status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MB, or None where /proc is unavailable."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for row in handle:
                if row.startswith(field + ":"):
                    return int(row.split()[1]) / 1024
    except OSError:
        return None
    return None


def rss_mb() -> float | None:
    """Current resident set size (VmRSS) in MB."""
    return _proc_status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Peak RSS of this process (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} MB"


def load(ruleset_id: str, rules_dirs: Sequence[Path]) -> RuleSet:
    """Load the rule set or exit 1 with its error."""
    try:
        return api.load_ruleset(ruleset_id, list(rules_dirs) or None)
    except TransferlawError as exc:
        print(f"error: rule set '{ruleset_id}' failed to load:\n{exc.report()}", file=sys.stderr)
    except Exception as exc:  # anything unexpected is still a failed load, not a traceback
        print(f"error: rule set '{ruleset_id}' failed to load: {type(exc).__name__}: {exc}",
              file=sys.stderr)
    raise SystemExit(1)


# --- random cases -------------------------------------------------------------------------------

def _random_date(rng: random.Random) -> str:
    start = dt.date(2024, 1, 1)
    return str(start + dt.timedelta(days=rng.randrange((dt.date(2026, 12, 31) - start).days + 1)))


def _random_number(rng: random.Random, question: Question) -> int:
    low = int(question.min) if question.min is not None else None
    high = int(question.max) if question.max is not None else None
    if low is None and high is None:
        low, high = 0, 100
    elif low is None:
        low = high - 100  # type: ignore[operator]
    elif high is None:
        high = low + 100
    return rng.randint(low, high)  # type: ignore[arg-type]


class CaseGenerator:
    """Random fact sets: each non-text question unknown with probability 0.25, else a candidate answer."""

    def __init__(self, ruleset: RuleSet, seed: int) -> None:
        self.rng = random.Random(seed)
        self.plan = [(q, analysis.domain(q, ruleset)) for q in ruleset.questions if q.type != "text"]

    def facts(self) -> dict[str, Value]:
        rng = self.rng
        facts: dict[str, Value] = {}
        for question, candidates in self.plan:
            if rng.random() < UNKNOWN_P:
                continue
            if candidates:
                facts[question.id] = rng.choice(candidates)
            elif question.type == "number":
                facts[question.id] = _random_number(rng, question)
            elif question.type == "date":
                facts[question.id] = _random_date(rng)
        return facts

    def stream(self, count: int) -> Iterator[dict[str, Value]]:
        for _ in range(count):
            yield self.facts()


# --- (a) cold start -----------------------------------------------------------------------------

def _case_ruleset(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.search(r"^ruleset:\s*['\"]?([^'\"\s#]+)", text, re.MULTILINE)
    return match.group(1) if match else None


def pick_case(ruleset_id: str, rules_dirs: Sequence[Path]) -> tuple[Path, list[Path], str | None]:
    """The case to run for the cold start, the --rules to pass, and a note when it is a fallback."""
    for path in sorted((REPO / "cases").glob("*.yaml")):
        if _case_ruleset(path) == ruleset_id:
            return path, list(rules_dirs), None
    for path in sorted((REPO / "tests" / "data" / "cases").glob("*.yaml")):
        if _case_ruleset(path) == ruleset_id:
            return path, list(rules_dirs) or [FALLBACK_RULES], None
    return (FALLBACK_CASE, [FALLBACK_RULES],
            f"no bundled case for '{ruleset_id}' in cases/; falling back to the mini rule set")


def _time_command(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall time and CPU time (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def median_times(commands: dict[str, list[str]], env: dict[str, str], runs: int,
                 ) -> tuple[dict[str, tuple[float, float]], str | None]:
    """Median (wall, CPU) per command over ``runs`` rounds, after one untimed run each (which writes .pyc).

    The commands are interleaved round by round, so that a busy machine slows them alike.
    """
    for cmd in commands.values():
        _, _, first = _time_command(cmd, env)
        if first.returncode != 0:
            return {}, first.stderr.decode("utf-8", "replace").strip() or f"exit {first.returncode}"
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            wall, cpu, done = _time_command(cmd, env)
            if done.returncode != 0:
                return {}, done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            samples[name].append((wall, cpu))
    return {name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
            for name, values in samples.items()}, None


def cold_start(ruleset_id: str, rules_dirs: Sequence[Path], runs: int) -> dict[str, Any]:
    section(f"(a) Cold start (median of {runs} fresh processes, after 1 untimed run each)")
    case, rules, note = pick_case(ruleset_id, rules_dirs)
    env = subprocess_env()
    # Compare like with like: the baseline's libraries were byte-compiled when pip installed them, so let
    # the untimed first run byte-compile transferlaw too (pip does the same on a non-editable install).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    shown_case = case.relative_to(REPO) if case.is_relative_to(REPO) else case
    run_cmd = [sys.executable, "-m", "transferlaw", "run", str(shown_case), "--format", "md"]
    for directory in rules:
        run_cmd += ["--rules", str(directory.relative_to(REPO) if directory.is_relative_to(REPO)
                                   else directory)]
    bare_cmd = [sys.executable, "-c", BASELINE_IMPORTS]
    import_cmd = [sys.executable, "-c", "import transferlaw.cli"]
    if note:
        print(f"  note: {note}")
    line("case", str(shown_case))
    line("command", " ".join(shlex.quote(a) for a in ["python", *run_cmd[1:]]) + " >/dev/null")
    line("baseline", f"python -c {shlex.quote(BASELINE_IMPORTS)}")
    times, error = median_times({"run": run_cmd, "bare": bare_cmd, "import": import_cmd}, env, runs)
    result: dict[str, Any] = {"case": str(shown_case), "fallback": note is not None, "ok": True}
    if error:
        print(f"  FAILED: {error}", flush=True)
        result.update(ok=False, error=error)
        return result
    (run_time, run_cpu), (bare_time, bare_cpu) = times["run"], times["bare"]
    ratio = run_time / bare_time
    cpu_ratio = run_cpu / bare_cpu if bare_cpu else float("nan")
    line("transferlaw run (wall, median)", f"{run_time * 1000:.0f} ms  (CPU {run_cpu * 1000:.0f} ms)")
    line("baseline bare imports (wall, median)", f"{bare_time * 1000:.0f} ms  (CPU {bare_cpu * 1000:.0f} ms)")
    line("python -c 'import transferlaw.cli' (info)", f"{times['import'][0] * 1000:.0f} ms")
    line("RATIO run / bare imports", f"{ratio:.2f}  (target <= {TARGET_COLD_RATIO:g}: "
         f"{verdict(ratio <= TARGET_COLD_RATIO)})")
    line("RATIO by CPU time (less sensitive to load)", f"{cpu_ratio:.2f}")
    result.update(run_ms=run_time * 1000, bare_ms=bare_time * 1000, ratio=ratio, cpu_ratio=cpu_ratio,
                  import_ms=times["import"][0] * 1000)
    return result


# --- (b) throughput -----------------------------------------------------------------------------

def throughput(ruleset: RuleSet, count: int, seed: int) -> dict[str, Any]:
    section(f"(b) Throughput ({count} random cases, seed {seed}, ~{UNKNOWN_P:.0%} of facts unknown)")
    generator = CaseGenerator(ruleset, seed)
    warmup = list(generator.stream(WARMUP_CASES))
    cases = list(generator.stream(count))
    known = statistics.mean(len(f) for f in cases) if cases else 0.0
    line("rule set", f"{ruleset.id}: {len(ruleset.questions)} questions, {len(ruleset.conclusions)} "
         f"conclusions, {len(ruleset.issues)} issues")
    line("known facts per case (mean)", f"{known:.1f} of {len(generator.plan)} non-text questions")

    start = time.perf_counter()
    evaluate.durable_engine(ruleset)
    line("durable compile + register (first use)", f"{(time.perf_counter() - start) * 1000:.1f} ms")

    results: dict[str, list[dict[str, Any] | None]] = {}
    errors: dict[str, list[str]] = {}
    timings: dict[str, float] = {}
    for name in evaluate.ENGINES:
        for facts in warmup:
            try:
                evaluate.decide(ruleset, facts, name)
            except TransferlawError:
                pass  # counted in the timed run below
        out: list[dict[str, Any] | None] = []
        failed: list[str] = []
        start = time.perf_counter()
        for facts in cases:
            try:
                out.append(evaluate.decide(ruleset, facts, name))
            except TransferlawError as exc:
                out.append(None)
                failed.append(str(exc))
        timings[name] = time.perf_counter() - start
        results[name] = out
        errors[name] = failed

    d_cps = rate(count, timings["durable"])
    p_cps = rate(count, timings["python"])
    line("decide, durable", f"{d_cps:,.0f} cases/s  ({timings['durable'] / count * 1e6:.0f} us/case)  "
         f"(target >= {TARGET_DURABLE_CPS:,.0f}: {verdict(d_cps >= TARGET_DURABLE_CPS)})")
    line("decide, python (Kleene)", f"{p_cps:,.0f} cases/s  ({timings['python'] / count * 1e6:.0f} us/case)")
    line("RATIO durable / python", f"{d_cps / p_cps:.3f}")

    for facts in warmup:
        try:
            evaluate.evaluate(ruleset, Case(ruleset=ruleset.id, title="warm-up", facts=facts), "durable")
        except TransferlawError:
            pass
    eval_failed: list[str] = []
    start = time.perf_counter()
    for n, facts in enumerate(cases):
        try:
            evaluate.evaluate(ruleset, Case(ruleset=ruleset.id, title=f"bench case {n}", facts=facts),
                              "durable")
        except TransferlawError as exc:
            eval_failed.append(str(exc))
    e_time = time.perf_counter() - start
    e_cps = rate(count, e_time)
    line("evaluate, durable (explanations, open q.)", f"{e_cps:,.0f} cases/s  ({e_time / count * 1e3:.2f} ms/case)")

    ids = [c.id for c in ruleset.conclusions] + [i.id for i in ruleset.issues]
    agree = 0
    first_mismatch: str | None = None
    for n, (got, want) in enumerate(zip(results["durable"], results["python"], strict=True)):
        if got is not None and want is not None and all(got[i] is want[i] for i in ids):
            agree += 1
        elif first_mismatch is None:
            if got is None or want is None:
                first_mismatch = f"case {n}: an engine raised; facts {cases[n]}"
            else:
                diff = {i: (got[i], want[i]) for i in ids if got[i] is not want[i]}
                first_mismatch = f"case {n}: (durable, python) {diff}; facts {cases[n]}"
    mark = "" if agree == count else "  MISMATCH"
    print(f"  engines agree on {agree}/{count} cases{mark}", flush=True)
    for name, failed in errors.items():
        if failed:
            print(f"  {name} raised on {len(failed)} cases; first: {failed[0]}")
    if eval_failed:
        print(f"  evaluate raised on {len(eval_failed)} cases; first: {eval_failed[0]}")
    if first_mismatch:
        print(f"  first disagreement: {first_mismatch}")
    return {"durable_cps": d_cps, "python_cps": p_cps, "ratio": d_cps / p_cps, "evaluate_cps": e_cps,
            "agree": agree, "count": count, "ok": agree == count and not eval_failed}


# --- (c) memory ---------------------------------------------------------------------------------

def checkpoints(total: int) -> list[int]:
    """After 1/20, 1/4, 1/2, 3/4 and all of the cases: 1k, 5k, 10k, 15k, 20k for 20,000."""
    marks = sorted({max(1, total * k // 20) for k in (1, 5, 10, 15, 20)})
    return [m for m in marks if m <= total]


def memory_child(ruleset: RuleSet, total: int, seed: int) -> int:
    """Run in a fresh process so that the peak RSS is this workload's, not the throughput run's."""
    generator = CaseGenerator(ruleset, seed)
    for facts in generator.stream(WARMUP_CASES):
        evaluate.decide(ruleset, facts, "durable")
    gc.collect()
    before = rss_mb()
    line("RSS after load + warm-up (VmRSS)", fmt_mb(before))
    marks = checkpoints(total)
    points: list[tuple[int, float | None, float, float | None]] = []
    failed = 0
    done = 0
    start = time.perf_counter()
    for facts in generator.stream(total):
        try:
            evaluate.decide(ruleset, facts, "durable")
        except TransferlawError:
            failed += 1
        done += 1
        if marks and done == marks[0]:
            marks.pop(0)
            current, peak, hwm = rss_mb(), peak_rss_mb(), _proc_status_mb("VmHWM")
            points.append((done, current, peak, hwm))
            line(f"after {done:>6,} cases", f"VmRSS {fmt_mb(current)}; peak: VmHWM {fmt_mb(hwm)}, "
                 f"ru_maxrss {fmt_mb(peak)}")
    elapsed = time.perf_counter() - start
    line("durable cases/s incl. generating (info)", f"{rate(total, elapsed):,.0f}")
    if failed:
        print(f"  the engine raised on {failed} cases")
    print(RESULT_TAG + json.dumps({"before": before, "points": points, "failed": failed}), flush=True)
    return 0


def memory(ruleset_id: str, rules_dirs: Sequence[Path], total: int, seed: int) -> dict[str, Any]:
    section(f"(c) Memory ({total:,} cases, durable engine, fresh process)")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", "--ruleset", ruleset_id,
           "--memory-cases", str(total), "--seed", str(seed)]
    for directory in rules_dirs:
        cmd += ["--rules", str(directory)]
    payload: dict[str, Any] | None = None
    with subprocess.Popen(cmd, cwd=REPO, env=subprocess_env(), stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for row in child.stdout:
            if row.startswith(RESULT_TAG):
                payload = json.loads(row[len(RESULT_TAG):])
            else:
                print(row, end="", flush=True)
    if child.returncode != 0 or payload is None or not payload["points"]:
        print(f"  FAILED: the memory run exited with {child.returncode}", flush=True)
        return {"ok": False}
    points = payload["points"]
    first, last = points[0], points[-1]
    if first[1] is not None and last[1] is not None:
        growth = last[1] - first[1]
        basis = "VmRSS"
    else:
        growth = last[2] - first[2]
        basis = "ru_maxrss"
    shape = "flat" if growth < FLAT_MB else "GROWS"
    line(f"growth {first[0]:,} -> {last[0]:,} cases ({basis})", f"{growth:+.1f} MB  -> {shape} "
         f"(flat = under {FLAT_MB:g} MB)")
    line("peak RSS: VmHWM / ru_maxrss", f"{fmt_mb(last[3])} / {fmt_mb(last[2])}")
    print("  (ru_maxrss can carry the parent's size at fork; VmHWM is this process's own peak)")
    peak = last[3] if last[3] is not None else last[2]
    return {"growth": growth, "shape": shape, "peak": peak, "first": first[0], "last": last[0],
            "rss": [p[1] for p in points],
            "ok": not payload["failed"]}


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark transferlaw: cold start, throughput, memory.")
    parser.add_argument("--ruleset", default=FLAGSHIP, help=f"rule set id (default: {FLAGSHIP})")
    parser.add_argument("--rules", action="append", type=Path, default=[], metavar="DIR",
                        help="rule-set directory, or directory of rule sets (repeatable; default: bundled)")
    parser.add_argument("--cases", type=int, default=2000, help="cases for the throughput run (default 2000)")
    parser.add_argument("--memory-cases", type=int, default=20000,
                        help="cases for the memory run (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the cases (default 1)")
    parser.add_argument("--cold-runs", type=int, default=COLD_RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cases < 1 or args.memory_cases < 1 or args.cold_runs < 1:
        parser.error("--cases, --memory-cases and --cold-runs must be at least 1")
    args.rules = [d if d.is_absolute() else (Path.cwd() / d).resolve() for d in args.rules]
    return args


def describe_environment() -> str:
    try:
        from importlib.metadata import version

        durable_version = version("durable-rules")
    except Exception:
        durable_version = "?"
    return (f"Python {platform.python_version()} ({platform.machine()}), durable-rules {durable_version}, "
            f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ruleset = load(args.ruleset, args.rules)
    if args.memory_child:
        return memory_child(ruleset, args.memory_cases, args.seed)
    if not durable.available():
        print(f"error: durable_rules is unavailable ({durable.IMPORT_ERROR})", file=sys.stderr)
        return 1

    print(f"transferlaw core benchmark: rule set '{ruleset.id}' ({ruleset.path or args.ruleset})")
    print(f"  {describe_environment()}")
    cold = cold_start(args.ruleset, args.rules, args.cold_runs)
    thru = throughput(ruleset, args.cases, args.seed)
    mem = memory(args.ruleset, args.rules, args.memory_cases, args.seed)

    section("Summary")
    if cold["ok"]:
        line("(a) cold start ratio run / bare imports",
             f"{cold['ratio']:.2f}  ({cold['run_ms']:.0f} ms / {cold['bare_ms']:.0f} ms; target <= "
             f"{TARGET_COLD_RATIO:g}){' [fallback case]' if cold['fallback'] else ''}")
    else:
        line("(a) cold start", "FAILED")
    line("(b) durable decide throughput",
         f"{thru['durable_cps']:,.0f} cases/s (target >= {TARGET_DURABLE_CPS:,.0f}); python "
         f"{thru['python_cps']:,.0f}; ratio {thru['ratio']:.3f}; evaluate {thru['evaluate_cps']:,.0f}")
    line("    engines agree", f"{thru['agree']}/{thru['count']}")
    if mem["ok"]:
        line("(c) memory growth", f"{mem['growth']:+.1f} MB from {mem['first']:,} to {mem['last']:,} cases "
             f"-> {mem['shape']}; peak RSS {mem['peak']:.1f} MB")
        line("    RSS at checkpoints", " / ".join(fmt_mb(p) for p in mem["rss"]))
    else:
        line("(c) memory", "FAILED")
    shown = ["python", "bench/bench_core.py", *(argv if argv is not None else sys.argv[1:])]
    pythonpath = os.environ.get("PYTHONPATH") or ("src" if ADDED_SRC else "")
    prefix = f"PYTHONPATH={shlex.quote(pythonpath)} " if pythonpath else ""
    line("command", prefix + " ".join(shlex.quote(a) for a in shown))
    return 0 if cold["ok"] and thru["ok"] and mem["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
