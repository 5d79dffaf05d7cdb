"""transferlaw: a legal issue-spotting rules engine — YAML rule sets, three-valued findings, IRAC memos."""

from __future__ import annotations

from ._version import __version__
from .api import evaluate_case  # noqa: E402
from .api import find_rulesets  # noqa: E402
from .api import load_case  # noqa: E402
from .api import load_ruleset  # noqa: E402
from .api import load_tests  # noqa: E402
from .api import memo_document  # noqa: E402
from .api import render_memo  # noqa: E402
from .api import run  # noqa: E402
from .api import run_tests  # noqa: E402
from .language.errors import Diagnostic  # noqa: E402
from .language.errors import EngineError  # noqa: E402
from .language.errors import Position  # noqa: E402
from .language.errors import SourceError  # noqa: E402
from .language.errors import TransferlawError  # noqa: E402
from .language.errors import ValidationFailed  # noqa: E402

__all__ = [
    "Diagnostic",
    "EngineError",
    "Position",
    "SourceError",
    "TransferlawError",
    "ValidationFailed",
    "__version__",
    "evaluate_case",
    "find_rulesets",
    "load_case",
    "load_ruleset",
    "load_tests",
    "memo_document",
    "render_memo",
    "run",
    "run_tests",
]
