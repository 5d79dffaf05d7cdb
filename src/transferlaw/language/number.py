"""Read a number written as text, the one way every input reads it: plain decimal digits.

A case file, a CSV cell, a web form, the terminal interview and ``whatif --set`` all call :func:`parse_number`,
so ``010`` is 10 everywhere. Plain decimal means an optional sign, the digits 0-9 (optionally grouped in
threes by commas: ``1,234``) and an optional decimal point: ``12``, ``010``, ``2.5``, ``.5``, ``5.``. Forms
that YAML 1.1 or a programming language would read as another number (``1:30`` is 90 in base 60, ``0x10``
is 16, ``0o10`` is 8, ``1_0`` is 10, ``1e3`` is 1000) are refused with the plain number to write instead, so
that nobody's answer is read differently from the way it looks.
"""

from __future__ import annotations

import decimal
import re

from .limits import MAX_NUMBER

PLAIN = re.compile(r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)")
"""What :func:`parse_number` accepts (ASCII digits only: ``\\d`` would take other scripts' digits too)."""

_SIXTY = re.compile(r"([+-]?)([0-9][0-9_]*(?::[0-5]?[0-9])+)(\.[0-9_]*)?")
_BASES = {"x": 16, "o": 8, "b": 2}
_PREFIXED = re.compile(r"([+-]?)0([xob])([0-9a-f_]+)", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:e[+-]?[0-9]+)?", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]{1,2}")
_NOT_FINITE = re.compile(r"[+-]?\.?(?:inf|infinity|nan)", re.IGNORECASE)
_MOST_DIGITS = 30
"""Longer numbers are out of range anyway (below 10^15); reading them as floats avoids int()'s digit limit."""


class NumberError(ValueError):
    """Text that is not a plain decimal number: ``message`` says so and ``hint`` (if any) what to write."""

    def __init__(self, message: str, hint: str | None = None, *, beyond: bool = False) -> None:
        super().__init__(message if hint is None else f"{message} ({hint})")
        self.message = message
        self.hint = hint
        self.beyond = beyond
        """True for infinity, NaN and exponents past any number's range (``1e400``): a loader may keep them as
        floats and let the range check refuse them."""

    @property
    def number_like(self) -> bool:
        """True when the text is a number in some other notation (the hint says how to write it plainly)."""
        return self.hint is not None


def parse_number(text: str) -> int | float:
    """The number ``text`` spells in plain decimal (surrounding spaces ignored): an int unless it has a
    decimal point. Range and bounds are the caller's to check.

    :raises NumberError: any other text; for a number in another notation, with the plain number as a hint.
    """
    stripped = text.strip()
    if PLAIN.fullmatch(stripped):
        digits = stripped.replace(",", "")
        if "." in digits or len(digits) > _MOST_DIGITS:
            return float(digits)
        return int(digits)
    raise _refused(stripped)


def _refused(text: str) -> NumberError:
    shown = text if len(text) <= 40 else text[:40] + "…"
    message = f"{shown} is not a plain decimal number"
    if _SCIENTIFIC.fullmatch(text) and "e" in text.lower() and any(ch.isdigit() for ch in text):
        if abs(decimal.Decimal(text.replace("_", ""))) >= MAX_NUMBER:  # 1.0e+20: its range is what is wrong
            return NumberError(message, f"it is out of range: numbers must be below {MAX_NUMBER:,.0f}", beyond=True)
    rewritten = _rewritten(text)
    if rewritten is not None:
        return NumberError(message, f"write {rewritten}")
    if _NOT_FINITE.fullmatch(text):
        return NumberError(message, "numbers must be finite", beyond=True)
    if _DECIMAL_COMMA.fullmatch(text):
        return NumberError(message, f"use a dot for decimals, e.g. {text.replace(',', '.')}")
    if "," in text and PLAIN.fullmatch(text.replace(",", "")):
        return NumberError(message, "commas may only group digits in threes, e.g. 1,234,567")
    if _SCIENTIFIC.fullmatch(text) and any(ch.isdigit() for ch in text):  # 1e400: no use spelling it out
        if decimal.Decimal(text.replace("_", "")).adjusted() > 0:
            return NumberError(message, "it is out of range: numbers must be below 10^15", beyond=True)
        return NumberError(message, "it is too small to be meaningful: round it")
    return NumberError(f"{shown!r} is not a number")


def _rewritten(text: str) -> str | None:
    """``text`` as plain decimal digits when it is a number in another notation, else None."""
    sixty = _SIXTY.fullmatch(text)
    if sixty is not None:
        sign, whole, fraction = sixty.groups()
        value = decimal.Decimal(0)
        for part in whole.replace("_", "").split(":"):
            value = value * 60 + int(part)
        if fraction and fraction.replace("_", "") != ".":
            value += decimal.Decimal("0" + fraction.replace("_", ""))
        return _plain(sign + str(value))
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed is not None:
        sign, base, digits = prefixed.groups()
        try:
            return _plain(sign + str(int(digits.replace("_", ""), _BASES[base.lower()])))
        except ValueError:
            return None
    if _SCIENTIFIC.fullmatch(text) and any(ch.isdigit() for ch in text):
        return _plain(text.replace("_", ""))
    sign = text[:1] if text[:1] in ("+", "-") else ""
    body = text[len(sign):]
    if body.isdecimal() and len(body) <= _MOST_DIGITS:  # the digits of another script: ١٠, １０
        return _plain(sign + str(int(body)))
    return None


def _plain(text: str) -> str | None:
    """A number's text as plain decimal digits (``1.5e3`` -> ``1500``), or None when it is far out of range."""
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() > _MOST_DIGITS or value.adjusted() < -_MOST_DIGITS:
        return None
    shown = format(value.normalize() if value == value.to_integral_value() else value, "f")
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return "0" if shown in ("-0", "+0") else shown
