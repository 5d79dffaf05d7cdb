"""The editor JSON Schemas (schemas/*.schema.json) are valid, accept every bundled file and match the validator."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from transferlaw.language import conditions
from transferlaw.language.model import AUTHORITY_KINDS
from transferlaw.language.model import SEVERITIES
from transferlaw.language.ruleset_files import AUTHORITY
from transferlaw.language.ruleset_files import CITATION
from transferlaw.language.ruleset_files import CONCLUSION
from transferlaw.language.ruleset_files import IDENT
from transferlaw.language.ruleset_files import ISSUE
from transferlaw.language.ruleset_files import META
from transferlaw.language.ruleset_files import QUESTION
from transferlaw.language.ruleset_files import QUESTION_TYPES
from transferlaw.language.ruleset_files import SECTIONS
from transferlaw.language.ruleset_files import SLUG
from transferlaw.language.ruletest_builder import CONCLUSION_VALUES
from transferlaw.language.ruletest_builder import EXPECT
from transferlaw.language.ruletest_builder import ISSUE_STATUSES
from transferlaw.language.ruletest_builder import TEST
from transferlaw.language.shapes import BOOL
from transferlaw.language.shapes import CITATION_LIST
from transferlaw.language.shapes import DATE
from transferlaw.language.shapes import INT
from transferlaw.language.shapes import LIST
from transferlaw.language.shapes import MAP
from transferlaw.language.shapes import NUMBER
from transferlaw.language.shapes import TEXT
from transferlaw.language.shapes import TEXT_LIST
from transferlaw.language.shapes import Field
from transferlaw.language.validate_case import CASE
from transferlaw.language.validate_case import MAX_NUMBER
from transferlaw.language.validate_case import MAX_TEXT

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
RULESET_SCHEMA = SCHEMAS / "ruleset.schema.json"
CASE_SCHEMA = SCHEMAS / "case.schema.json"
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def _schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


RULESET = _schema(RULESET_SCHEMA)
CASE_FILE = _schema(CASE_SCHEMA)


def _plain(value: Any) -> Any:
    """A safe-loaded YAML value with dates as ISO text, as the language server and transferlaw read them."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _load(path: Path) -> Any:
    return _plain(yaml.safe_load(path.read_text(encoding="utf-8")))


def _errors(schema: dict[str, Any], document: Any) -> list[str]:
    return [error.message for error in Draft202012Validator(schema).iter_errors(document)]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


RULESET_FILES = sorted([*ROOT.glob("rules/**/*.yaml"), *ROOT.glob("tests/data/rules/**/*.yaml")])
CASE_FILES = sorted([*ROOT.glob("cases/**/*.yaml"), *ROOT.glob("tests/data/cases/*.yaml")])
BUNDLED = sorted([*ROOT.glob("rules/**/*.yaml"), *ROOT.glob("cases/**/*.yaml")])


# -- (a) the schemas themselves ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [RULESET_SCHEMA, CASE_SCHEMA], ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    """Each schema file is a valid JSON Schema under the Draft 2020-12 meta-schema."""
    schema = _schema(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _subschemas(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every subschema of ``node`` that validates instance data (not ``if``/``then`` branches), with its pointer."""
    if not isinstance(node, dict):
        return []
    found = [(where, node)]
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            found.extend(_subschemas(sub, f"{where}/{key}/{name}"))
    for key in ("items", "additionalProperties", "propertyNames"):
        found.extend(_subschemas(node.get(key), f"{where}/{key}"))
    return found


@pytest.mark.parametrize("path", [RULESET_SCHEMA, CASE_SCHEMA], ids=lambda p: p.name)
def test_every_object_is_closed_and_every_key_described(path: Path) -> None:
    """Every object schema forbids unknown keys (or types its values) and every declared key has a description."""
    for where, node in _subschemas(_schema(path)):
        if node.get("type") == "object":
            assert "additionalProperties" in node, where
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}/properties/{key} has no description"


# -- (b) every bundled and fixture file validates -----------------------------------------------------------


@pytest.mark.parametrize("path", RULESET_FILES, ids=_rel)
def test_rule_set_file_matches_schema(path: Path) -> None:
    """Every bundled and fixture rule-set YAML file validates against the rule-set schema."""
    assert _errors(RULESET, _load(path)) == []


@pytest.mark.parametrize("path", CASE_FILES, ids=_rel)
def test_case_file_matches_schema(path: Path) -> None:
    """Every bundled and fixture case file validates against the case schema."""
    assert _errors(CASE_FILE, _load(path)) == []


def _snippet_value(value: Any) -> Any:
    """A snippet body with its ``${1:placeholder}`` fields replaced by their placeholder text."""
    if isinstance(value, dict):
        return {_snippet_value(key): _snippet_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snippet_value(item) for item in value]
    if isinstance(value, str):
        return re.sub(r"\$\{\d+:([^}]*)\}", r"\1", value)
    return value


def _snippets() -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for name, schema in (("ruleset", RULESET), ("case", CASE_FILE)):
        targets = [("", schema), *(("$defs/" + key, sub) for key, sub in schema.get("$defs", {}).items())]
        for where, sub in targets:
            target = {**sub, "$defs": schema.get("$defs", {})} if where else schema
            for snippet in sub.get("defaultSnippets", []):
                found.append((f"{name}:{where or '/'}:{snippet['label']}", target, snippet["body"]))
    return found


@pytest.mark.parametrize(("label", "schema", "body"), _snippets(), ids=[s[0] for s in _snippets()])
def test_snippet_bodies_are_valid(label: str, schema: dict[str, Any], body: Any) -> None:
    """Every completion snippet, with its placeholders filled in, is itself a valid document or item."""
    assert _errors(schema, _snippet_value(body)) == []


# -- (c) bad documents are rejected --------------------------------------------------------------------------

_META = {"id": "mini", "title": "T", "version": "1", "as_of": "2026-01-01", "jurisdiction": "J",
         "description": "D", "areas": {"status": "Status"}}
_QUESTION = {"id": "citizen", "prompt": "Is the person a citizen?", "type": "boolean"}
_ISSUE = {"id": "exile", "title": "Exile", "area": "status", "severity": "high", "when": "citizen",
          "rule": "R", "application": "A", "counterargument": "C", "conclusion": "C"}
_AUTHORITY = {"id": "a-v-b", "citation": "A v. B", "kind": "case", "proposition": "P", "verified": True}
_TEST = {"name": "n", "facts": {"citizen": True}, "expect": {"issues": {"exile": "raised"}}}
_CASE = {"ruleset": "mini", "title": "A case", "facts": {"citizen": True}}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with keys changed (a value of ``...`` removes the key)."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is ...:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _rule_set(**sections: Any) -> dict[str, Any]:
    return {**_META, "questions": [_QUESTION], "issues": [_ISSUE], "authorities": [_AUTHORITY], **sections}


BAD_RULE_SETS = {
    "unknown top-level key": {**_rule_set(), "disclaimr": "x"},
    "metadata missing a required key": _with(_rule_set(), jurisdiction=...),
    "metadata key in a file without the rest": {"title": "T", "questions": [_QUESTION]},
    "rule-set id with capitals": _with(_rule_set(), id="Bad_Set"),
    "date not YYYY-MM-DD": _with(_rule_set(), as_of="1 May 2026"),
    "version as a number": _with(_rule_set(), version=1.0),
    "no areas": _with(_rule_set(), areas={}),
    "bad area id": _with(_rule_set(), areas={"Status": "Status"}),
    "unknown question key": _rule_set(questions=[{**_QUESTION, "hepl": "x"}]),
    "bad question type": _rule_set(questions=[{**_QUESTION, "type": "choise"}]),
    "question missing prompt": _rule_set(questions=[_with(_QUESTION, prompt=...)]),
    "question id with capitals": _rule_set(questions=[{**_QUESTION, "id": "Citizen"}]),
    "question id a reserved word": _rule_set(questions=[{**_QUESTION, "id": "known"}]),
    "question id with a double underscore": _rule_set(questions=[{**_QUESTION, "id": "a__b"}]),
    "choice question without choices": _rule_set(questions=[{**_QUESTION, "type": "choice"}]),
    "choices on a boolean question": _rule_set(questions=[{**_QUESTION, "choices": {"a": "A"}}]),
    "reserved choice value": _rule_set(questions=[{**_QUESTION, "type": "choice", "choices": {"true": "T"}}]),
    "unit on a boolean question": _rule_set(questions=[{**_QUESTION, "unit": "months"}]),
    "empty prompt": _rule_set(questions=[{**_QUESTION, "prompt": "  "}]),
    "bad severity": _rule_set(issues=[{**_ISSUE, "severity": "hihg"}]),
    "issue missing its counterargument": _rule_set(issues=[_with(_ISSUE, counterargument=...)]),
    "issue citing a non-slug authority": _rule_set(issues=[{**_ISSUE, "authorities": ["Meachum v. Fano"]}]),
    "next_steps not a list": _rule_set(issues=[{**_ISSUE, "next_steps": "call"}]),
    "conclusion missing when": _rule_set(conclusions=[{"id": "c", "title": "C"}]),
    "bad authority kind": _rule_set(authorities=[{**_AUTHORITY, "kind": "cases"}]),
    "authority verified as text": _rule_set(authorities=[{**_AUTHORITY, "verified": "yes"}]),
    "authority year as text": _rule_set(authorities=[{**_AUTHORITY, "year": "1976"}]),
    "section not a list": _rule_set(questions=_QUESTION),
    "tests beside other keys": {"tests": [_TEST], "questions": [_QUESTION]},
    "test with both case and facts": {"tests": [{**_TEST, "case": "x.yaml"}]},
    "test with neither case nor facts": {"tests": [_with(_TEST, facts=...)]},
    "test missing expect": {"tests": [_with(_TEST, expect=...)]},
    "bad expected status": {"tests": [{**_TEST, "expect": {"issues": {"exile": "raisd"}}}]},
    "bad expected conclusion": {"tests": [{**_TEST, "expect": {"conclusions": {"c": "maybe"}}}]},
    "unknown expect key": {"tests": [{**_TEST, "expect": {"issue": {"exile": "raised"}}}]},
    "missing facts not a list": {"tests": [{**_TEST, "missing": {"exile": "citizen"}}]},
}

BAD_CASES = {
    "missing ruleset": _with(_CASE, ruleset=...),
    "missing title": _with(_CASE, title=...),
    "unknown top-level key": {**_CASE, "fact": {}},
    "ruleset as a path": _with(_CASE, ruleset="rules/mini"),
    "bad as_of": _with(_CASE, as_of="2026-13-01"),
    "fact as a mapping": _with(_CASE, facts={"citizen": {"yes": True}}),
    "bad question id": _with(_CASE, facts={"Citizen": True}),
    "multi answer listed twice": _with(_CASE, facts={"conditions": ["crowding", "crowding"]}),
    "number out of range": _with(_CASE, facts={"months_left": 1e16}),
}


def test_good_documents_are_accepted() -> None:
    """The bases the bad documents are built from are themselves valid."""
    assert _errors(RULESET, _rule_set(conclusions=[{"id": "c", "title": "C", "when": "citizen"}])) == []
    assert _errors(RULESET, {"tests": [_TEST, {**_with(_TEST, facts=...), "case": "x.yaml"}]}) == []
    assert _errors(RULESET, {"questions": [_QUESTION]}) == []
    assert _errors(CASE_FILE, {**_CASE, "as_of": "2026-01-01", "notes": "n", "facts": {
        "a": True, "b": "unknown", "c": None, "d": 3.5, "e": [], "f": ["x", "y"], "g": "2025-01-01"}}) == []


@pytest.mark.parametrize("name", list(BAD_RULE_SETS))
def test_bad_rule_set_is_rejected(name: str) -> None:
    """A rule-set document with a structural mistake is rejected by the rule-set schema."""
    assert _errors(RULESET, BAD_RULE_SETS[name])


@pytest.mark.parametrize("name", list(BAD_CASES))
def test_bad_case_is_rejected(name: str) -> None:
    """A case document with a structural mistake is rejected by the case schema."""
    assert _errors(CASE_FILE, BAD_CASES[name])


STRUCTURAL_FIXTURES = [
    "rulesets/Bad_Set/ruleset.yaml", "rulesets/choice-without-choices/ruleset.yaml",
    "rulesets/invalid-id/ruleset.yaml", "rulesets/missing-required-key/ruleset.yaml",
    "rulesets/question-unknown-key/ruleset.yaml", "rulesets/unit-on-non-number/ruleset.yaml",
    "rulesets/unknown-authority-kind/ruleset.yaml", "rulesets/unknown-question-type/ruleset.yaml",
    "rulesets/unknown-severity/ruleset.yaml", "rulesets/unknown-top-key/ruleset.yaml",
    "rulesets/wrong-type/ruleset.yaml", "rulesets/test-bad-status/tests/basic.yaml",
    "rulesets/test-case-and-facts/tests/basic.yaml", "rulesets/test-missing-expect/tests/basic.yaml",
    "cases/ruleset-missing.yaml", "cases/unknown-top-key.yaml", "cases/multi-duplicate.yaml",
]


@pytest.mark.parametrize("name", STRUCTURAL_FIXTURES)
def test_validator_fixture_is_rejected(name: str) -> None:
    """The validator's invalid fixtures whose mistake is structural are rejected by the schema too."""
    schema = CASE_FILE if name.startswith("cases/") else RULESET
    assert _errors(schema, _load(ROOT / "tests" / "data" / "invalid" / name))


# -- (d) the schema never drifts from the validator ----------------------------------------------------------


def _meta_rule() -> dict[str, Any]:
    (rule,) = [r for r in RULESET["allOf"] if r["if"] != {"required": ["tests"]}]
    return rule


def _test_file_rule() -> dict[str, Any]:
    (rule,) = [r for r in RULESET["allOf"] if r["if"] == {"required": ["tests"]}]
    return rule


def _meta_object() -> dict[str, Any]:
    """The metadata keys of the top level, with the required-ness that the metadata rule gives them."""
    properties = {k: v for k, v in RULESET["properties"].items() if k not in (*SECTIONS, "tests")}
    return {"properties": properties, "required": _meta_rule()["then"]["required"]}


SPECS: dict[str, tuple[dict[str, Field], dict[str, Any]]] = {
    "META": (META, _meta_object()),
    "QUESTION": (QUESTION, RULESET["$defs"]["question"]),
    "CONCLUSION": (CONCLUSION, RULESET["$defs"]["conclusion"]),
    "ISSUE": (ISSUE, RULESET["$defs"]["issue"]),
    "AUTHORITY": (AUTHORITY, RULESET["$defs"]["authority"]),
    "TEST": (TEST, RULESET["$defs"]["test"]),
    "EXPECT": (EXPECT, RULESET["$defs"]["test"]["properties"]["expect"]),
    "CASE": (CASE, CASE_FILE),
}


def _has_kind(schema: dict[str, Any], kind: str) -> bool:
    """Whether a property schema admits exactly the validator's field kind."""
    if kind in (TEXT, DATE):
        return schema.get("type") == "string" and ("pattern" in schema or "enum" in schema)
    if kind == TEXT_LIST:
        return schema.get("type") == "array" and schema["items"].get("type") == "string"
    if kind == CITATION_LIST:  # an id, or a {id, when} mapping whose keys match the validator's CITATION
        shapes = schema["items"]["oneOf"] if schema.get("type") == "array" else []
        mapping = next((s for s in shapes if s.get("type") == "object"), {})
        return ({s.get("type") for s in shapes} == {"string", "object"}
                and set(mapping.get("properties", ())) == set(CITATION)
                and set(mapping.get("required", ())) == {k for k, f in CITATION.items() if f.required})
    expected = {INT: "integer", NUMBER: "number", BOOL: "boolean", LIST: "array", MAP: "object"}[kind]
    return schema.get("type") == expected


@pytest.mark.parametrize("name", list(SPECS))
def test_schema_keys_match_validator_spec(name: str) -> None:
    """Each validator spec's keys appear in the schema with the same required-ness and a matching type."""
    spec, schema = SPECS[name]
    assert set(schema["properties"]) == set(spec)
    assert set(schema.get("required", ())) == {key for key, f in spec.items() if f.required}
    for key, fld in spec.items():
        assert _has_kind(schema["properties"][key], fld.kind), f"{name}.{key} is not {fld.kind}"
        if fld.kind == DATE:
            assert schema["properties"][key]["pattern"].startswith(r"^\d{4}-")


def test_top_level_rules_match_validator() -> None:
    """Sections are lists; any metadata key triggers the metadata rule; a test file holds only tests."""
    top = RULESET["properties"]
    assert set(top) == set(META) | set(SECTIONS) | {"tests"}
    assert RULESET.get("required", []) == []
    for section in (*SECTIONS, "tests"):
        assert top[section]["type"] == "array"
    assert _meta_rule()["if"] == {"anyOf": [{"required": [key]} for key in META]}
    assert _test_file_rule()["then"]["properties"] == {key: False for key in top if key != "tests"}


def test_enums_match_validator() -> None:
    """Question types, severities, authority kinds, statuses and conclusion values are the validator's."""
    defs = RULESET["$defs"]
    assert defs["question"]["properties"]["type"]["enum"] == list(QUESTION_TYPES)
    assert defs["issue"]["properties"]["severity"]["enum"] == list(SEVERITIES)
    assert defs["authority"]["properties"]["kind"]["enum"] == list(AUTHORITY_KINDS)
    expect = defs["test"]["properties"]["expect"]["properties"]
    assert set(expect["issues"]["additionalProperties"]["enum"]) == set(ISSUE_STATUSES)
    values = expect["conclusions"]["additionalProperties"]["enum"]
    assert {("true" if v is True else "false" if v is False else v) for v in values} == set(CONCLUSION_VALUES)


def test_limits_match_validator() -> None:
    """The condition length, number range and text length limits are the validator's."""
    issue = RULESET["$defs"]["issue"]["properties"]
    assert issue["when"]["maxLength"] == conditions.MAX_LENGTH
    assert RULESET["$defs"]["question"]["properties"]["ask_if"]["maxLength"] == conditions.MAX_LENGTH
    value = CASE_FILE["properties"]["facts"]["additionalProperties"]
    assert value["exclusiveMaximum"] == MAX_NUMBER and value["exclusiveMinimum"] == -MAX_NUMBER
    assert value["maxLength"] == MAX_TEXT


def test_facts_are_the_same_in_tests_and_cases() -> None:
    """A test's inline facts are checked exactly like a case file's facts."""
    inline = RULESET["$defs"]["test"]["properties"]["facts"]
    case = CASE_FILE["properties"]["facts"]
    assert inline["propertyNames"] == case["propertyNames"]
    assert inline["additionalProperties"] == case["additionalProperties"]


SAMPLE_IDS = sorted(conditions.RESERVED | {
    "a", "ok_id", "x1", "a__b", "a_", "Bad", "1abc", "_x", "a-b", "a.b", "kinds", "known_x", "andy", "18-usc-4100",
    "meachum-v-fano", "0.1", "-x", "", "é",
})


def _validator_accepts_item_id(ident: str, *, double_underscore: bool = False) -> bool:
    return (IDENT.match(ident) is not None and ident not in conditions.RESERVED
            and (double_underscore or "__" not in ident))


def _pattern(schema: dict[str, Any]) -> re.Pattern[str]:
    return re.compile(schema["pattern"])


@pytest.mark.parametrize("ident", SAMPLE_IDS)
def test_id_patterns_match_validator(ident: str) -> None:
    """The schema's id patterns accept exactly the ids the validator accepts."""
    defs = RULESET["$defs"]
    for item in ("question", "conclusion", "issue"):
        pattern = _pattern(defs[item]["properties"]["id"])
        assert bool(pattern.search(ident)) == _validator_accepts_item_id(ident), item
    choice = _pattern(defs["question"]["properties"]["choices"]["propertyNames"])
    assert bool(choice.search(ident)) == _validator_accepts_item_id(ident, double_underscore=True)
    area = _pattern(RULESET["properties"]["areas"]["propertyNames"])
    assert bool(area.search(ident)) == (IDENT.match(ident) is not None)
    for slug_schema in (RULESET["properties"]["id"], defs["authority"]["properties"]["id"],
                        CASE_FILE["properties"]["ruleset"]):
        assert bool(_pattern(slug_schema).search(ident)) == (SLUG.match(ident) is not None)


# -- (e) every bundled file names its schema -----------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=_rel)
def test_bundled_file_has_schema_modeline(path: Path) -> None:
    """Every bundled YAML file starts with a yaml-language-server modeline naming the right schema."""
    first = path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    match = MODELINE.fullmatch(first)
    assert match, f"{_rel(path)} does not start with '# yaml-language-server: $schema=...'"
    expected = RULESET_SCHEMA if _rel(path).startswith("rules/") else CASE_SCHEMA
    target = (path.parent / match.group(1)).resolve()
    assert target == expected, f"{_rel(path)} names {match.group(1)}, not {expected.relative_to(ROOT)}"
