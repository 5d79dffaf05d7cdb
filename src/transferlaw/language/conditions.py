"""Parse and type-check conditions: the small expression language of ``when:`` and ``ask_if:``.

Our own lexer and recursive-descent parser; nothing is ever passed to ``eval``. Problems are reported as
(offset, message, hint) so that the validator can turn the offset into a file:line:col.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass

from . import visitor
from .errors import suggest
from .limits import MAX_CONDITION_DEPTH as MAX_DEPTH
from .limits import MAX_CONDITION_LENGTH as MAX_LENGTH
from .limits import MAX_NUMBER
from .limits import MIN_FRACTION
from .model import And
from .model import Compare
from .model import Conclusion
from .model import Const
from .model import Contains
from .model import Expr
from .model import In
from .model import Known
from .model import Not
from .model import Or
from .model import Question
from .model import Ref
from .visitor import Visitor

KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "known", "true", "false"})
RESERVED = KEYWORDS | {"unknown", "sid", "id", "kind"}
ORDER_OPS = ("<", "<=", ">", ">=")

Literal = bool | int | float | str


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem in a condition at a character offset."""

    offset: int
    message: str
    hint: str | None = None


class ConditionProblem(Exception):
    """Raised by the parser; carries one :class:`Problem`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name, keyword, string, number, op, punct, eof
    text: str
    value: Literal | None
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<badnumber>-?\d[\w.]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)
_MISTAKES = {
    "=": ("'=' is not an operator", "use '==' to compare"),
    "&&": ("'&&' is not an operator", "use 'and'"),
    "||": ("'||' is not an operator", "use 'or'"),
    "!": ("'!' is not an operator", "use 'not', or '!=' to compare"),
    "&": ("'&' is not an operator", "use 'and'"),
    "|": ("'|' is not an operator", "use 'or'"),
}


def tokenize(text: str) -> Iterator[Token]:
    """Split a condition into tokens."""
    if len(text) > MAX_LENGTH:
        raise ConditionProblem(Problem(0, f"condition is longer than {MAX_LENGTH:,} characters",
                                       "move part of it into a conclusion"))
    pos = 0
    while pos < len(text):
        for bad in ("&&", "||"):
            if text.startswith(bad, pos):
                message, hint = _MISTAKES[bad]
                raise ConditionProblem(Problem(pos, message, hint))
        m = _TOKEN.match(text, pos)
        if m is None:
            char = text[pos]
            if char in _MISTAKES:
                message, hint = _MISTAKES[char]
                raise ConditionProblem(Problem(pos, message, hint))
            if char in "\"'":
                raise ConditionProblem(Problem(pos, "unterminated string", f"close it with {char}"))
            raise ConditionProblem(Problem(pos, f"unexpected character {char!r}"))
        kind = m.lastgroup or ""
        start, end = m.span()
        pos = end
        if kind == "space":
            continue
        if kind == "badnumber":
            raise ConditionProblem(Problem(start, f"'{m.group()}' is not a number",
                                           "write plain decimals such as 6 or 2.5"))
        raw = m.group()
        value: Literal | None = None
        if kind == "number":
            value = float(raw) if "." in raw or len(raw) > 30 else int(raw)  # a long one is out of range
        elif kind == "string":
            value = _unquote(raw)
        elif kind == "name" and raw in KEYWORDS:
            kind = "keyword"
            if raw in ("true", "false"):
                value = raw == "true"
        elif kind == "name" and raw in ("True", "False", "TRUE", "FALSE", "yes", "no"):
            word = "true" if raw in ("True", "TRUE", "yes") else "false"
            raise ConditionProblem(Problem(start, f"'{raw}' is not a literal", f"write {word}"))
        yield Token(kind, raw, value, start, end)
    yield Token("eof", "", None, len(text), len(text))


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (text is None or tok.text == text)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, message: str, hint: str | None = None, tok: Token | None = None) -> None:
        tok = tok or self.tok
        found = "the end of the condition" if tok.kind == "eof" else repr(tok.text)
        raise ConditionProblem(Problem(tok.start, f"{message}, found {found}", hint))

    def parse(self) -> Expr:
        if self.at("eof"):
            raise ConditionProblem(Problem(0, "the condition is empty"))
        expr = self.or_expr()
        if not self.at("eof"):
            hint = "join conditions with 'and' or 'or'" if self.tok.kind in ("name", "keyword") else None
            self.fail("unexpected text after the condition", hint)
        return expr

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionProblem(Problem(self.tok.start, f"nested more than {MAX_DEPTH} deep"))

    def or_expr(self) -> Expr:
        first = self.and_expr()
        items = [first]
        while self.at("keyword", "or"):
            self.take()
            items.append(self.and_expr())
        if len(items) == 1:
            return first
        return Or(operands=tuple(items), start=items[0].start, end=items[-1].end)

    def and_expr(self) -> Expr:
        first = self.not_expr()
        items = [first]
        while self.at("keyword", "and"):
            self.take()
            items.append(self.not_expr())
        if len(items) == 1:
            return first
        return And(operands=tuple(items), start=items[0].start, end=items[-1].end)

    def not_expr(self) -> Expr:
        if self.at("keyword", "not"):
            tok = self.take()
            self.nested()
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand=operand, start=tok.start, end=operand.end)
        return self.comparison()

    def comparison(self) -> Expr:
        tok = self.tok
        if tok.kind == "punct" and tok.text == "(":
            self.take()
            self.nested()
            inner = self.or_expr()
            self.depth -= 1
            close = self.expect("punct", ")", "')'")
            return _with_span(inner, tok.start, close.end)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.take()
            return Const(value=tok.text == "true", start=tok.start, end=tok.end)
        if tok.kind == "keyword" and tok.text == "known":
            self.take()
            self.expect("punct", "(", "'(' after known")
            name = self.tok
            if name.kind != "name":
                self.fail("expected a question id inside known(...)")
            self.take()
            close = self.expect("punct", ")", "')'")
            return Known(name=name.text, start=tok.start, end=close.end)
        if tok.kind != "name":
            if tok.kind in ("string", "number"):
                self.fail("a comparison must start with a question id",
                          "write the fact on the left, e.g. age >= 18")
            self.fail("expected a question id, a conclusion id, 'not', 'known(...)' or '('")
        self.take()
        if self.at("op"):
            op = self.take()
            value = self.literal()
            return Compare(name=tok.text, op=op.text, value=value, start=tok.start,
                           end=self.tokens[self.i - 1].end)
        if self.at("keyword", "in"):
            self.take()
            values = self.literal_list()
            return In(name=tok.text, values=values, start=tok.start, end=self.tokens[self.i - 1].end)
        if self.at("keyword", "not") and self.tokens[self.i + 1].text == "in":
            self.take()
            self.take()
            values = self.literal_list()
            return In(name=tok.text, values=values, negated=True, start=tok.start,
                      end=self.tokens[self.i - 1].end)
        if self.at("keyword", "contains"):
            self.take()
            if self.at("name", "any") or self.at("name", "all"):
                return self.contains_many(tok)
            value_tok = self.tok
            value = self.literal()
            if not isinstance(value, str):
                self.fail("'contains' takes a choice in quotes", tok=value_tok)
            return Contains(name=tok.text, value=str(value), start=tok.start,
                            end=self.tokens[self.i - 1].end)
        return Ref(name=tok.text, start=tok.start, end=tok.end)

    def contains_many(self, name: Token) -> Expr:
        """``x contains any [..]`` / ``x contains all [..]``: an or / and of single contains tests."""
        word = self.take().text
        values = self.literal_list()
        end = self.tokens[self.i - 1].end
        for value in values:
            if not isinstance(value, str):
                raise ConditionProblem(Problem(name.start, f"'contains {word}' takes choices in quotes"))
        tests = tuple(Contains(name=name.text, value=str(v), start=name.start, end=end) for v in values)
        if len(tests) == 1:
            return tests[0]
        return Or(operands=tests, start=name.start, end=end) if word == "any" else And(
            operands=tests, start=name.start, end=end)

    def literal(self) -> Literal:
        tok = self.tok
        if tok.kind in ("string", "number") or (tok.kind == "keyword" and tok.text in ("true", "false")):
            self.take()
            assert tok.value is not None
            return tok.value
        if tok.kind == "name":
            self.fail("expected a literal value", f'quote text values: "{tok.text}"')
        self.fail("expected a literal value (text in quotes, a number, true or false)")
        raise AssertionError("unreachable")

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("punct", "[", "'[' to start a list")
        values: list[Literal] = []
        seen: set[tuple[bool, Literal]] = set()
        while not self.at("punct", "]"):
            tok = self.tok
            value = self.literal()
            key = (isinstance(value, bool), value)
            if key in seen:  # the engine would test it twice; at scale, a limit (durable-rules.md §3)
                raise ConditionProblem(Problem(tok.start, f"{tok.text} is listed twice"))
            seen.add(key)
            values.append(value)
            if self.at("punct", ","):
                self.take()
            elif not self.at("punct", "]"):
                self.fail("expected ',' or ']'")
        self.take()
        if not values:
            raise ConditionProblem(Problem(self.tokens[self.i - 1].start, "the list is empty"))
        return tuple(values)


def _with_span(expr: Expr, start: int, end: int) -> Expr:
    """Widen a node's span to include surrounding parentheses."""
    import dataclasses

    return dataclasses.replace(expr, start=start, end=end)


def parse(text: str) -> Expr:
    """Parse a condition; raise :class:`ConditionProblem` on the first syntax error."""
    return _Parser(text).parse()


# --- type checking ------------------------------------------------------------------------------

Vocabulary = Mapping[str, Question | Conclusion]


def names(expr: Expr) -> Iterator[str]:
    """Every question or conclusion id the condition mentions, in order."""
    return visitor.names(expr)


def check(expr: Expr, vocab: Vocabulary) -> list[Problem]:
    """Every type problem in ``expr`` against the questions and conclusions of a rule set."""
    checker = _Checker(vocab)
    checker.visit(expr)
    return checker.problems


class _Checker(Visitor[None]):
    """Type problems, collected in ``problems``: each name against the question or conclusion it names."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.problems: list[Problem] = []

    def visit_const(self, expr: Const) -> None:
        return

    def visit_not(self, expr: Not) -> None:
        self.visit(expr.operand)

    def visit_junction(self, expr: And | Or, conjunction: bool) -> None:
        for operand in expr.operands:
            self.visit(operand)

    def named(self, expr: Known | Ref | Compare | In | Contains) -> Question | Conclusion | None:
        """What ``expr`` names; None, and a problem, if it names nothing."""
        item = self.vocab.get(expr.name)
        if item is None:
            self.problems.append(Problem(expr.start, f"unknown name '{expr.name}'", suggest(expr.name, self.vocab)))
        return item

    def lookup(self, expr: Ref | Compare | In | Contains) -> Question | None:
        """The question ``expr`` tests; None (and a problem unless it is a conclusion used on its own) if it
        tests none."""
        item = self.named(expr)
        if item is None:
            return None
        if isinstance(item, Conclusion):
            if not isinstance(expr, Ref):
                self.problems.append(Problem(expr.start, f"'{expr.name}' is a conclusion (true or false); use it "
                                             "on its own or with 'not'"))
            return None
        if item.type == "text":
            self.problems.append(Problem(expr.start, f"'{item.id}' is a text question; text is never evaluated",
                                         "use a choice or boolean question"))
            return None
        return item

    def visit_known(self, expr: Known) -> None:
        if isinstance(self.named(expr), Conclusion):
            self.problems.append(Problem(expr.start, f"known() takes a question id; '{expr.name}' is a "
                                         "conclusion", "a conclusion is unknown when its facts are"))

    def visit_ref(self, expr: Ref) -> None:
        q = self.lookup(expr)
        if q is not None and q.type != "boolean":
            self.problems.append(Problem(expr.start, f"'{q.id}' is a {q.type} question, not true/false",
                                         _compare_hint(q)))

    def visit_contains(self, expr: Contains) -> None:
        q = self.lookup(expr)
        if q is None:
            return
        if q.type != "multi":
            self.problems.append(Problem(expr.start, f"'contains' needs a multi question; '{q.id}' is {q.type}",
                                         "use == or in" if q.type == "choice" else None))
        else:
            _check_choice_literal(expr.value, q, expr.start, self.problems)

    def scalar(self, expr: Compare | In) -> Question | None:
        """The question of a comparison or ``in``, unless it is a multi question (a problem)."""
        q = self.lookup(expr)
        if q is not None and q.type == "multi":
            self.problems.append(Problem(expr.start, f"'{q.id}' is a multi question; test it with 'contains'",
                                         f'e.g. {q.id} contains "{q.choice_values[0]}"' if q.choices else None))
            return None
        return q

    def visit_in(self, expr: In) -> None:
        q = self.scalar(expr)
        if q is None:
            return
        if q.type not in ("choice", "number"):
            self.problems.append(Problem(expr.start, f"'in' needs a choice or number question; '{q.id}' is {q.type}"))
            return
        for value in expr.values:
            _check_literal(value, q, expr.start, self.problems)

    def visit_compare(self, expr: Compare) -> None:
        q = self.scalar(expr)
        if q is None:
            return
        if expr.op in ORDER_OPS and q.type not in ("number", "date"):
            self.problems.append(Problem(expr.start, f"'{expr.op}' needs a number or date question; '{q.id}' is "
                                         f"{q.type}"))
            return
        _check_literal(expr.value, q, expr.start, self.problems)


def _check_literal(value: Literal, q: Question, where: int, problems: list[Problem]) -> None:
    kind = q.type
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(Problem(where, f"'{q.id}' is true/false; compare it with true or false"))
    elif kind == "choice":
        if not isinstance(value, str):
            problems.append(Problem(where, f"'{q.id}' is a choice; compare it with a choice in quotes"))
        else:
            _check_choice_literal(value, q, where, problems)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(Problem(where, f"'{q.id}' is a number; compare it with a number"))
        elif not abs(value) < MAX_NUMBER:  # no conversion: an integer of any length is refused
            problems.append(Problem(where, "the number is too large", "numbers must be below 10^15"))
        elif value != 0 and abs(value) < MIN_FRACTION:
            problems.append(Problem(where, "the number is too small for the rules engine",
                                    "write 0, or a number of at least 0.0001"))
    elif kind == "date":
        if not isinstance(value, str) or parse_date(value) is None:
            problems.append(Problem(where, f"'{q.id}' is a date; compare it with \"YYYY-MM-DD\""))


def _check_choice_literal(value: str, q: Question, where: int, problems: list[Problem]) -> None:
    if value not in q.choice_values:
        hint = suggest(value, q.choice_values) or "choices: " + ", ".join(q.choice_values)
        problems.append(Problem(where, f"'{value}' is not a choice of '{q.id}'", hint))


def _compare_hint(q: Question) -> str | None:
    if q.type == "choice" and q.choices:
        return f'compare it, e.g. {q.id} == "{q.choice_values[0]}"'
    if q.type == "multi" and q.choices:
        return f'e.g. {q.id} contains "{q.choice_values[0]}"'
    if q.type in ("number", "date"):
        return "compare it with ==, <, >= ..."
    return None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> dt.date | None:
    """A strict ``YYYY-MM-DD`` date, or None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def expand(direct: set[str], vocab: Vocabulary) -> set[str]:
    """The names a condition depends on, through the conclusions it uses."""
    seen: set[str] = set()
    stack = list(direct)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        item = vocab.get(name)
        if isinstance(item, Conclusion) and item.title:  # stubs (no title yet) have no condition
            stack.extend(names(item.when.expr))
    return seen
