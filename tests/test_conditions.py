"""Tests for conditions.py: the condition parser (precedence, literals, spans, syntax errors) and type checker."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from transferlaw.language import conditions
from transferlaw.language.conditions import ConditionProblem
from transferlaw.language.conditions import Problem
from transferlaw.language.conditions import parse
from transferlaw.language.errors import Position
from transferlaw.language.model import And
from transferlaw.language.model import Compare
from transferlaw.language.model import Conclusion
from transferlaw.language.model import Condition
from transferlaw.language.model import Const
from transferlaw.language.model import Contains
from transferlaw.language.model import Expr
from transferlaw.language.model import In
from transferlaw.language.model import Known
from transferlaw.language.model import Not
from transferlaw.language.model import Or
from transferlaw.language.model import Question
from transferlaw.language.model import Ref


def syntax_problem(text: str) -> Problem:
    """The problem the parser reports for ``text``."""
    with pytest.raises(ConditionProblem) as info:
        parse(text)
    return info.value.problem


def spans(expr: Expr) -> list[tuple[str, int, int]]:
    """Every node's class name and span, depth first."""
    found = [(type(expr).__name__, expr.start, expr.end)]
    if isinstance(expr, (And, Or)):
        for operand in expr.operands:
            found += spans(operand)
    elif isinstance(expr, Not):
        found += spans(expr.operand)
    return found


# --- precedence and grouping -----------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    """``a or b and c`` groups as ``a or (b and c)``."""
    assert parse("a or b and c") == Or(operands=(Ref(name="a"), And(operands=(Ref(name="b"), Ref(name="c")))))


def test_and_binds_tighter_than_or_on_the_left() -> None:
    """``a and b or c`` groups as ``(a and b) or c``."""
    assert parse("a and b or c") == Or(operands=(And(operands=(Ref(name="a"), Ref(name="b"))), Ref(name="c")))


def test_not_binds_tighter_than_and() -> None:
    """``not a and b`` groups as ``(not a) and b``."""
    assert parse("not a and b") == And(operands=(Not(operand=Ref(name="a")), Ref(name="b")))


def test_comparison_binds_tighter_than_not() -> None:
    """``not a == 1`` negates the comparison."""
    assert parse("not a == 1") == Not(operand=Compare(name="a", op="==", value=1))


def test_chains_of_the_same_operator_are_flat() -> None:
    """``a or b or c`` is one Or with three operands."""
    assert parse("a or b or c") == Or(operands=(Ref(name="a"), Ref(name="b"), Ref(name="c")))
    assert parse("a and b and c") == And(operands=(Ref(name="a"), Ref(name="b"), Ref(name="c")))


def test_parentheses_override_precedence() -> None:
    """``(a or b) and c`` keeps the Or inside the And."""
    assert parse("(a or b) and c") == And(operands=(Or(operands=(Ref(name="a"), Ref(name="b"))), Ref(name="c")))


def test_redundant_parentheses_add_no_nodes() -> None:
    """Parentheses group but leave no trace in the tree."""
    assert parse("((a))") == Ref(name="a")


def test_double_negation() -> None:
    """``not not a`` is two nested Nots."""
    assert parse("not not a") == Not(operand=Not(operand=Ref(name="a")))


def test_whitespace_is_optional_around_symbols() -> None:
    """Operators and strings need no spaces around them."""
    assert parse('a=="x"and(b)') == And(operands=(Compare(name="a", op="==", value="x"), Ref(name="b")))


# --- operators -------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparison_operators(op: str) -> None:
    """Every comparison operator parses to a Compare with that operator."""
    assert parse(f"months {op} 6") == Compare(name="months", op=op, value=6)


def test_in_list() -> None:
    """``x in [..]`` parses to In with the listed values."""
    assert parse('custodian in ["federal", "state"]') == In(name="custodian", values=("federal", "state"))


def test_not_in_list() -> None:
    """``x not in [..]`` parses to a negated In."""
    assert parse("n not in [1, 2]") == In(name="n", values=(1, 2), negated=True)


def test_list_allows_a_trailing_comma() -> None:
    """A trailing comma in a list is accepted."""
    assert parse("n in [1, 2,]") == In(name="n", values=(1, 2))


def test_contains() -> None:
    """``x contains "v"`` parses to Contains."""
    assert parse('conditions contains "no_visits"') == Contains(name="conditions", value="no_visits")


def test_known() -> None:
    """``known(x)`` parses to Known."""
    assert parse("known(appeal_pending)") == Known(name="appeal_pending")


def test_true_and_false_constants() -> None:
    """A bare ``true`` or ``false`` is a constant."""
    assert parse("true") == Const(value=True)
    assert parse("false or a") == Or(operands=(Const(value=False), Ref(name="a")))


# --- literals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"text"', "text"),
        ("'text'", "text"),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        (r'"a \"quoted\" word"', 'a "quoted" word'),
        (r"'it\'s'", "it's"),
        (r'"back\\slash"', "back\\slash"),
        (r'"line\nbreak"', "line\nbreak"),
        (r'"tab\there"', "tab\there"),
        ('""', ""),
        ('"é ü 中"', "é ü 中"),
        ("6", 6),
        ("0", 0),
        ("-3", -3),
        ("2.5", 2.5),
        ("-0.25", -0.25),
        ("007", 7),
        ("true", True),
        ("false", False),
    ],
)
def test_literals(literal: str, value: object) -> None:
    """Strings in either quotes (with escapes), integers, decimals, negatives and booleans parse to values."""
    expr = parse(f"x == {literal}")
    assert isinstance(expr, Compare)
    assert expr.value == value
    assert type(expr.value) is type(value)


# --- spans -----------------------------------------------------------------------------------------


def test_spans_of_a_compound_condition() -> None:
    """Each node's start and end offsets cover exactly its own text."""
    text = 'not a and (b == "x" or known(c))'
    assert spans(parse(text)) == [
        ("And", 0, 32),
        ("Not", 0, 5),
        ("Ref", 4, 5),
        ("Or", 10, 32),
        ("Compare", 11, 19),
        ("Known", 23, 31),
    ]


def test_spans_of_in_and_contains() -> None:
    """An In or Contains spans from the fact to the end of its literal or list."""
    assert spans(parse('  a in [1, 2]  ')) == [("In", 2, 13)]
    assert spans(parse('m not in ["x"]')) == [("In", 0, 14)]
    assert spans(parse('m contains "x"')) == [("Contains", 0, 14)]


def test_spans_are_not_part_of_equality() -> None:
    """Two trees that differ only in spans are equal."""
    assert parse("a  and   b") == parse("a and b")


# --- syntax errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "message", "hint"),
    [
        ("a = 1", 2, "'=' is not an operator", "use '=='"),
        ("a && b", 2, "'&&' is not an operator", "use 'and'"),
        ("a || b", 2, "'||' is not an operator", "use 'or'"),
        ("a & b", 2, "'&' is not an operator", "use 'and'"),
        ("a | b", 2, "'|' is not an operator", "use 'or'"),
        ("!a", 0, "'!' is not an operator", "use 'not'"),
        ("a and", 5, "found the end of the condition", None),
        ("not", 3, "found the end of the condition", None),
        ('"x" == a', 0, "a comparison must start with a question id", "write the fact on the left"),
        ("6 < a", 0, "a comparison must start with a question id", "write the fact on the left"),
        ('a == "abc', 5, "unterminated string", 'close it with "'),
        ("a == 'abc", 5, "unterminated string", "close it with '"),
        ("a in []", 6, "the list is empty", None),
        ("", 0, "the condition is empty", None),
        ("   ", 0, "the condition is empty", None),
        ("True", 0, "'True' is not a literal", "write true"),
        ("a == False", 5, "'False' is not a literal", "write false"),
        ("a == yes", 5, "'yes' is not a literal", "write true"),
        ("a b", 2, "unexpected text after the condition, found 'b'", "join conditions with 'and' or 'or'"),
        ("a)", 1, "unexpected text after the condition, found ')'", None),
        ("(a", 2, "expected ')'", None),
        ("a ==", 4, "expected a literal value", None),
        ("a == b", 5, "expected a literal value, found 'b'", 'quote text values: "b"'),
        ("a in [b]", 6, "expected a literal value, found 'b'", 'quote text values: "b"'),
        ("a in 1", 5, "expected '[' to start a list", None),
        ("a in [1 2]", 8, "expected ',' or ']'", None),
        ("a contains 1", 11, "'contains' takes a choice in quotes", None),
        ("known a", 6, "expected '(' after known", None),
        ("known(1)", 6, "expected a question id inside known(...)", None),
        ("a @ b", 2, "unexpected character '@'", None),
    ],
)
def test_syntax_errors(text: str, offset: int, message: str, hint: str | None) -> None:
    """Every syntax error is reported at a character offset with a clear message and, where it helps, a hint."""
    problem = syntax_problem(text)
    assert problem.offset == offset
    assert message in problem.message
    if hint is None:
        assert problem.hint is None
    else:
        assert problem.hint is not None
        assert hint in problem.hint


def test_overlong_condition_is_refused() -> None:
    """A condition longer than the limit is refused before parsing."""
    problem = syntax_problem("a or " * 1000 + "a")
    assert "longer than" in problem.message


def test_deep_nesting_is_refused() -> None:
    """Nesting deeper than the limit is a problem, not a recursion error."""
    problem = syntax_problem("(" * 200 + "a" + ")" * 200)
    assert "nested more than" in problem.message
    problem = syntax_problem("not " * 200 + "a")
    assert "nested more than" in problem.message


# --- type checking ---------------------------------------------------------------------------------

POS = Position("rules/x/ruleset.yaml", 1, 1)


def question(ident: str, qtype: str, choices: tuple[str, ...] = ()) -> Question:
    return Question(id=ident, prompt=f"{ident}?", type=qtype,  # type: ignore[arg-type]
                    choices=tuple((c, c.title()) for c in choices), pos=POS)


VOCAB: dict[str, Question | Conclusion] = {
    "citizen": question("citizen", "boolean"),
    "custodian": question("custodian", "choice", ("federal", "state", "ice")),
    "conditions": question("conditions", "multi", ("crowding", "no_visits")),
    "months_left": question("months_left", "number"),
    "notice_date": question("notice_date", "date"),
    "name": question("name", "text"),
    "protected": Conclusion(id="protected", title="Protected",
                            when=Condition(text="citizen", expr=Ref(name="citizen"), pos=POS), pos=POS),
}


def type_problems(text: str) -> list[tuple[int, str, str | None]]:
    return [(p.offset, p.message, p.hint) for p in conditions.check(parse(text), VOCAB)]


@pytest.mark.parametrize(
    "text",
    [
        "citizen",
        "not protected and citizen == true",
        'custodian == "ice"',
        'custodian != "state"',
        'custodian in ["federal", "state"]',
        'custodian not in ["ice"]',
        'conditions contains "crowding"',
        "months_left >= 6 and months_left < 12.5",
        "months_left in [1, 2, 3]",
        'notice_date > "2025-03-01"',
        'notice_date == "2024-02-29"',
        "known(name) and known(conditions)",
        "true or false",
    ],
)
def test_well_typed_conditions_have_no_problems(text: str) -> None:
    """Conditions that use each question type as documented pass the type checker."""
    assert type_problems(text) == []


def test_unknown_name_with_suggestion() -> None:
    """An unknown name is reported at its offset with a "did you mean"."""
    assert type_problems("citizen and custodain == \"ice\"") == [
        (12, "unknown name 'custodain'", "did you mean 'custodian'?"),
    ]


def test_unknown_name_without_close_match() -> None:
    """An unknown name unlike any known one has no hint."""
    assert type_problems("zzzz") == [(0, "unknown name 'zzzz'", None)]


def test_every_type_problem_is_reported() -> None:
    """The checker reports every problem in a condition, not just the first."""
    found = type_problems('citizn or custodian == "federl" or known(protected)')
    assert [offset for offset, _, _ in found] == [0, 10, 35]


def test_choice_literal_not_among_choices_has_suggestion() -> None:
    """A choice literal that is not a choice is an error with the closest choice suggested."""
    assert type_problems('custodian == "federl"') == [
        (0, "'federl' is not a choice of 'custodian'", "did you mean 'federal'?"),
    ]


def test_choice_literal_far_from_any_choice_lists_the_choices() -> None:
    """A choice literal unlike every choice gets the list of choices as its hint."""
    assert type_problems('custodian in ["federal", "prison"]') == [
        (0, "'prison' is not a choice of 'custodian'", "choices: federal, state, ice"),
    ]


def test_contains_literal_must_be_a_choice() -> None:
    """The value after ``contains`` must be one of the multi question's choices."""
    assert type_problems('conditions contains "no_visit"') == [
        (0, "'no_visit' is not a choice of 'conditions'", "did you mean 'no_visits'?"),
    ]


def test_contains_on_a_choice_question() -> None:
    """``contains`` on a single-choice question is an error suggesting == or in."""
    assert type_problems('citizen and custodian contains "ice"') == [
        (12, "'contains' needs a multi question; 'custodian' is choice", "use == or in"),
    ]


def test_contains_on_a_boolean_question() -> None:
    """``contains`` on a boolean question is an error."""
    assert [m for _, m, _ in type_problems('citizen contains "x"')] == [
        "'contains' needs a multi question; 'citizen' is boolean",
    ]


def test_order_operator_on_a_choice() -> None:
    """``<`` and friends on a choice question are errors."""
    assert type_problems('custodian < "state"') == [
        (0, "'<' needs a number or date question; 'custodian' is choice", None),
    ]


def test_order_operator_on_a_boolean() -> None:
    """``>=`` on a boolean question is an error."""
    assert [m for _, m, _ in type_problems("citizen >= true")] == [
        "'>=' needs a number or date question; 'citizen' is boolean",
    ]


def test_known_on_a_conclusion() -> None:
    """``known()`` takes a question; a conclusion is an error with an explanation."""
    assert type_problems("known(protected)") == [
        (0, "known() takes a question id; 'protected' is a conclusion", "a conclusion is unknown when its facts are"),
    ]


def test_conclusion_compared_like_a_question() -> None:
    """A conclusion may only be used on its own or with ``not``."""
    assert [m for _, m, _ in type_problems("protected == true")] == [
        "'protected' is a conclusion (true or false); use it on its own or with 'not'",
    ]


@pytest.mark.parametrize("text", ["name", 'name == "Jane"', 'name in ["Jane"]', "not name"])
def test_text_question_in_a_condition(text: str) -> None:
    """A text question can never be evaluated, so any use in a condition is an error."""
    found = type_problems(text)
    assert len(found) == 1
    assert found[0][1] == "'name' is a text question; text is never evaluated"
    assert found[0][2] == "use a choice or boolean question"


def test_number_compared_with_a_string() -> None:
    """A number question compared with text is an error."""
    assert [m for _, m, _ in type_problems('months_left >= "6"')] == [
        "'months_left' is a number; compare it with a number",
    ]


def test_number_compared_with_a_boolean() -> None:
    """A number question compared with true/false is an error (a boolean is not a number)."""
    assert [m for _, m, _ in type_problems("months_left == true")] == [
        "'months_left' is a number; compare it with a number",
    ]


def test_number_in_list_with_a_string() -> None:
    """Each value of an ``in`` list is checked against the question's type."""
    assert [m for _, m, _ in type_problems('months_left in [1, "2"]')] == [
        "'months_left' is a number; compare it with a number",
    ]


def test_huge_number_literal() -> None:
    """A number literal beyond the engine's range is an error."""
    assert [m for _, m, _ in type_problems("months_left < 10000000000000000")] == ["the number is too large"]


@pytest.mark.parametrize("literal", ['"2025-13-01"', '"2025-02-30"', '"1 May 2025"', '"2025-1-1"', "20250101"])
def test_date_literal_malformed(literal: str) -> None:
    """A date question compared with anything but a real ``YYYY-MM-DD`` date is an error."""
    assert [m for _, m, _ in type_problems(f"notice_date > {literal}")] == [
        "'notice_date' is a date; compare it with \"YYYY-MM-DD\"",
    ]


def test_boolean_compared_with_text() -> None:
    """A boolean question compared with text is an error."""
    assert [m for _, m, _ in type_problems('citizen == "yes"')] == [
        "'citizen' is true/false; compare it with true or false",
    ]


def test_choice_compared_with_a_number() -> None:
    """A choice question compared with a number is an error."""
    assert [m for _, m, _ in type_problems("custodian == 1")] == [
        "'custodian' is a choice; compare it with a choice in quotes",
    ]


def test_bare_choice_question_is_not_a_boolean() -> None:
    """A choice question used bare is an error with an example comparison."""
    assert type_problems("custodian") == [
        (0, "'custodian' is a choice question, not true/false", 'compare it, e.g. custodian == "federal"'),
    ]


def test_multi_question_compared_with_equals() -> None:
    """A multi question compared with == is an error suggesting contains."""
    assert type_problems('conditions == "crowding"') == [
        (0, "'conditions' is a multi question; test it with 'contains'", 'e.g. conditions contains "crowding"'),
    ]


def test_in_on_a_date_question() -> None:
    """``in`` needs a choice or number question."""
    assert [m for _, m, _ in type_problems('notice_date in ["2025-01-01"]')] == [
        "'in' needs a choice or number question; 'notice_date' is date",
    ]


def test_names_lists_every_mention_in_order() -> None:
    """``names`` yields every id a condition mentions, in order of appearance."""
    expr = parse('a and (b == 1 or not c in [2]) and known(d) or e contains "x" or true')
    assert list(conditions.names(expr)) == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("text", "valid"),
    [("2024-02-29", True), ("2023-02-29", False), ("2024-2-9", False), ("2024-02-29 ", False),
     ("24-02-29", False), ("2024-13-01", False), ("２０２４-02-29", False)],
)
def test_parse_date_is_strict(text: str, valid: bool) -> None:
    """Only a real calendar date written exactly ``YYYY-MM-DD`` (ASCII digits) parses."""
    assert (conditions.parse_date(text) is not None) is valid


# --- round trip: generate a tree, print it, parse it back ------------------------------------------

_EXCLUDED = conditions.RESERVED | {"yes", "no"}
names_st = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in _EXCLUDED)
text_st = st.text(alphabet=st.sampled_from(list("ab xyz_-\"'\\\n\té")), max_size=8)
int_st = st.integers(min_value=-10**6, max_value=10**6)
decimal_st = st.builds(lambda whole, frac: float(f"{whole}.{frac}"), st.integers(-9999, 9999),
                       st.integers(0, 999))
literal_st = st.one_of(text_st, int_st, decimal_st, st.booleans())


def leaves() -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(lambda v: Const(value=v), st.booleans()),
        st.builds(lambda n: Ref(name=n), names_st),
        st.builds(lambda n, op, v: Compare(name=n, op=op, value=v), names_st,
                  st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), literal_st),
        st.builds(lambda n, vs, neg: In(name=n, values=tuple(vs), negated=neg), names_st,
                  st.lists(literal_st, min_size=1, max_size=3, unique_by=lambda v: (isinstance(v, bool), v)),
                  st.booleans()),
        st.builds(lambda n, v: Contains(name=n, value=v), names_st, text_st),
        st.builds(lambda n: Known(name=n), names_st),
    )


def trees() -> st.SearchStrategy[Expr]:
    return st.recursive(
        leaves(),
        lambda inner: st.one_of(
            st.builds(lambda e: Not(operand=e), inner),
            st.builds(lambda es: And(operands=tuple(es)), st.lists(inner, min_size=2, max_size=3)),
            st.builds(lambda es: Or(operands=tuple(es)), st.lists(inner, min_size=2, max_size=3)),
        ),
        max_leaves=12,
    )


def show_literal(value: object, quote: str = '"') -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    assert isinstance(value, str)
    body = value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
    return quote + body + quote


def show(expr: Expr, quote: str = '"') -> str:
    """Print a tree as condition text with the fewest parentheses precedence allows."""
    def child(e: Expr, loose: tuple[type, ...]) -> str:
        text = show(e, quote)
        return f"({text})" if isinstance(e, loose) else text

    if isinstance(expr, Or):
        return " or ".join(child(e, (Or,)) for e in expr.operands)
    if isinstance(expr, And):
        return " and ".join(child(e, (And, Or)) for e in expr.operands)
    if isinstance(expr, Not):
        return "not " + child(expr.operand, (And, Or))
    if isinstance(expr, Const):
        return "true" if expr.value else "false"
    if isinstance(expr, Ref):
        return expr.name
    if isinstance(expr, Known):
        return f"known({expr.name})"
    if isinstance(expr, Compare):
        return f"{expr.name} {expr.op} {show_literal(expr.value, quote)}"
    if isinstance(expr, Contains):
        return f"{expr.name} contains {show_literal(expr.value, quote)}"
    assert isinstance(expr, In)
    values = ", ".join(show_literal(v, quote) for v in expr.values)
    return f"{expr.name} {'not in' if expr.negated else 'in'} [{values}]"


def subtrees(expr: Expr) -> list[Expr]:
    found = [expr]
    if isinstance(expr, (And, Or)):
        for operand in expr.operands:
            found += subtrees(operand)
    elif isinstance(expr, Not):
        found += subtrees(expr.operand)
    return found


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(tree=trees(), quote=st.sampled_from(['"', "'"]))
def test_printed_tree_parses_back_to_the_same_tree(tree: Expr, quote: str) -> None:
    """Any tree from the grammar, printed as text and parsed, gives back the same tree (spans aside)."""
    text = show(tree, quote)
    parsed = parse(text)
    assert parsed == tree
    assert show(parsed, quote) == text


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(tree=trees())
def test_every_span_reparses_to_its_own_node(tree: Expr) -> None:
    """The text under every node's span parses, on its own, to that node."""
    text = show(tree)
    for node in subtrees(parse(text)):
        assert 0 <= node.start < node.end <= len(text)
        assert parse(text[node.start:node.end]) == dataclasses.replace(node)


@pytest.mark.parametrize("text", ["a == 1e5", "a == 1.", "a >= 12abc"])
def test_malformed_numbers_are_named(text: str) -> None:
    """A number in a form the language does not take is reported as such, at its offset."""
    with pytest.raises(ConditionProblem) as info:
        parse(text)
    assert info.value.problem.offset == text.index(text.split()[-1])
    assert "is not a number" in info.value.problem.message
