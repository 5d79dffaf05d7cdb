"""Tests for yamlio.py: the safe, located YAML loader and locating text inside scalars."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.yamlio import YamlDoc
from transferlaw.language.yamlio import YList
from transferlaw.language.yamlio import YMap
from transferlaw.language.yamlio import decode
from transferlaw.language.yamlio import load_file
from transferlaw.language.yamlio import load_text
from transferlaw.language.yamlio import locate_in_scalar

from .conftest import run_isolated


def problems(text: str) -> list[Diagnostic]:
    """Every diagnostic that loading ``text`` reports (none if it loads)."""
    try:
        load_text(text, "f.yaml")
    except SourceError as exc:
        return [exc.diagnostic]
    except ValidationFailed as exc:
        return list(exc.diagnostics)
    return []


def where(diag: Diagnostic) -> tuple[int, int]:
    return diag.pos.line, diag.pos.col


# --- positions -------------------------------------------------------------------------------------


def test_positions_are_one_based() -> None:
    """The first character of a file is at line 1, column 1, and nested items count from there."""
    doc = load_text("a:\n  b: hello\n  c: [x, y]\n", "f.yaml")
    root = doc.root
    assert isinstance(root, YMap)
    assert root.pos == Position("f.yaml", 1, 1)
    assert root.key_pos["a"] == Position("f.yaml", 1, 1)
    inner = root["a"]
    assert inner.pos == Position("f.yaml", 2, 3)
    assert inner.key_pos["b"] == Position("f.yaml", 2, 3)
    assert inner.at("b") == Position("f.yaml", 2, 6)
    assert isinstance(inner["c"], YList)
    assert inner["c"].at(1) == Position("f.yaml", 3, 10)


def test_at_an_absent_key_is_the_mapping_itself() -> None:
    """Asking for the position of a missing key gives the mapping's own position."""
    doc = load_text("x: 1\ny:\n  z: 2\n", "f.yaml")
    assert doc.root["y"].at("missing") == Position("f.yaml", 3, 3)


def test_scalar_meta_records_style_and_raw_text() -> None:
    """Each scalar remembers how it was written: its style and its raw text."""
    doc = load_text("a: plain\nb: 'single'\nc: \"double\"\nd: |\n  block\n", "f.yaml")
    meta = doc.root.meta
    assert (meta["a"].style, meta["a"].raw) == ("", "plain")
    assert (meta["b"].style, meta["b"].raw) == ("'", "single")
    assert (meta["c"].style, meta["c"].raw) == ('"', "double")
    assert (meta["d"].style, meta["d"].raw) == ("|", "block\n")


def test_loaded_values_are_plain_python() -> None:
    """Mappings and lists compare equal to dicts and lists; scalars get their YAML types."""
    doc = load_text("n: 3\nf: 2.5\nb: true\nz: null\ns: text\nl: [1, two]\n", "f.yaml")
    assert doc.root == {"n": 3, "f": 2.5, "b": True, "z": None, "s": "text", "l": [1, "two"]}


def test_doc_keeps_the_file_lines() -> None:
    """The loaded document keeps the text's lines, for locating text inside scalars."""
    doc = load_text("a: 1\nb: 2\n", "f.yaml")
    assert doc == YamlDoc("f.yaml", doc.root, ("a: 1", "b: 2"))


# --- duplicate keys --------------------------------------------------------------------------------


def test_duplicate_keys_are_all_reported() -> None:
    """Every duplicate key is an error at the repeated key, with a hint naming the first line."""
    found = problems("a: 1\nb: 2\na: 3\nc:\n  d: 1\n  d: 2\nb: 4\n")
    assert [(where(d), d.message, d.hint) for d in found] == [
        ((3, 1), "duplicate key 'a'", "first defined at line 1"),
        ((6, 3), "duplicate key 'd'", "first defined at line 5"),
        ((7, 1), "duplicate key 'b'", "first defined at line 2"),
    ]


def test_same_key_in_different_mappings_is_fine() -> None:
    """The same key in two different mappings is not a duplicate."""
    assert problems("a:\n  x: 1\nb:\n  x: 2\n") == []


# --- scalar types ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-01-15", "2026-02-30", "2026-01-15 10:00:00", "2026-01-15T10:00:00Z"])
def test_dates_stay_strings(text: str) -> None:
    """Dates and timestamps load as the text written, so validation can parse them strictly."""
    assert load_text(f"d: {text}\n", "f.yaml").root == {"d": text}


def test_explicit_timestamp_tag_stays_a_string() -> None:
    """Even an explicit ``!!timestamp`` stays text."""
    assert load_text("d: !!timestamp 2020-01-01\n", "f.yaml").root == {"d": "2020-01-01"}


def test_keys_are_always_text() -> None:
    """Keys that look like numbers, booleans or null are kept as the text written."""
    assert list(load_text("1: a\ntrue: b\nnull: c\nyes: d\n", "f.yaml").root) == ["1", "true", "null", "yes"]


def test_unreadable_scalar_is_located() -> None:
    """A scalar forced to a type it cannot have is a located error."""
    found = problems("a: 1\nx: !!int abc\n")
    assert [(where(d), d.message) for d in found] == [((2, 4), "cannot read the value 'abc'")]


# --- numbers (issue 13, point 6) ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("010", 10), ("08", 8), ("007.5", 7.5), ("-0", 0), ("+5", 5), ("5.", 5.0), (".5", 0.5), ("-.5", -0.5),
    ("1,234", 1234), ("1,234.5", 1234.5), ("999999999999999", 999999999999999),
])
def test_numbers_are_plain_decimal(text: str, value: float) -> None:
    """Issue 13 point 6: a number is read as plain decimal digits, never by YAML 1.1's rules (``010`` was 8)."""
    loaded = load_text(f"n: {text}\n", "f.yaml").root["n"]
    assert loaded == value and type(loaded) is type(value)


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("1:30", "1:30 is not a plain decimal number", "write 90, or quote it if it is text"),
    ("-1:30", "-1:30 is not a plain decimal number", "write -90, or quote it if it is text"),
    ("0x10", "0x10 is not a plain decimal number", "write 16, or quote it if it is text"),
    ("0o10", "0o10 is not a plain decimal number", "write 8, or quote it if it is text"),
    ("0b11", "0b11 is not a plain decimal number", "write 3, or quote it if it is text"),
    ("1_0", "1_0 is not a plain decimal number", "write 10, or quote it if it is text"),
    ("1_000.5", "1_000.5 is not a plain decimal number", "write 1000.5, or quote it if it is text"),
    ("1.5e+3", "1.5e+3 is not a plain decimal number", "write 1500, or quote it if it is text"),
    ("5e-05", "5e-05 is not a plain decimal number", "write 0.00005, or quote it if it is text"),
])
def test_yaml_11_number_forms_are_located_errors(text: str, message: str, hint: str) -> None:
    """Issue 13 point 6: sexagesimal, hex, octal, binary, underscores and exponents are errors with a hint."""
    found = problems(f"a: 1\nfacts:\n  hours: {text}\n")
    assert [(where(d), d.message, d.hint) for d in found] == [((3, 10), message, hint)]


def test_number_forms_are_fine_as_quoted_text_and_infinity_stays_a_float() -> None:
    """Quoted, the same text is text; ``.inf`` and ``.nan`` stay floats, refused later as out of range."""
    root = load_text("a: '1:30'\nb: \"0x10\"\nc: .inf\nd: 1:30 pm\n", "f.yaml").root
    assert root["a"] == "1:30" and root["b"] == "0x10" and root["c"] == float("inf") and root["d"] == "1:30 pm"


# --- tags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: 1\nx: !!python/name:os.system\n", "python/name:os.system"),
        ("a: 1\nx: !!binary aGVsbG8=\n", "binary"),
        ("a: 1\nx: !custom value\n", "!custom"),
    ],
)
def test_scalar_tags_are_refused_with_position(text: str, tag: str) -> None:
    """A tag on a scalar is refused at the tagged value, naming the tag."""
    found = problems(text)
    assert len(found) == 1
    assert where(found[0]) == (2, 4)
    assert "is not allowed" in found[0].message
    assert tag in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nx: !!python/object:os.system {}\n",
        "a: 1\nx: !!python/object/apply:os.system [\"echo hi\"]\n",
        "a: 1\nx: !!python/object/new:os.system [\"echo hi\"]\n",
        "a: 1\nx: !!set {a, b}\n",
        "a: 1\nx: !!omap [a: 1]\n",
        "a: 1\nx: !custom {k: v}\n",
    ],
)
def test_collection_tags_are_refused_with_position(text: str) -> None:
    """A tag on a mapping or list (``!!python/object``, ``!!set``, ...) is refused at the tagged value."""
    found = problems(text)
    assert len(found) == 1
    assert where(found[0]) == (2, 4)
    assert "is not allowed" in found[0].message


def test_python_object_tag_never_runs_code(tmp_path: Path) -> None:
    """Loading a ``!!python/object/apply`` document never calls the named function."""
    marker = tmp_path / "ran"
    text = f"x: !!python/object/apply:os.system [\"touch {marker}\"]\n"
    problems(text)
    assert not marker.exists()


# --- anchors and aliases ---------------------------------------------------------------------------


def test_aliases_share_the_anchored_value() -> None:
    """An alias yields the anchored value itself, not a copy."""
    doc = load_text("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert doc.root["b"] == [1, 2]
    assert doc.root["b"] is doc.root["a"]


def test_billion_laughs_loads_fast() -> None:
    """An alias bomb of 9**15 leaves loads at once, because anchors are shared rather than expanded."""
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    names = "abcdefghijklmnop"
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    doc = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 2.0
    assert doc.root["p"][0] is doc.root["o"]
    assert doc.root["b"][8] is doc.root["a"]


def test_self_referencing_anchor_is_an_error() -> None:
    """A value that contains an alias to itself is a located error, not a hang or a recursion error."""
    found = problems("top: 1\na: &a\n  b: *a\n")
    assert len(found) == 1
    assert found[0].message == "an anchor refers to itself"
    assert found[0].pos.line in (2, 3)


def test_self_referencing_list_is_an_error() -> None:
    """A list that contains itself is a located error."""
    found = problems("a: &a [1, *a]\n")
    assert [d.message for d in found] == ["an anchor refers to itself"]


def test_merge_key_is_refused() -> None:
    """The ``<<`` merge key is refused at the key, with a hint to write the keys out."""
    found = problems("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n")
    assert [(where(d), d.message, d.hint) for d in found] == [
        ((3, 3), "merge keys ('<<') are not supported", "write the keys out"),
    ]


def test_complex_key_is_refused() -> None:
    """A list or mapping used as a key is a located error."""
    found = problems("a: 1\n? [x, y]\n: 2\n")
    assert [(where(d), d.message) for d in found] == [((2, 3), "a key must be a plain name, not a list or mapping")]


def test_deep_nesting_is_refused() -> None:
    """Nesting deeper than the limit is a located error, not a recursion error."""
    found = problems("a: " + "[" * 100 + "]" * 100 + "\n")
    assert len(found) == 1
    assert "nested more than" in found[0].message
    assert found[0].pos.line == 1


@pytest.mark.parametrize("text", [
    "'[' * 100_000 + ']' * 100_000",  # libyaml's composer recursed in C on this and crashed the process
    "'a: ' + '[' * 1000 + ']' * 1000",  # this one ended in a RecursionError
    "'- ' * 5000 + 'x'",
    "'a:\\n' + ''.join('  ' * i + '- x:\\n' for i in range(200))",
])
def test_very_deep_nesting_is_a_located_error_not_a_crash(text: str) -> None:
    """Refused from the event stream before composing, in a fresh interpreter so that a crash fails one test."""
    done = run_isolated(f"""
        from transferlaw.language.errors import SourceError
        from transferlaw.language.yamlio import load_text
        try:
            load_text({text}, "deep.yaml")
        except SourceError as exc:
            print(exc.report())
    """)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"deep\.yaml:\d+:\d+: nested more than 64 levels deep\n", done.stdout)


# --- malformed input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("a: 1\nb: c: d\n", 2, 5, "mapping values are not allowed"),
        ("a: 1\n\tb: 2\n", 2, 1, "tab"),
        ("a: [1, 2\nb: 3\n", 2, 2, "did not find expected ',' or ']'"),
        ("a: 'open\n", 2, 1, "unexpected end of stream"),
    ],
)
def test_invalid_yaml_is_located(text: str, line: int, col: int, fragment: str) -> None:
    """Malformed YAML is one SourceError at the line and column PyYAML points to."""
    with pytest.raises(SourceError) as info:
        load_text(text, "f.yaml")
    diag = info.value.diagnostic
    assert diag.message.startswith("invalid YAML: ")
    assert fragment in diag.message
    assert where(diag) == (line, col)


def test_second_document_message_says_what_was_expected() -> None:
    """A second YAML document in one file is reported with a message that says one document was expected."""
    with pytest.raises(SourceError) as info:
        load_text("a: 1\n---\nb: 2\n", "f.yaml")
    diag = info.value.diagnostic
    assert where(diag) == (2, 1)
    assert "single document" in diag.message


def test_non_utf8_bytes_are_located_at_the_bad_byte(tmp_path: Path) -> None:
    """A file that is not UTF-8 is an error at the line and column of the first bad byte."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\ntitle: Caf\xe9 au lait\n")
    with pytest.raises(SourceError) as info:
        load_file(path, "latin1.yaml")
    diag = info.value.diagnostic
    assert diag.pos == Position("latin1.yaml", 2, 11)
    assert "not valid UTF-8" in diag.message


def test_decode_locates_a_bad_byte_in_the_first_column() -> None:
    """A bad byte at the very start of a line is reported at column 1."""
    with pytest.raises(SourceError) as info:
        decode(b"a: 1\n\xff\n", "f.yaml")
    assert info.value.pos == Position("f.yaml", 2, 1)


def test_decode_accepts_a_byte_order_mark() -> None:
    """A UTF-8 byte order mark is dropped."""
    assert decode(b"\xef\xbb\xbfa: 1\n", "f.yaml") == "a: 1\n"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_loads_as_nothing(text: str) -> None:
    """An empty file (or only comments) loads with a None root, not an error."""
    doc = load_text(text, "f.yaml")
    assert doc.root is None


def test_missing_file_is_located(tmp_path: Path) -> None:
    """A missing file is a SourceError naming the path."""
    with pytest.raises(SourceError, match="no such file"):
        load_file(tmp_path / "absent.yaml", "absent.yaml")


def test_directory_is_not_a_yaml_file(tmp_path: Path) -> None:
    """Loading a directory is a SourceError, not an OS exception."""
    with pytest.raises(SourceError, match="is a directory"):
        load_file(tmp_path, "dir")


def test_load_file_uses_the_display_path(tmp_path: Path) -> None:
    """Positions carry the display path given, not the absolute path on disk."""
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_file(path, "shown/x.yaml")
    assert [str(d.pos) for d in info.value.diagnostics] == ["shown/x.yaml:2:1"]


# --- locate_in_scalar ------------------------------------------------------------------------------


def locate(text: str, key: str, offset: int) -> Position:
    doc = load_text(text, "f.yaml")
    return locate_in_scalar(doc.lines, doc.root.meta[key], offset)


def char_at(text: str, pos: Position) -> str:
    return text.splitlines()[pos.line - 1][pos.col - 1]


def test_locate_in_plain_scalar() -> None:
    """An offset into a plain one-line scalar maps to the exact column."""
    text = "top: 1\nwhen: citizen and custodian = 1\n"
    pos = locate(text, "when", 22)
    assert pos == Position("f.yaml", 2, 29)
    assert char_at(text, pos) == "="


@pytest.mark.parametrize("quote", ["'", '"'])
def test_locate_in_quoted_scalar(quote: str) -> None:
    """An offset into a quoted one-line scalar maps past the opening quote."""
    text = f"when: {quote}citizen = 1{quote}\n"
    pos = locate(text, "when", 8)
    assert pos == Position("f.yaml", 1, 16)
    assert char_at(text, pos) == "="


@pytest.mark.parametrize(
    "text",
    [
        'when: "custodian == \\"ice\\" and citizen = 1"\n',
        "when: 'custodian == ''ice'' and citizen = 1'\n",
    ],
)
def test_locate_after_an_escape_in_quoted_scalar(text: str) -> None:
    """An offset after an escape sequence in a quoted scalar still points at the right character."""
    doc = load_text(text, "f.yaml")
    offset = doc.root["when"].rindex("=")
    assert doc.root["when"][offset - 8:offset] == "citizen "
    assert char_at(text, locate(text, "when", offset)) == "="


def test_locate_in_literal_block_scalar() -> None:
    """An offset into a ``|`` block maps to the file line and column of that character."""
    text = "top: 1\nwhen: |\n  citizen and\n    custodian = 1\n"
    doc = load_text(text, "f.yaml")
    offset = doc.root["when"].index("=")
    pos = locate_in_scalar(doc.lines, doc.root.meta["when"], offset)
    assert pos == Position("f.yaml", 4, 15)
    assert char_at(text, pos) == "="


def test_locate_in_block_scalar_start() -> None:
    """Offset 0 of a ``|`` block is the first character of its first content line."""
    text = "item:\n  rule: |\n    First line.\n    Second line.\n"
    doc = load_text(text, "f.yaml")
    pos = locate_in_scalar(doc.lines, doc.root["item"].meta["rule"], 0)
    assert pos == Position("f.yaml", 3, 5)


def test_locate_in_block_scalar_after_a_blank_line() -> None:
    """Blank lines at the start of a ``|`` block are counted, and the indent comes from the first text line."""
    text = "rule: |\n\n  text here\n"
    doc = load_text(text, "f.yaml")
    pos = locate_in_scalar(doc.lines, doc.root.meta["rule"], 1)
    assert pos == Position("f.yaml", 3, 3)
    assert char_at(text, pos) == "t"


def test_locate_in_block_scalar_in_a_list() -> None:
    """A ``|`` block that is a list item is located like any other block."""
    text = "steps:\n  - |\n      deep\n      block\n"
    doc = load_text(text, "f.yaml")
    offset = doc.root["steps"][0].index("o")
    pos = locate_in_scalar(doc.lines, doc.root["steps"].meta[0], offset)
    assert pos == Position("f.yaml", 4, 9)
    assert char_at(text, pos) == "o"


def test_locate_in_folded_scalar_falls_back_to_the_value() -> None:
    """In a ``>`` folded scalar an offset cannot be mapped, so the start of the value is given."""
    assert locate("top: 1\nwhen: >\n  citizen and\n  custodian = 1\n", "when", 22) == Position("f.yaml", 2, 7)


def test_locate_in_multiline_plain_scalar_stays_in_the_file() -> None:
    """An offset in a plain scalar written over two lines points at the character, or at least at the value."""
    text = "top: 1\nwhen: citizen and\n  custodian = 1\n"
    doc = load_text(text, "f.yaml")
    offset = doc.root["when"].index("=")
    pos = locate_in_scalar(doc.lines, doc.root.meta["when"], offset)
    assert pos in (Position("f.yaml", 3, 13), Position("f.yaml", 2, 7))


@pytest.mark.parametrize(("text", "where", "code"), [
    ("title: a\x1bb\n", "1:9", "001B"),
    ("title: ok\nfacts:\n  x: \"a\x07b\"\n", "3:8", "0007"),
    ("a: 1\n\x00\n", "2:1", "0000"),
    ("é: 1\n日本語: \x07\n", "2:6", "0007"),  # libyaml reports a byte offset: found by review
])
def test_characters_yaml_refuses_are_located(text: str, where: str, code: str) -> None:
    """PyYAML's reader reports a control character by offset only; the message gives its line and column."""
    with pytest.raises(SourceError) as info:
        load_text(text, "f.yaml")
    assert info.value.report() == f"f.yaml:{where}: the character U+{code} is not allowed in YAML text (delete it)"


def test_control_characters_written_as_escapes_are_refused() -> None:
    """A double-quoted escape can still write a control character: refused, so none reaches a memo or a terminal."""
    with pytest.raises(ValidationFailed) as info:
        load_text('title: "a\\eb"\nfacts:\n  name: "x\\x07"\n  ok: "tab\\there\\nnew line"\n  "k\\x1b": 1\n', "f.yaml")
    assert info.value.report().splitlines() == [
        "f.yaml:1:8: the text holds the control character U+001B (remove it; tabs and line breaks are the only "
        "control characters allowed)",
        "f.yaml:3:9: the text holds the control character U+0007 (remove it; tabs and line breaks are the only "
        "control characters allowed)",
        "f.yaml:5:3: the key holds the control character U+001B (remove it)",
    ]
