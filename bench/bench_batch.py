"""Benchmark batches: generated spreadsheet cases to JSON and to Markdown, by worker count, and memory.

Run from the repository root (package installed, or with PYTHONPATH=src):

    python bench/bench_batch.py [--cases 2000] [--jobs 1,2] [--seed 1]

Prints cases per second for `transferlaw batch` (in a fresh process each time, as a user runs it) to JSON
and to Markdown with each worker count, a plain loop doing what `transferlaw run -o` does for each case (for
comparison with --jobs 1), and the batch process's peak memory at two sizes (it must not grow with the
number of cases), and the floor: what deciding each case with durable_rules and rendering and writing one
prebuilt memo cost, which no batch can beat. Targets of the advocate-toolkit issue: JSON >= 1,000 cases/s
and Markdown >= 300 memos/s on 2 cores. It only measures.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
try:
    import transferlaw  # noqa: F401
except ImportError:  # pragma: no cover - run from a checkout without installing
    sys.path.insert(0, str(SRC))

from transferlaw import api  # noqa: E402
from transferlaw.engine import analysis  # noqa: E402
from transferlaw.tools import steps  # noqa: E402

RULESET = "foreign-prison-transfer"


def generate(path: Path, count: int, seed: int, profile: str = "random") -> None:
    """A CSV of ``count`` flagship cases, every row a different client (its own id and title).

    ``random``: every answer drawn from its question's domain, about a quarter left unknown (the worst case for
    the reuse of work across cases). ``bundled``: each row one of the bundled flagship cases with three answers
    changed at random (closer to a real client list, where most clients share most facts).
    """
    ruleset = api.load_ruleset(RULESET)
    questions = [q for q in ruleset.questions if q.type != "text" and analysis.domain(q, ruleset)]
    rng = random.Random(seed)
    bases = [case.facts for case in (api.load_case(p)[0] for p in sorted((ROOT / "cases").glob("*.yaml")))
             if case.ruleset == RULESET]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", *[q.id for q in questions]])
        for n in range(count):
            if profile == "bundled":
                facts = dict(rng.choice(bases))
                for q in rng.sample(questions, 3):
                    facts[q.id] = rng.choice([*analysis.domain(q, ruleset), None])
            else:
                facts = {q.id: rng.choice(analysis.domain(q, ruleset)) for q in questions if rng.random() >= 0.25}
            writer.writerow([f"case-{n:05d}", f"Generated case {n}",
                             *["" if facts.get(q.id) is None else steps.answer_text(facts[q.id]) for q in questions]])


def batch(sheet: Path, outdir: Path, fmt: str, jobs: int) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `transferlaw batch` run in a fresh process (its own peak, or its
    largest worker's: wait4 reports that child's usage alone, not the maximum over earlier runs)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "transferlaw", "batch", str(sheet), "-o", str(outdir), "-f", fmt,
                              "--ruleset", RULESET, "-j", str(jobs), "--force"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"transferlaw batch failed with exit code {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def plain_loop(sheet: Path, outdir: Path, fmt: str) -> float:
    """Cases per second of a plain loop over what `transferlaw run CASE -o FILE` does for each case (read and
    check it, evaluate, render, write the file durably), timed like a batch: a fresh process, start-up
    included (this script again, with --loop)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--loop", str(sheet), str(outdir), fmt], env=env, check=True,
                          capture_output=True, text=True)
    return int(done.stdout) / (time.perf_counter() - start)


def loop(sheet: Path, outdir: Path, fmt: str) -> int:
    """The plain loop itself; the number of memos written."""
    from transferlaw.batch.sources import expand

    outdir.mkdir()
    count = 0
    for item in expand([sheet], ruleset=RULESET):
        if item.case is None or item.ruleset is None:
            continue
        data = api.render_memo_bytes(api.evaluate_case(item.case, item.ruleset), fmt)
        api.write_output(outdir / f"{item.key}.{fmt}", data)
        count += 1
    return count


def floor(sheet: Path, outdir: Path, fmt: str) -> float:
    """Cases per second of the work no memo can avoid: durable_rules deciding the case, and one memo (built
    once, beforehand) rendered in ``fmt`` and written. No explanation, text, sensitivity or document is
    computed per case, so this bounds what any batch on this machine can reach with one worker."""
    from transferlaw.batch.sources import expand
    from transferlaw.engine import evaluate

    items = [i for i in expand([sheet], ruleset=RULESET) if i.case is not None]
    first = items[0]
    assert first.case is not None and first.ruleset is not None
    document = api.memo_document(api.evaluate_case(first.case, first.ruleset))
    outdir.mkdir()
    start = time.perf_counter()
    for item in items:
        assert item.case is not None and item.ruleset is not None
        evaluate.decide(item.ruleset, item.case.facts, "durable")
        api.write_output(outdir / f"{item.key}.{fmt}", api.render_document(document, fmt), sync_dir=False)  # as a batch
    return len(items) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    args_given = sys.argv[1:] if argv is None else argv
    if args_given[:1] == ["--loop"]:
        print(loop(Path(args_given[1]), Path(args_given[2]), args_given[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=("random", "bundled"), default="random",
                        help="random answers (the default, the worst case), or bundled cases with 3 answers changed")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="transferlaw-bench-"))
    try:
        sheet = work / "cases.csv"
        generate(sheet, args.cases, args.seed, args.profile)
        print(f"{args.cases:,} generated cases of {RULESET} ({args.profile}); {os.cpu_count()} cores")
        for fmt, target in (("json", 1000), ("md", 300)):
            for jobs in (int(j) for j in args.jobs.split(",")):
                seconds, peak = batch(sheet, work / f"out-{fmt}-{jobs}", fmt, jobs)
                rate = args.cases / seconds
                print(f"  batch -f {fmt:4} -j {jobs}: {rate:8,.0f} cases/s  ({seconds:.1f} s; peak RSS {peak:.0f} MB)"
                      f"  target >= {target:,}: {'meets' if rate >= target else 'MISSES'}")
            rate = floor(sheet, work / f"floor-{fmt}", fmt)
            print(f"  floor, {fmt}: {rate:8,.0f} cases/s with one worker, so about {2 * rate:,.0f} on 2 cores at best "
                  "(durable decides, one prebuilt memo rendered and written)")
            print(f"  plain loop over run, {fmt}:   {plain_loop(sheet, work / f'loop-{fmt}', fmt):8,.0f} cases/s "
                  "(one fresh process, as a user's script; compare with -j 1)")
        small = work / "small.csv"
        generate(small, max(100, args.cases // 10), args.seed, args.profile)
        _, peak_small = batch(small, work / "out-small", "json", 1)
        _, peak_large = batch(sheet, work / "out-large", "json", 1)
        print(f"  peak RSS, -j 1 json: {peak_small:.0f} MB at {max(100, args.cases // 10):,} cases, "
              f"{peak_large:.0f} MB at {args.cases:,} cases")
        print(f"command: python bench/bench_batch.py {' '.join(argv or sys.argv[1:])}".rstrip())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
