"""Batch inputs: case files, folders and CSV spreadsheets expand into located, validated cases."""

from __future__ import annotations

import csv
import pickle
import re
import time
from pathlib import Path
from typing import Any

import pytest

from transferlaw import api
from transferlaw.batch.sources import Item
from transferlaw.batch.sources import expand
from transferlaw.batch.sources import safe_key
from transferlaw.language.errors import Diagnostic
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.errors import ValidationFailed
from transferlaw.language.model import Case

from .conftest import DATA
from .conftest import MINI_RULES
from .conftest import ROOT

BATCH = DATA / "batch"
FLAGSHIP = "foreign-prison-transfer"
RULES_AND_MINI = [MINI_RULES, ROOT / "rules"]


def where(d: Diagnostic) -> str:
    """``file:line:col`` with the file's name only, so tests do not depend on the working directory."""
    return f"{Path(d.pos.path).name}:{d.pos.line}:{d.pos.col}"


def items_of(*inputs: Path | str, **kwargs: Any) -> list[Item]:
    return list(expand([Path(p) for p in inputs], **kwargs))


def stem(key: str) -> str:
    """A key without its hash (issue 13.1: a key is the source's name made safe, then 8 hex digits)."""
    assert re.fullmatch(r".+-[0-9a-f]{8}", key), key
    return key.rsplit("-", 1)[0]


def by_key(items: list[Item]) -> dict[str, Item]:
    return {stem(item.key): item for item in items}


def problems(item: Item) -> list[tuple[str, str]]:
    return [(where(d), d.message) for d in item.problems]


# --- case files and folders ---------------------------------------------------------------------

def test_folder_expands_sorted_case_files_skipping_hidden_and_other_files() -> None:
    """A folder yields its *.yaml and *.yml files recursively in sorted order, skipping hidden and other files."""
    items = items_of(BATCH / "folder")
    assert [Path(i.source).as_posix().split("batch/")[-1] for i in items] == [
        "folder/a-citizen.yaml", "folder/b-bad.yaml", "folder/nested/a-citizen.yml"]
    assert [stem(i.key) for i in items] == ["a-citizen", "b-bad", "a-citizen"]
    assert len({i.key for i in items}) == 3  # the two a-citizen files are told apart by their hash


def test_bad_case_file_has_located_problems_and_good_ones_still_load() -> None:
    """A bad case file yields every problem at its line and column; the files around it still load."""
    good, bad, nested = items_of(BATCH / "folder")
    assert good.ok and nested.ok and not bad.ok
    assert good.case is not None and good.case.facts["custodian"] == "federal_bop"
    assert good.ruleset is not None and good.ruleset.id == FLAGSHIP
    assert good.label == "Citizen serving a federal sentence"
    assert problems(bad) == [
        ("b-bad.yaml:5:14", "'federl' is not a choice of 'custodian'"),
        ("b-bad.yaml:6:3", "unknown question 'citizenhsip'"),
    ]
    assert bad.problems[0].hint == "did you mean 'federal_bop'?"


def test_order_and_keys_are_deterministic_and_unique_across_inputs() -> None:
    """Inputs keep their order, keys are unique (a hash of each source) and two runs give the same items."""
    inputs = (BATCH / "clients.csv", BATCH / "folder", BATCH / "equivalent.yaml", BATCH / "bom-crlf.csv")
    first = items_of(*inputs, ruleset=FLAGSHIP)
    second = items_of(*inputs, ruleset=FLAGSHIP)
    assert [(i.key, i.source) for i in first] == [(i.key, i.source) for i in second]
    keys = [i.key for i in first]
    assert len(keys) == len({k.casefold() for k in keys})
    stems = [stem(k) for k in keys]
    assert stems[:7] == ["C-101", "C-102", "C-103", "C-104", "C-105", "C-106", "clients-row8"]
    assert stems[7:] == ["a-citizen", "b-bad", "a-citizen", "equivalent", "W-1", "W-2"]


def test_same_file_named_twice_is_read_once_and_clashing_ids_get_suffixes(tmp_path: Path) -> None:
    """A file named twice (directly and through its folder) runs once; equal ids in two sheets get two keys."""
    other = tmp_path / "more.csv"
    other.write_text("id,citizenship\nC-101,lpr\nsummary,lpr\n", encoding="utf-8")
    items = items_of(BATCH / "folder", BATCH / "folder" / "b-bad.yaml", BATCH / "clients.csv", other,
                     ruleset=FLAGSHIP)
    keys = [i.key for i in items]
    assert [stem(k) for k in keys].count("b-bad") == 1
    assert [stem(k) for k in keys[-2:]] == ["C-101", "summary"] and keys[-2] != by_key(items[:-2])["C-101"].key
    assert len(set(keys)) == len(keys)  # 'summary-<hash>' never meets the batch's summary files


def test_keys_are_filesystem_safe() -> None:
    """Keys keep letters, digits, dots, dashes and underscores; accents are dropped, device names avoided."""
    assert safe_key("José Peña/2026 #12") == "Jose-Pena-2026-12"
    assert safe_key("../../etc/passwd") == "etc-passwd"
    assert safe_key("CON") == "CON-case"
    assert safe_key("   ") == ""


def test_case_id_column_gives_keys_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    """A case_id cell names the key (sanitised; a repeat is told apart by its row number, the row number names it
    when empty); blank rows are skipped."""
    sheet = tmp_path / "intake 2026.csv"
    sheet.write_text("Case ID,Citizenship,,\nJosé Peña/1,lpr,,\n,,,\n\n   \nJosé Peña/1,lpr\n,lpr,,\n,lpr,x,\n",
                     encoding="utf-8")
    items = items_of(sheet, ruleset=FLAGSHIP)
    assert [stem(i.key) for i in items] == ["Jose-Pena-1", "Jose-Pena-1", "intake-2026-row7", "intake-2026-row8"]
    assert len({i.key for i in items}) == 4
    assert [i.ok for i in items] == [True, True, True, False]  # trailing unnamed columns may be left out
    assert problems(items[3]) == [("intake 2026.csv:8:6", "a value in column C, which has no header")]


def test_missing_paths_unknown_kinds_and_empty_folders_are_items_not_exceptions(tmp_path: Path) -> None:
    """A missing path, an .xlsx file or an empty folder yields an item with a problem; the rest still runs."""
    (tmp_path / "clients.xlsx").write_bytes(b"PK")
    items = items_of(tmp_path / "nope.yaml", tmp_path / "clients.xlsx", BATCH / "empty-folder",
                     BATCH / "equivalent.yaml")
    assert [stem(i.key) for i in items] == ["nope", "clients", "empty-folder", "equivalent"]
    assert [i.problems[0].message for i in items[:3]] == [
        "no such file or folder", "not a case file (.yaml, .yml), a folder or a CSV file (.csv)",
        "no case files (*.yaml, *.yml) in this folder"]
    assert items[1].problems[0].hint == "save the spreadsheet as 'CSV UTF-8'"
    assert items[3].ok


def test_nonsense_arguments_raise_at_once(tmp_path: Path) -> None:
    """No inputs, a missing rules directory, an unknown --ruleset and a bad mapping file raise before any item."""
    with pytest.raises(SourceError, match="no inputs"):
        expand([])
    with pytest.raises(SourceError, match="no such rules directory"):
        expand([BATCH / "clients.csv"], [tmp_path / "missing"])
    with pytest.raises(SourceError, match="did you mean 'foreign-prison-transfer'"):
        expand([BATCH / "clients.csv"], ruleset="foreign-prisn-transfer")
    bad = tmp_path / "map.yaml"
    bad.write_text("columns: [a]\nother: 1\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        expand([BATCH / "clients.csv"], ruleset=FLAGSHIP, mapping=bad)
    assert [where(d) for d in caught.value.diagnostics] == ["map.yaml:1:10", "map.yaml:2:1"]


def test_item_holds_a_case_or_problems_and_pickles() -> None:
    """An item holds a case with its rule set or problems, never both, and survives pickling for workers."""
    item = items_of(BATCH / "equivalent.yaml")[0]
    assert pickle.loads(pickle.dumps(item)) == item
    assert item.mtime == (BATCH / "equivalent.yaml").stat().st_mtime
    with pytest.raises(ValueError):
        Item(key="k", source="s", label="l", mtime=0.0)
    with pytest.raises(ValueError):
        Item(key="k", source="s", label="l", mtime=0.0, case=item.case, ruleset=item.ruleset,
             problems=(Diagnostic(Position("s"), "x"),))


# --- CSV spreadsheets ---------------------------------------------------------------------------

def test_csv_good_rows_load_and_bad_rows_are_located_to_the_cell() -> None:
    """Five good rows load; each bad row reports every wrong cell at its line and 1-based column."""
    items = by_key(items_of(BATCH / "clients.csv", ruleset=FLAGSHIP))
    assert [k for k, i in items.items() if i.ok] == ["C-101", "C-102", "C-104", "C-106", "clients-row8"]
    assert problems(items["C-103"]) == [
        ("clients.csv:4:44", "'federl' is not a choice of 'custodian'"),
        ("clients.csv:4:88", "'age_years' takes a number, got 'forty'"),
    ]
    assert items["C-103"].problems[0].hint == "did you mean 'federal_bop'?"
    assert items["C-103"].problems[0].format().endswith(
        "clients.csv:4:44: 'federl' is not a choice of 'custodian' (did you mean 'federal_bop'?)")
    assert items["C-103"].problems[0].source_line is not None
    assert items["C-103"].problems[0].source_line.startswith("C-103,Typo in the custodian")
    assert problems(items["C-105"]) == [
        ("clients.csv:6:36", "'us_citizen' is not a choice of 'citizenship'"),
        ("clients.csv:6:76", "'treaty' is not a choice of 'legal_bases'"),
        ("clients.csv:6:85", "'notice_hours' must be at least 0 hours, got -5"),
    ]
    assert items["C-105"].source.endswith("clients.csv:row 6") and items["C-105"].label == "Three bad answers"


def test_csv_row_fields_title_as_of_notes_and_source() -> None:
    """Title, as_of and notes come from their columns; a row without a title is '<stem> row N'."""
    items = by_key(items_of(BATCH / "clients.csv", ruleset=FLAGSHIP))
    case = items["C-101"].case
    assert case is not None and case.title == "Citizen federal prisoner"
    assert str(case.as_of) == "2026-03-01" and case.notes == "Designated to CECOT without consent."
    assert case.source.endswith("clients.csv:row 2") and case.pos.line == 2
    last = items["clients-row8"]
    assert last.case is not None and last.case.title == "clients row 8" and last.label == "clients row 8"
    assert last.mtime == (BATCH / "clients.csv").stat().st_mtime


def test_every_value_type_parses() -> None:
    """Booleans, choices by id or label, multis split on ; | or , numbers with grouping and units, dates, text."""
    items = items_of(BATCH / "types.csv", rules_dirs=RULES_AND_MINI)
    facts = [dict(i.case.facts) for i in items if i.case is not None]
    assert facts[0] == {"citizen": True, "custodian": "federal", "conditions": ("crowding", "no_visits"),
                        "months_left": 12, "notice_date": "2025-04-01", "name": "Ana"}
    assert facts[1] == {"citizen": False, "custodian": "state", "conditions": ("crowding", "no_visits"),
                        "months_left": 1200, "notice_date": "2025-04-01", "name": 'Bea "B" Cruz'}
    assert facts[2] == {"citizen": True, "custodian": "ice", "conditions": ()}
    assert facts[3] == {"citizen": False, "custodian": "state", "conditions": ("crowding", "no_visits"),
                        "months_left": 6, "notice_date": "2024-02-29", "name": "Dee"}
    assert facts[6] == {"citizen": True, "custodian": "state", "conditions": ("no_visits",), "months_left": 2.5,
                        "notice_date": "2026-01-15", "name": "Eve"}


def test_empty_cells_and_unknown_mean_unknown() -> None:
    """An empty cell, or 'unknown' in any case, leaves the fact unknown for every type."""
    items = items_of(BATCH / "types.csv", rules_dirs=RULES_AND_MINI)
    assert items[4].case is not None and dict(items[4].case.facts) == {}
    assert items[5].case is not None and dict(items[5].case.facts) == {}


def test_wrong_values_of_every_type_are_located() -> None:
    """A wrong boolean, choice, multi part, number and date each get a problem at their own column."""
    bad = items_of(BATCH / "types.csv", rules_dirs=RULES_AND_MINI)[-1]
    assert problems(bad) == [
        ("types.csv:9:6", "'citizen' takes yes or no, got 'maybe'"),
        ("types.csv:9:12", "'federl' is not a choice of 'custodian'"),
        ("types.csv:9:28", "'crowdng' is not a choice of 'conditions'"),
        ("types.csv:9:36", "1e3 is not a plain decimal number"),
        ("types.csv:9:40", "'notice_date' takes a date YYYY-MM-DD, got '3/1/2026'"),
    ]
    assert bad.problems[2].hint == "did you mean 'crowding'?"


def test_csv_numbers_are_plain_decimal(tmp_path: Path) -> None:
    """Issue 13 point 6: a CSV cell reads a number as a case file does; other number forms are located errors."""
    sheet = tmp_path / "n.csv"
    sheet.write_text("ruleset,months_left\nmini,010\nmini,1:30\nmini,0x10 months\nmini,5.\n", encoding="utf-8")
    items = items_of(sheet, rules_dirs=RULES_AND_MINI)
    assert [i.case.facts["months_left"] if i.case is not None else None for i in items] == [10, None, None, 5]
    assert [(where(d), d.message, d.hint) for i in items for d in i.problems] == [
        ("n.csv:3:6", "1:30 is not a plain decimal number", "write 90"),
        ("n.csv:4:6", "0x10 is not a plain decimal number", "write 16"),
    ]


def test_multi_labels_containing_commas_are_kept_whole() -> None:
    """A comma-separated multi recognises labels that themselves contain commas."""
    c101, c102 = items_of(BATCH / "clients.csv", ruleset=FLAGSHIP)[:2]
    assert c102.case is not None and c102.case.facts["citizenship"] == "noncitizen_other"
    assert c102.case.facts["legal_bases"] == ("executive_agreement", "alien_enemies_act")
    item = items_of(BATCH / "clients.csv", ruleset=FLAGSHIP)[-1]
    assert item.case is not None and item.case.facts["other_nationalities"] == ("honduran", "guatemalan")


def test_mapping_renames_headers_skips_columns_and_translates_values() -> None:
    """A mapping file renames headers, skips a column mapped to nothing, and translates answers (also to lists)."""
    items = items_of(BATCH / "intake.csv", ruleset=FLAGSHIP, mapping=BATCH / "mapping.yaml")
    assert [stem(i.key) for i in items] == ["K-1", "K-2", "K-3"]
    facts = [dict(i.case.facts) for i in items if i.case is not None]
    assert facts[0] == {"person_name": "Maria Lopez", "citizenship": "lpr",
                        "other_nationalities": ("salvadoran", "mexican"), "custodian": "state",
                        "consent_given": False}
    assert facts[1]["citizenship"] == "us_citizen_birth" and facts[1]["consent_given"] is True
    assert facts[1]["custodian"] == "federal_bop" and facts[1]["other_nationalities"] == ()
    assert facts[2]["custodian"] == "federal_bop" and "consent_given" not in facts[2]
    mapping_time = (BATCH / "mapping.yaml").stat().st_mtime
    assert items[0].mtime == max((BATCH / "intake.csv").stat().st_mtime, mapping_time)


def test_mapping_mistakes_stop_the_file_and_point_into_the_mapping(tmp_path: Path) -> None:
    """A mapping target or translation that does not fit the rule set is a header problem located in the mapping."""
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Citizenship status: citizenshp\n  Held by: custodian\n"
                       "values:\n  custodian:\n    BOP: federal_bp\n", encoding="utf-8")
    sheet = tmp_path / "intake.csv"
    sheet.write_text("Citizenship status,Held by\nlpr,BOP\n", encoding="utf-8")
    [item] = items_of(sheet, ruleset=FLAGSHIP, mapping=mapping)
    assert stem(item.key) == "intake-header"
    assert problems(item) == [
        ("map.yaml:2:23", "the mapping sends column 'Citizenship status' to 'citizenshp', which is not a "
                          "question of rule set 'foreign-prison-transfer'"),
        ("map.yaml:6:10", "'federal_bp' is not a choice of 'custodian'"),
    ]


def test_header_problems_are_reported_once_for_the_whole_file() -> None:
    """A repeated column (and with --strict an unknown one) gives one '<stem>-header' item with every problem,
    and no row runs."""
    [item] = items_of(BATCH / "header-typo.csv", ruleset=FLAGSHIP, strict=True)
    assert stem(item.key) == "header-typo-header" and item.source.endswith("header-typo.csv:row 1")
    assert problems(item) == [
        ("header-typo.csv:1:4", "column 'Citizenhsip' is not a question of rule set 'foreign-prison-transfer'"),
        ("header-typo.csv:1:26", "column 'Held by' is not a question of rule set 'foreign-prison-transfer'"),
        ("header-typo.csv:1:34", "column E ('custodian') gives 'custodian' again (column C already does)"),
    ]
    assert item.problems[0].hint == ("did you mean 'citizenship'? If not, map it in --mapping, or list it under "
                                     "skip:")
    [item] = items_of(BATCH / "header-typo.csv", ruleset=FLAGSHIP)
    assert problems(item) == [
        ("header-typo.csv:1:34", "column E ('custodian') gives 'custodian' again (column C already does)")]


# --- unmapped columns, skip: and the mapping documentation (issue 13, point 16) ----------------------------

def test_issue13_an_unmapped_column_is_a_warning_and_the_rows_still_run(tmp_path: Path) -> None:
    """Point 16: a column that is no question is ignored with one warning naming it (not one per row); before,
    it failed the whole file."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text("id,citizenship,custodian,consent_given,phone,remarks,Citizenhsip\n"
                     "A-1,lpr,state,no,X1,call back,lpr\nA-2,us_citizen_birth,federal_bop,yes,X2,,\n",
                     encoding="utf-8")
    warned: list[Diagnostic] = []
    items = items_of(sheet, ruleset=FLAGSHIP, warn=warned.append)
    assert len(items) == 2 and all(i.ok for i in items)
    assert items[0].case is not None and items[0].case.facts["citizenship"] == "lpr"
    assert [shown(d) for d in warned] == [
        "clients.csv:1:40: warning: column 'phone' is not a question of rule set 'foreign-prison-transfer'; "
        "it is ignored (map it in --mapping, or list it under skip:)",
        "clients.csv:1:46: warning: column 'remarks' is not a question of rule set 'foreign-prison-transfer'; "
        "it is ignored (map it in --mapping, or list it under skip:)",
        "clients.csv:1:54: warning: column 'Citizenhsip' is not a question of rule set 'foreign-prison-transfer'; "
        "it is ignored (did you mean 'citizenship'? If not, map it in --mapping, or list it under skip:)",
    ]


def test_issue13_strict_makes_an_unmapped_column_an_error(tmp_path: Path) -> None:
    """Point 16: with --strict an unmapped column stops the file, as a header problem."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text("id,citizenship,remarks\nA-1,lpr,call back\n", encoding="utf-8")
    warned: list[Diagnostic] = []
    [item] = items_of(sheet, ruleset=FLAGSHIP, strict=True, warn=warned.append)
    assert item.source.endswith("clients.csv:row 1") and not item.ok and warned == []
    assert [shown(d) for d in item.problems] == [
        "clients.csv:1:16: column 'remarks' is not a question of rule set 'foreign-prison-transfer' (map it in "
        "--mapping, or list it under skip:)"]


def test_issue13_skip_lists_columns_to_ignore(tmp_path: Path) -> None:
    """Point 16: the mapping file's ``skip:`` lists columns to ignore without a warning (even with --strict);
    a column both skipped and mapped is an error in the mapping."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text("id,Citizenship status,Remarks,Phone\nA-1,lpr,call back,555\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Citizenship status: citizenship\nskip:\n  - remarks\n  - Phone\n",
                       encoding="utf-8")
    warned: list[Diagnostic] = []
    [item] = items_of(sheet, ruleset=FLAGSHIP, mapping=mapping, strict=True, warn=warned.append)
    assert item.ok and warned == [] and item.case is not None and dict(item.case.facts) == {"citizenship": "lpr"}
    mapping.write_text("columns:\n  Phone: person_name\nskip: [phone, '', [x]]\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        items_of(sheet, ruleset=FLAGSHIP, mapping=mapping)
    assert [shown(d) for d in info.value.diagnostics] == [
        "map.yaml:3:8: the column 'phone' is both mapped (line 2) and skipped (keep one)",
        "map.yaml:3:15: 'skip' lists column headers: each must be non-empty text",
        "map.yaml:3:19: 'skip' lists column headers: each must be non-empty text",
    ]


def shown(d: Diagnostic) -> str:
    """A diagnostic as printed, with the file's name only."""
    return Diagnostic(Position(Path(d.pos.path).name, d.pos.line, d.pos.col), d.message, d.hint, d.severity).format()


def _fenced(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in a Markdown text."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def test_issue13_the_documented_mapping_example_validates(tmp_path: Path) -> None:
    """Point 16: docs/batch.md's mapping file and spreadsheet load, and every row of the spreadsheet becomes a case
    with the answers the page says, without a warning."""
    text = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    [mapping_text] = [block for block in _fenced(text, "yaml") if block.startswith(("columns:", "# "))]
    [sheet_text] = _fenced(text, "csv")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(mapping_text, encoding="utf-8")
    sheet = tmp_path / "clients.csv"
    sheet.write_text(sheet_text, encoding="utf-8")
    warned: list[Diagnostic] = []
    items = items_of(sheet, ruleset=FLAGSHIP, mapping=mapping, strict=True, warn=warned.append)
    assert items and all(i.ok for i in items) and warned == [], [d.format() for i in items for d in i.problems]
    first, second = (i.case for i in items)
    assert first is not None and first.facts["citizenship"] == "lpr" and first.facts["custodian"] == "state"
    assert first.facts["other_nationalities"] == ("salvadoran", "mexican") and first.notes is None  # skipped
    assert second is not None and second.facts["other_nationalities"] == ()  # [] is none, not unknown


def test_issue13_the_mapping_example_in_batch_help_validates(tmp_path: Path) -> None:
    """Point 16: the mapping file shown by ``transferlaw batch --help`` loads and fits the flagship rule set."""
    from transferlaw.cli import batch

    help_text = batch.help or ""
    lines = [line.strip() for line in help_text.splitlines() if line.strip().startswith(("columns:", "skip:",
                                                                                          "values:"))]
    assert [line.split(":")[0] for line in lines] == ["columns", "skip", "values"]
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sheet = tmp_path / "clients.csv"
    sheet.write_text("Client ref,Held by,Phone,Remarks\nK-1,County jail,555,call\n", encoding="utf-8")
    warned: list[Diagnostic] = []
    [item] = items_of(sheet, ruleset=FLAGSHIP, mapping=mapping, strict=True, warn=warned.append)
    assert item.ok and item.case is not None and item.case.facts == {"custodian": "state"}


def test_a_csv_without_a_rule_set_is_a_header_problem(tmp_path: Path) -> None:
    """Without a ruleset column or --ruleset, the file stops at its header."""
    [item] = items_of(BATCH / "bom-crlf.csv")
    assert problems(item) == [("bom-crlf.csv:1:1", "no rule set: add a 'ruleset' column, or name the rule set "
                                                   "of the whole file (--ruleset)")]


def test_ruleset_column_mixes_rule_sets_and_locates_bad_names() -> None:
    """A ruleset column picks each row's rule set; an unknown or missing one, or a foreign question, is located."""
    items = items_of(BATCH / "mixed.csv")
    assert [i.ruleset.id for i in items if i.ruleset is not None] == [FLAGSHIP, "interstate-transfer"]
    assert [problems(i) for i in items[2:]] == [
        [("mixed.csv:4:59", "'citizenship' is not a question of rule set 'interstate-transfer'")],
        [("mixed.csv:5:1", "unknown rule set 'foreign-prisn-transfer'")],
        [("mixed.csv:6:1", "no rule set for this row")],
    ]
    assert items[3].problems[0].hint == "did you mean 'foreign-prison-transfer'?"
    filled = items_of(BATCH / "mixed.csv", ruleset=FLAGSHIP)[-1]
    assert filled.ruleset is not None and filled.ruleset.id == FLAGSHIP  # --ruleset fills an empty cell


def test_bom_and_crlf_are_read_and_columns_stay_right() -> None:
    """A UTF-8 byte-order mark and CRLF line endings are read transparently; columns count from the text."""
    assert (BATCH / "bom-crlf.csv").read_bytes().startswith(b"\xef\xbb\xbfid,") and b"\r\n" in (
        BATCH / "bom-crlf.csv").read_bytes()
    good, bad = items_of(BATCH / "bom-crlf.csv", ruleset=FLAGSHIP)
    assert stem(good.key) == "W-1" and good.case is not None and good.case.facts["consent_given"] is False
    assert problems(bad) == [("bom-crlf.csv:3:9", "'federl' is not a choice of 'custodian'")]
    assert bad.problems[0].source_line == "W-2,lpr,federl,no"


def test_quoted_cells_with_newlines_keep_line_numbers_right() -> None:
    """A quoted cell spanning lines keeps its text; problems in later rows point at the right physical line."""
    first, second, third = items_of(BATCH / "multiline.csv", ruleset=FLAGSHIP)
    assert first.case is not None and first.case.title == "Notes over, two lines"
    assert first.case.notes == 'First line, with a comma\nsecond line with "quotes"'
    assert second.source.endswith("multiline.csv:row 3 (line 4)")
    assert problems(second) == [("multiline.csv:4:35", "'federl' is not a choice of 'custodian'")]
    assert third.label == "A title that wraps"
    assert problems(third) == [("multiline.csv:6:26", "'stat' is not a choice of 'custodian'")]


def test_ragged_rows_are_reported_and_trailing_empty_cells_are_fine() -> None:
    """Too many or too few cells is a located problem for that row; trailing empty cells are harmless."""
    items = by_key(items_of(BATCH / "ragged.csv", ruleset=FLAGSHIP))
    assert items["R-1"].ok and items["R-4"].ok
    assert problems(items["R-2"]) == [
        ("ragged.csv:3:18", "this row has a value in column E, past the header's last column (D)")]
    assert problems(items["R-3"]) == [("ragged.csv:4:14", "this row has 3 cells but the header has 4")]
    assert problems(items["R-5"]) == [("ragged.csv:6:6", "'lpr, or maybe not' is not a choice of 'citizenship'")]


def test_short_row_before_a_role_column_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A row that stops before the title (or id, notes, as_of) column is reported short, not an IndexError."""
    sheet = tmp_path / "short.csv"
    sheet.write_text("citizen,title\nunknown\n", encoding="utf-8")
    [item] = items_of(sheet, rules_dirs=[MINI_RULES], ruleset="mini")
    assert item.label == "short row 2"
    assert problems(item) == [("short.csv:2:8", "this row has 1 cell but the header has 2")]


def test_stray_and_unclosed_quotes_are_located() -> None:
    """Text after a closing quote, and a quote that never closes, are reported where they happen."""
    items = items_of(BATCH / "quotes.csv", ruleset=FLAGSHIP)
    assert [stem(i.key) for i in items] == ["quotes-row2", "Q-2", "quotes-row4"]
    assert problems(items[0]) == [("quotes.csv:2:20", "text after the closing quote of a quoted cell")]
    assert items[1].case is not None and items[1].case.facts["person_name"] == "Jo 'Jojo' Diaz 5'10\""
    assert problems(items[2]) == [
        ("quotes.csv:4:15", "a quote opens a cell here and never closes, so lines 4-5 were read as one row")]


def test_non_utf8_csv_is_one_located_problem_with_advice() -> None:
    """A cp1252 file is not guessed at: one problem at the first bad byte says how to save it as UTF-8."""
    [item] = items_of(BATCH / "latin1.csv", ruleset=FLAGSHIP)
    assert stem(item.key) == "latin1"
    assert problems(item) == [("latin1.csv:2:12", "the file is not valid UTF-8 text")]
    assert item.problems[0].hint is not None and "CSV UTF-8" in item.problems[0].hint


def test_empty_and_header_only_files_say_so() -> None:
    """An empty file and a file with only a header each yield one item explaining what is missing."""
    empty, header_only = items_of(BATCH / "empty.csv", BATCH / "header-only.csv", ruleset=FLAGSHIP)
    assert stem(empty.key) == "empty" and empty.problems[0].message == "the file is empty"
    assert stem(header_only.key) == "header-only"
    assert header_only.problems[0].message == "the file has a header row but no rows of cases"


def test_csv_row_evaluates_like_the_equivalent_case_file() -> None:
    """A CSV row and a case file with the same facts get the same issue and conclusion results."""
    row = by_key(items_of(BATCH / "clients.csv", ruleset=FLAGSHIP))["C-102"]
    case_file = items_of(BATCH / "equivalent.yaml")[0]
    assert row.case is not None and row.ruleset is not None
    assert case_file.case is not None and case_file.ruleset is not None
    assert dict(row.case.facts) == dict(case_file.case.facts)
    from_row = api.evaluate_case(row.case, row.ruleset)
    from_file = api.evaluate_case(case_file.case, case_file.ruleset)
    assert [(f.issue.id, f.status, f.missing) for f in from_row.findings] == [
        (f.issue.id, f.status, f.missing) for f in from_file.findings]
    assert [(c.conclusion.id, c.value) for c in from_row.conclusions] == [
        (c.conclusion.id, c.value) for c in from_file.conclusions]
    assert any(f.status == "raised" for f in from_row.findings)


# --- speed --------------------------------------------------------------------------------------

def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return "; ".join(value) if value else "none"
    return str(value)


def test_ten_thousand_rows_expand_quickly_and_faithfully(tmp_path: Path) -> None:
    """10,000 rows built from the bundled cases expand in well under 10 s, with the same facts as the cases."""
    ruleset = api.load_ruleset(FLAGSHIP)
    cases: list[Case] = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        case, _ = api.load_case(path)
        if case.ruleset == FLAGSHIP:
            cases.append(case)
    sheet = tmp_path / "big.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "as_of", *(q.id for q in ruleset.questions)])
        for n in range(10_000):
            case = cases[n % len(cases)]
            writer.writerow([f"C-{n}", case.title, "2026-03-01",
                             *(_cell(case.facts.get(q.id)) for q in ruleset.questions)])
    start = time.perf_counter()
    items = list(expand([sheet], ruleset=FLAGSHIP))
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"10,000 rows took {elapsed:.2f} s"
    assert len(items) == 10_000 and all(i.ok for i in items)
    for n in (0, 1, len(cases) - 1, 9_999):
        got = items[n].case
        assert got is not None and dict(got.facts) == dict(cases[n % len(cases)].facts)


def test_control_characters_in_cells_are_located(tmp_path: Path) -> None:
    """A control character in a cell (from a pasted terminal log, an old export) is refused at its place."""
    sheet = tmp_path / "x.csv"
    sheet.write_bytes(b'title,citizen\n"a\x1bb",true\nok,"tr\x07ue"\nfine,true\n')
    items = items_of(sheet, rules_dirs=[MINI_RULES], ruleset="mini")
    assert [problems(i) for i in items] == [
        [("x.csv:2:3", "the cell holds the control character U+001B")],
        [("x.csv:3:7", "the cell holds the control character U+0007")],
        [],
    ]
