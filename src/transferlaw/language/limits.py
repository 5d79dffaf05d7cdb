"""The size limits every input is checked against, in one place (docs/rule-language.md, "Limits").

Two kinds of limit live here. **Input caps** bound what a user can write (files, rule sets, cases,
spreadsheets): each is several times the largest real use (the bundled foreign-prison-transfer rule set has 41
questions, 33 conclusions, 51 issues and 88 authorities; its largest file is 86 KB and 4,010 YAML nodes), and
tight enough that validation, the engine and memo rendering stay bounded in time and memory. **Engine
limits** are durable_rules' own (durable-rules.md §3 and §5, and its C sources), each kept with a margin
below the point where the engine fails, crashes or hangs; the compiler checks them, so no rule set reaches the
engine beyond them. Every cap is reported as a located error (``path:line:col: what is wrong (hint)``) by the
module that reads the input: :mod:`yamlio`, :mod:`validate_ruleset`, :mod:`validate_case`, :mod:`sheets`,
:mod:`answer_files` (for grading) and :mod:`compile`.
"""

from __future__ import annotations

import re

# --- files ---------------------------------------------------------------------------------------

MAX_FILE_BYTES = 5 * 1024 * 1024
"""A YAML file (rule-set, rule-set test, case, mapping file), or case text from stdin or an upload."""
MAX_YAML_DEPTH = 64
"""Nesting of YAML collections (libyaml's composer recurses in C and crashes on very deep nesting)."""
MAX_YAML_NODES = 100_000
"""Values (scalars, lists, mappings) in one YAML file; each takes about 20 µs and 650 bytes to load."""
MAX_RULESET_FILES = 200
"""YAML files of one rule set, counted separately for its definition files and its test files."""
MAX_CSV_BYTES = 64 * 1024 * 1024
"""A CSV spreadsheet."""
MAX_CSV_ROWS = 100_000
"""Rows of cases in one CSV spreadsheet (the header row not counted)."""
MAX_CSV_COLUMNS = 1_000
"""Cells in a CSV row."""
MAX_ANSWERS = 1_000
"""Issues listed in one student's answer file (twice the most issues a rule set may have)."""

# --- text and numbers (any file) -----------------------------------------------------------------

CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Characters no text may hold (all C0 and C1 controls but tab and line breaks): in a memo printed to a
terminal they would move the cursor or change colours, and Word refuses them."""

MAX_TEXT_LENGTH = 20_000
"""Characters in any text: a YAML string or key, a text answer, a CSV cell, a line of an answer file."""
MAX_ID_LENGTH = 100
"""Characters in an id: rule-set, question, conclusion, issue, authority, area and choice ids."""
MAX_NUMBER = 1e15
"""Numbers (answers, conditions, ``min``/``max``, ``year``) must be finite and below this in size: exact in a
double, and far below durable's 2^63 saturation."""
MIN_FRACTION = 1e-4
"""Non-zero numbers must be at least this in size: smaller ones print with an exponent (``1e-05``), which
durable refuses (error 204)."""

# --- rule sets -----------------------------------------------------------------------------------

MAX_QUESTIONS = 500
MAX_CONCLUSIONS = 500
MAX_ISSUES = 500
MAX_AUTHORITIES = 1_000
MAX_AREAS = 100
MAX_TESTS = 2_000
"""Rule-set tests, over all of a rule set's test files."""
MAX_CHOICES = 200
"""Choices of one choice or multi question; also the items of one multi answer."""
MAX_LIST_ITEMS = 100
"""Items of the other lists of a rule set: an issue's ``next_steps`` and ``authorities``, a test's ``missing``."""
MAX_CONDITION_LENGTH = 4_000
"""Characters in one condition (``when:``, ``ask_if:``)."""
MAX_CONDITION_DEPTH = 50
"""Nesting of ``not`` and parentheses in one condition."""

SECTION_CAPS = {"questions": MAX_QUESTIONS, "conclusions": MAX_CONCLUSIONS, "issues": MAX_ISSUES,
                "authorities": MAX_AUTHORITIES}

# --- the engine (durable-rules.md §3 and §5), each with a margin ---------------------------------

MAX_RULES = 4_000
"""Engine rules of one rule set (error 106 beyond 4,096)."""
MAX_ALPHA_CHILDREN = 480
"""Different tests right after one test of the engine's network, e.g. the values of an ``in [...]`` list or the
``contains`` tests of one question (registration never returns beyond 512)."""
MAX_ALPHA_LIST = 120
"""``known(...)`` tests, and ``or``/``in`` alternatives joining again, after one test (error 107 beyond 128)."""
MAX_ALPHA_RULES = 240
"""Engine rules that end on one identical test, e.g. that use the same conclusion (error 108 beyond 256, and
memory corruption at exactly 257)."""
MAX_GROUPS = 14
"""``$and``/``$or`` groups in one engine pattern (error 113 at 16); deeper patterns are split."""
MAX_JOIN = 15
"""Facts joined by one engine rule: the case and up to 14 conclusions (error 304 beyond 16, at assert time)."""
MAX_FACT_KEYS = 240
"""Keys of the case fact: sid, kind, bucket tests and every question conditions read (error 302 beyond 253)."""
MAX_STACK = 60
"""Tests one case fact can match at once, an upper bound computed by :mod:`transferlaw.engine.fanout` (durable's walk
stack holds 64: error 303 beyond, when a case is asserted)."""
MAX_TERMS = 64
"""Alternatives of one condition once its conclusions are expanded (bounds the compiler's work)."""
MAX_STRING_BYTES = 65_535
"""UTF-8 bytes of a string sent to the engine (longer ones compare wrongly); the adapter's last check."""
MAX_INT = 2**53
"""Integers sent to the engine (2^63 and beyond saturate); the adapter's last check."""
