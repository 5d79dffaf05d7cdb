"""Question phrasings: how each answer to a question reads inside a sentence.

A question's ``phrases`` give a clause for every answer it can have and one for "not known", written so that it
can follow "If" or stand as a sentence once capitalised::

    phrases:
      true: the person has close family in the United States
      false: the person has no close family in the United States
      unknown: whether the person has close family in the United States is not known

The keys a question needs depend on its type: ``true`` and ``false`` for a boolean; one per choice for a
choice; one per choice and ``none`` (the empty list) for a multi; ``answer`` for a number or a date, with
``{answer}`` where the number and its unit, or the date, go; and ``unknown`` for every type. Text questions
are never read by a condition and take no phrases. Either all the keys a question needs are given, or none
(``check`` warns about a question an issue reads that has none). The memo layer makes sentences from them
(:mod:`transferlaw.memo.phrases`).
"""

from __future__ import annotations

from .errors import Collector
from .errors import quoted
from .errors import suggest
from .yamlio import YMap

UNKNOWN = "unknown"
ANSWER = "answer"
PLACEHOLDER = "{answer}"


def needed(qtype: str, choices: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The phrase keys a question of ``qtype`` with ``choices`` needs, in the order a file lists them."""
    if qtype == "boolean":
        keys: tuple[str, ...] = ("true", "false")
    elif qtype == "choice":
        keys = tuple(value for value, _ in choices)
    elif qtype == "multi":
        keys = (*(value for value, _ in choices), "none")
    elif qtype in ("number", "date"):
        keys = (ANSWER,)
    else:
        return ()
    return (*keys, UNKNOWN)


def read(node: YMap, qtype: str, choices: tuple[tuple[str, str], ...],
         out: Collector) -> tuple[tuple[str, str], ...]:
    """The ``phrases`` of a question node, checked: every problem is reported to ``out``."""
    if "phrases" not in node:
        return ()
    mapping = node["phrases"]
    if qtype == "text":
        out.error(node.key_pos["phrases"], "'phrases' do not apply to text questions",
                  "a text question is never read by a condition")
        return ()
    if not isinstance(mapping, YMap):
        return ()  # the shape check reported it
    keys = needed(qtype, choices)
    found: dict[str, str] = {}
    for key, value in mapping.items():
        if key not in keys:
            hint = suggest(key, keys) or "expected: " + ", ".join(keys)
            out.error(mapping.key_pos[key], f"no answer {quoted(key)} to phrase for a {qtype} question", hint)
            continue
        if not isinstance(value, str) or not value.strip():
            out.error(mapping.at(key), f"the phrase for {quoted(key)} must be text")
            continue
        text = " ".join(value.split())  # its length is capped by the YAML reader, like every text
        if key == ANSWER and PLACEHOLDER not in text:
            out.error(mapping.at(key), f"the phrase for 'answer' must say where the answer goes: {PLACEHOLDER}",
                      f"e.g. the person is {PLACEHOLDER} old")
            continue
        if key != ANSWER and PLACEHOLDER in text:
            out.error(mapping.at(key), f"only the phrase for 'answer' may hold {PLACEHOLDER}")
            continue
        found[key] = text
    missing = [key for key in keys if key not in mapping]
    if missing:
        out.error(mapping.pos, "'phrases' needs a phrase for every answer: missing " + ", ".join(missing))
    return tuple((key, found[key]) for key in keys if key in found) if not missing else ()
