"""Benchmark the web app: server-side time of each interview step with the flagship rule set.

Run from the repository root (package installed, or with PYTHONPATH=src):

    python bench/bench_web.py [--cases 6]

One step is what a browser asks for when the user answers: the POST of the answer (CSRF check, parsing,
saving the interview in the SQLite store) and the GET of the next page (choosing the next question, the
live findings, progress, rendering). Both go through Flask's test client, so the figure is the server's
time without the network. Each bundled flagship case is answered question by question as the app asks.
Budget of the web-app issue: <= 50 ms per step. It also times the memo page. It only measures.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:
    import transferlaw  # noqa: F401
except ImportError:  # pragma: no cover - run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from transferlaw import api  # noqa: E402
from transferlaw.web import create_app  # noqa: E402

RULESET = "foreign-prison-transfer"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6)
    args = parser.parse_args(argv)
    cases = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case, ruleset = api.load_case(path)
        if ruleset.id == RULESET:
            cases.append(case)
    cases = cases[:args.cases]
    steps: list[float] = []
    memos: list[float] = []
    with tempfile.TemporaryDirectory() as state:
        app = create_app(state_dir=Path(state))
        client = app.test_client()
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").get_data(as_text=True))
        assert token is not None
        csrf = token.group(1)
        for case in cases:
            where = client.post("/start", data={"csrf": csrf, "ruleset": RULESET, "title": case.title}
                                ).headers["Location"]
            page = client.get(where).get_data(as_text=True)
            while True:
                found = re.search(r'name="question" value="([^"]+)"', page)
                if found is None:
                    break
                asked = found.group(1)
                value = case.facts.get(asked)
                form: dict[str, str | list[str]] = {"csrf": csrf, "question": asked}
                if value is None:
                    form["action"] = "unknown"
                else:
                    form["action"] = "answer"
                    form["value"] = (list(value) if isinstance(value, tuple) else
                                     ("yes" if value else "no") if isinstance(value, bool) else str(value))
                start = time.perf_counter()
                response = client.post(where, data=form)
                page = client.get(where).get_data(as_text=True)
                steps.append(time.perf_counter() - start)
                assert response.status_code == 303, response.status_code
            start = time.perf_counter()
            client.get(where + "/memo")
            memos.append(time.perf_counter() - start)
    ms = sorted(s * 1000 for s in steps)
    print(f"{len(ms)} interview steps over {len(cases)} flagship cases")
    print(f"  step (POST answer + GET next page): median {statistics.median(ms):.1f} ms, "
          f"95th percentile {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms   budget <= 50 ms: "
          f"{'meets' if ms[-1] <= 50 else 'MISSES'}")
    print(f"  memo page: median {statistics.median(memos) * 1000:.1f} ms, max {max(memos) * 1000:.1f} ms")
    print(f"command: python bench/bench_web.py {' '.join(argv or sys.argv[1:])}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
