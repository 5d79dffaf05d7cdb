"""Counts and numbers in English words, for messages and memos alike."""

from __future__ import annotations


def number_text(value: float) -> str:
    """A number without a needless ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def counted(count: float, plural: str) -> str:
    """A count and its noun, the noun singular for one: ``counted(1, "errors")`` is ``1 error``,
    ``counted(2, "errors")`` ``2 errors``, ``counted(1, "days")`` ``1 day``."""
    return f"{number_text(count)} {singular(plural) if abs(count) == 1 else plural}"


def singular(plural: str) -> str:
    """The singular of an English plural (its last word): days → day, inches → inch, entries → entry;
    a word that is not a regular plural (kg, %, class) is left as it is."""
    if plural.endswith("ies") and len(plural) > 4:
        return plural[:-3] + "y"
    if plural.endswith(("sses", "shes", "ches", "xes", "zes")):
        return plural[:-2]
    if plural.endswith("s") and not plural.endswith(("ss", "us")) and len(plural) > 1:
        return plural[:-1]
    return plural
