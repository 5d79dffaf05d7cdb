"""Security review (issue 8): hostile rule sets, cases, spreadsheets and arguments against the whole pipeline.

The promise (SECURITY.md): rule sets, case files, mapping files and spreadsheets come from people we do not
control; any of them gives a result or a located error (``path:line:col: message``), never a traceback, an
escape from the sandbox, active content in a memo, or a read of a file outside what was named. One test per
attack class, each run through the command line (click's CliRunner) over every field the attack applies to.
"""

from __future__ import annotations

import html.parser
import io
import os
import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from click.testing import Result

from transferlaw.cli import cli
from transferlaw.language import authored
from transferlaw.language import resources
from transferlaw.language import sandbox
from transferlaw.language.errors import Position
from transferlaw.language.errors import SourceError
from transferlaw.language.model import Text
from transferlaw.memo import render

from .conftest import MINI_RULES

MINI: dict[str, Any] = yaml.safe_load((MINI_RULES / "mini" / "ruleset.yaml").read_text(encoding="utf-8"))
CASE: dict[str, Any] = {
    "ruleset": "mini", "title": "Case", "as_of": "2026-02-01",
    "facts": {"citizen": True, "custodian": "state", "conditions": ["crowding"], "months_left": 12,
              "notice_date": "2025-04-01", "name": "Jane"},
    "notes": "Some notes.", "memo": {"to": "To", "from": "From", "re": "Re", "privileged": True},
}
Field = tuple[str | int, ...]

TEMPLATE_FIELDS: list[Field] = [
    ("question_presented",), ("issues", 0, "rule"), ("issues", 0, "application"), ("issues", 0, "counterargument"),
    ("issues", 0, "conclusion"), ("issues", 0, "next_steps", 0),
]
"""Every rule-set text rendered as a Jinja template (docs/rule-language.md, "Template text")."""
PLAIN_FIELDS: list[Field] = [
    ("title",), ("version",), ("jurisdiction",), ("description",), ("disclaimer",), ("areas", "status"),
    ("questions", 0, "prompt"), ("questions", 0, "help"), ("questions", 1, "choices", "state"),
    ("questions", 3, "unit"), ("conclusions", 0, "title"), ("conclusions", 0, "description"),
    ("issues", 0, "title"), ("authorities", 0, "citation"), ("authorities", 0, "short"),
    ("authorities", 0, "court"), ("authorities", 0, "url"), ("authorities", 0, "proposition"),
    ("authorities", 0, "note"),
]
"""Every other text of a rule set: printed as written, never run."""
CASE_FIELDS: list[Field] = [("title",), ("notes",), ("memo", "to"), ("memo", "from"), ("memo", "re"),
                            ("memo", "privileged"), ("facts", "name")]
"""Every text of a case file: the title, the notes, the memo heading and a text answer."""
LOCATED = re.compile(r"^\S+:\d+:\d+: ", re.M)


def _name(field: Field) -> str:
    return ".".join(str(part) for part in field)


def _put(data: dict[str, Any], field: Field, value: object) -> None:
    target: Any = data
    for part in field[:-1]:
        target = target[part]
    target[field[-1]] = value


def run_memo(tmp_path: Path, *, rules: dict[str, Any] | None = None, case: dict[str, Any] | str | None = None,
             fmt: str = "md", args: tuple[str, ...] = ()) -> tuple[Result, bytes]:
    """``transferlaw run`` on ``case`` with the mini rule set ``rules``; the result and the memo's bytes."""
    directory = tmp_path / "rules" / "mini"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ruleset.yaml").write_text(yaml.safe_dump(rules or MINI, allow_unicode=True), encoding="utf-8")
    case_text = case if isinstance(case, str) else yaml.safe_dump(case or CASE, allow_unicode=True)
    (tmp_path / "case.yaml").write_text(case_text, encoding="utf-8")
    out = tmp_path / f"memo.{fmt}"
    out.unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "case.yaml"), "--rules", str(tmp_path / "rules"),
                                      "--engine", "python", "-f", fmt, "-o", str(out), "--force", *args])
    assert "Traceback" not in result.output + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result, out.read_bytes() if out.exists() else b""


def with_field(field: Field, value: object, base: dict[str, Any] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(base or MINI))
    _put(data, field, value)
    return data


def assert_located_refusal(result: Result, *fragments: str) -> None:
    """Exit code 1, and every line on stderr located (``path:line:col: ``), naming one of ``fragments``."""
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and all(LOCATED.match(line) for line in lines if not line.startswith("    ")), result.stderr
    assert any(fragment in result.stderr for fragment in fragments), result.stderr


# --- looking for active content --------------------------------------------------------------------------

class _ActiveContent(html.parser.HTMLParser):
    """Collects everything in an HTML page that could run code or fetch something."""

    ACTIVE_TAGS = {"script", "img", "iframe", "object", "embed", "svg", "math", "form", "base", "video", "audio"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.ACTIVE_TAGS:
            where = dict(attrs).get("src") or dict(attrs).get("action")
            self.found.append(f"<{tag} {where}>" if where else f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and value is not None:
                if re.match(r"(javascript|vbscript|data):", re.sub(r"[\x00-\x20]", "", value).lower()):
                    self.found.append(f"{tag} {name}={value[:40]}")


def active_html(page: str, own: str | None = None) -> list[str]:
    """The scripts, event handlers, script links, forms and embedded objects in ``page``, less those whose
    address starts with ``own`` (the web app's own script and forms)."""
    scanner = _ActiveContent()
    scanner.feed(page)
    scanner.close()
    if own is None:
        return scanner.found
    return [item for item in scanner.found if not re.fullmatch(rf"<(script|form|iframe) {re.escape(own)}\S*>", item)]


_OUR_MARKDOWN_HTML = re.compile(r'<a id="issue-[a-z0-9_]+"></a>|<https?://[^\s<>]+>')


def active_markdown(text: str) -> list[str]:
    """What in a Markdown memo could become active once rendered by a renderer that lets raw HTML through:
    the memo's own anchors and web autolinks are the only HTML it may contain."""
    rest = _OUR_MARKDOWN_HTML.sub("", text)
    found = [f"raw HTML {m.group(0)!r}" for m in re.finditer(r"<[A-Za-z/!?][^\n]{0,20}", rest)]
    found += [f"reference {m.group(0)!r}" for m in re.finditer(r"&(?!amp;|lt;|#123;|#33;)#?[0-9A-Za-z]+;", text)]
    found += [f"link {m.group(0)!r}" for m in re.finditer(r"\][(:][\s<]*(?!https?:|mailto:)[A-Za-z][\w+.\\-]*:",
                                                          text)]
    found += ["attribute list or template tag"] if "{" in text else []
    found += ["image"] if "![" in text else []
    found += [f"control character {c!r}" for c in re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)]
    for module, renders in (("markdown", _python_markdown), ("markdown_it", _markdown_it)):  # test extras
        found += [f"{module}: {item}" for item in active_html(renders(text)) if not item.startswith("<img ")]
    return found


def _python_markdown(text: str) -> str:
    import markdown

    return str(markdown.markdown(text, extensions=["attr_list", "tables"]))


def _markdown_it(text: str) -> str:
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": True}).enable("table").render(text))


def assert_inert(data: bytes, fmt: str) -> None:
    text = data.decode("utf-8")
    if fmt == "html":
        assert active_html(text) == []
    elif fmt == "md":
        assert active_markdown(text) == []


# --- 1. the Jinja sandbox ---------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''['__class__'] }}",
    "{{ facts['\\x5f\\x5fclass\\x5f\\x5f'] }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ range.__self__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ config }}",
    "{{ request.environ }}",
    "{{ '{0.__class__}'.format(facts) }}",
    "{{ '{0.items.__self__}'.format(facts) }}",
    "{{ '{x.__class__}'.format_map({'x': facts}) }}",
    "{{ facts|attr('__class__') }}",
    "{% set a = '_' ~ '_class__' %}{{ facts|attr(a) }}",
    "{% set a = '_' ~ '_class__' %}{{ [facts]|map(attribute=a)|list }}",
    "{% set a = '_' ~ '_class__' %}{{ [facts, facts]|sort(attribute=a) }}",
    "{{ [facts]|map(attribute='__class__')|list }}",
    "{{ facts.update({'citizen': false}) }}",
    "{{ facts.conditions.append('x') }}",
    "{% set ns = namespace() %}{% set ns.__class__ = 1 %}{{ ns }}",
    "{{ facts.get }}",
    "{{ facts.items() }}",
    "{{ self }}",
    "{{ facts|_each(1)|list }}",
    "{% include 'authored-0' %}",
    "{% import 'authored-0' as x %}",
    "{% extends 'authored-0' %}",
    "{{ 1" + "0" * 5000 + " }}",
    "{{ 1" + "+1" * 5000 + " }}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
]


@pytest.mark.parametrize("field", TEMPLATE_FIELDS, ids=_name)
@pytest.mark.parametrize("payload", ESCAPES)
def test_sandbox_escapes_are_refused_in_every_template_field(tmp_path: Path, field: Field, payload: str) -> None:
    """Jinja's published sandbox escapes and SSTI payloads (private attributes, format strings, filters that
    look attributes up, globals, other templates, mutation, printing functions) in every rule-set text are
    refused with a located error before any memo is written."""
    result, memo = run_memo(tmp_path, rules=with_field(field, payload))
    assert_located_refusal(result, "refused unsafe template code", "unknown name", "template syntax error",
                           "undefined name")
    assert memo == b""


def _literal_render(source: str, context: dict[str, Any] | None = None) -> str:
    return authored.render(Text(source=source, pos=Position("x.yaml", 3, 5)), context or {})


@pytest.mark.parametrize("source", [
    "{{ '%s'|format(facts) }}", "{{ facts|string }}", "{{ facts|tojson }}", "{{ facts|dictsort }}",
    "{{ '{0[citizen]}'.format(facts) }}", "{% raw %}{{ ''.__class__ }}{% endraw %}", "{{ '<x>'|e }}",
])
def test_what_the_sandbox_lets_through_is_data(source: str) -> None:
    """What a text may still do (print the answers, format them) prints data only: no class, no function, no
    memory address."""
    out = _literal_render(source, {"facts": {"citizen": True, "name": "Jane"}})
    assert not re.search(r"<(class|function|built-in|module)|0x[0-9a-f]{6}", out), out


# --- 2. time and memory ------------------------------------------------------------------------------

BOMBS = [
    "{{ 'x' * 10**9 }}",
    "{{ 'x' * 100000 * 100000 }}",
    "{{ [1] * 1000000 }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ ((10**64)**64)**64 }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ '%1000000000s' % 'x' }}",
    "{{ '%*s'|format(1000000000, 'x') }}",
    "{{ '{:>1000000000}'.format('x') }}",
    "{{ '{:{}}'.format('x', 10**9) }}",
    "{{ facts.months_left.to_bytes(10**9, 'big') }}",
    "{% set s = 'x' * 99999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "{% set s = 'x' * 99999 %}{% for a in s %}{% if a is in s %}{% endif %}{% endfor %}",
    "{% set s = 'x' * 99999 %}{% for a in s %}{% if s == s ~ '' %}{% endif %}{% endfor %}",
    "{% set x = 'a' * 99999 %}{% set l = [x,x,x,x,x,x,x,x,x,x,x,x] %}{{ l|join }}",
    "{% set x = 'a' * 99999 %}{{ x.replace('a', x) }}",
    "{% set x = 'a' * 9999 %}{{ x|map('center', 9999)|list|length }}",
    "{% set x = 'a' * 99999 %}{% set f = '{0}' * 20000 %}{{ f.format(x) }}",
    "{% set x = 'a' * 99999 %}{% set y = x ~ x ~ x ~ x ~ x %}{% set z = y ~ y %}{{ z ~ z }}",
    "{% for a in 'x' * 99999 %}" + "y" * 200 + "{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(0) }}",
    "{% set l = ['a', 'b'] %}{% for i in l recursive %}{{ loop(l) }}{{ loop(l) }}{% endfor %}",
    "{{ range(10**9)|list }}",
    "{{ lipsum(100000) }}",
]


@pytest.mark.parametrize("field", TEMPLATE_FIELDS, ids=_name)
@pytest.mark.parametrize("payload", BOMBS)
def test_time_and_memory_bombs_are_refused_in_every_template_field(tmp_path: Path, field: Field,
                                                                  payload: str) -> None:
    """Huge strings, numbers, widths, loops, comparisons and recursion in rule-set text are refused with a
    located error, in bounded time, before they can take the machine's memory."""
    started = time.monotonic()
    result, _ = run_memo(tmp_path, rules=with_field(field, payload))
    assert time.monotonic() - started < 10
    assert_located_refusal(result, "refused", "unknown name", "undefined name", "template failed")


@pytest.mark.parametrize("payload", BOMBS)
def test_time_and_memory_bombs_are_refused_when_rendered_unchecked(payload: str) -> None:
    """The same texts rendered directly (as if the load-time check were skipped): refused by the sandbox
    itself, as a located error, without a single value larger than a megabyte being built."""
    context = {"facts": {"months_left": 3}}
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        _literal_render(payload, context)
    assert time.monotonic() - started < 5
    assert info.value.pos == Position("x.yaml", 3, 5)


def test_the_work_budget_is_per_rendering() -> None:
    """A text that does a lot, but within the budget, renders every time: the budget is not shared."""
    source = "{% for a in 'x' * 1000 %}{% for b in 'x' * 100 %}{% endfor %}{% endfor %}done"
    for _ in range(5):
        assert _literal_render(source) == "done"


# --- 3. template syntax where it is not a template ---------------------------------------------------

@pytest.mark.parametrize("field", PLAIN_FIELDS + [("cases",) + f for f in CASE_FIELDS], ids=_name)
@pytest.mark.parametrize("payload", ["{{ 7*7 }}", "{{ ''.__class__ }}", "{% for a in 'x' * 99999 %}{% endfor %}"])
def test_template_syntax_in_other_fields_is_printed_not_run(tmp_path: Path, field: Field, payload: str) -> None:
    """Titles, prompts, citations and everything a case says are text: Jinja syntax in them is never run."""
    if field[0] == "cases":
        case = yaml.safe_load(yaml.safe_dump(CASE))
        _put(case, field[1:], payload)
        result, memo = run_memo(tmp_path, case=case, fmt="json")
    else:
        result, memo = run_memo(tmp_path, rules=with_field(field, payload), fmt="json")
    assert result.exit_code == 0, result.stderr
    assert b"<class" not in memo and b": 49" not in memo


# --- 4. escaping in every output -------------------------------------------------------------------------

MARKUP = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "</td></tr></table><svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click]( <javascript:alert(1)>)",
    "[x][a]\n\n[a]: javascript:alert(1)",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "# Title {: onclick=\"alert(1)\" }",
    "![beacon](https://attacker.example/pixel.png)",
    "<!-- --><?php ?><!DOCTYPE x>",
    "javascript:alert(1)",
    "[the order](javascript\\:alert(document.domain)) [b](java\\script:alert(1))",  # renderers undo \: (review)
]
CONTROL_TEXT = "a\x01b\x0bc\x7fd"  # refused where it is read (YAML text, CSV cells), so never reaches a memo


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("field", TEMPLATE_FIELDS + PLAIN_FIELDS, ids=_name)
def test_rule_set_text_cannot_become_active_in_a_memo(tmp_path: Path, field: Field, fmt: str) -> None:
    """Markup, script links, attribute lists, images and character references in any rule-set text: the HTML
    memo escapes them; the Markdown memo neutralises them, so that a renderer that lets raw HTML through
    (Python-Markdown, markdown-it with html on) still produces nothing active."""
    for payload in MARKUP:
        result, memo = run_memo(tmp_path, rules=with_field(field, payload), fmt=fmt)
        assert result.exit_code == 0, (payload, result.stderr)
        assert_inert(memo, fmt)
    result, _ = run_memo(tmp_path, rules=with_field(field, CONTROL_TEXT), fmt=fmt)
    assert result.exit_code == 1 and "the text holds the control character U+0001" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("field", CASE_FIELDS, ids=_name)
def test_case_text_cannot_become_active_in_a_memo(tmp_path: Path, field: Field, fmt: str) -> None:
    """The same for everything a case says, also where a rule-set text prints it (``{{ case.title }}``)."""
    rules = with_field(("issues", 0, "application"), "{{ case.title }} {{ answer.name }}")
    for payload in MARKUP:
        case = yaml.safe_load(yaml.safe_dump(CASE))
        _put(case, field, payload)
        result, memo = run_memo(tmp_path, rules=rules, case=case, fmt=fmt)
        assert result.exit_code == 0, (payload, result.stderr)
        assert_inert(memo, fmt)
    case = yaml.safe_load(yaml.safe_dump(CASE))
    _put(case, field, CONTROL_TEXT)
    result, _ = run_memo(tmp_path, rules=rules, case=case, fmt=fmt)
    assert result.exit_code == 1 and "the text holds the control character U+0001" in result.stderr


@pytest.mark.parametrize("payload", MARKUP)
def test_md_safe_is_idempotent_and_keeps_plain_text(payload: str) -> None:
    """md_safe finalizes every printed value, macros' output again: applying it twice changes nothing, and
    text without anything active is left alone."""
    once = render.md_safe(payload)
    assert render.md_safe(once) == once
    assert active_markdown(str(once)) == []
    plain = "Smith & Jones v. U.S., 1 F.4th 2 (2021) — age < 18; *emphasis* and [a link](https://example.org)"
    assert render.md_safe(plain) == plain


def test_a_batch_index_links_only_to_its_own_files(tmp_path: Path) -> None:
    """A case file or spreadsheet row named like a script link gives a plain file name in index.html (no
    scheme, no path), every cell of the index is escaped, and nothing is written outside OUTDIR."""
    (tmp_path / "rules" / "mini").mkdir(parents=True)
    (tmp_path / "rules" / "mini" / "ruleset.yaml").write_text(yaml.safe_dump(MINI), encoding="utf-8")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "javascript:alert(1).yaml").write_text("ruleset: mini\ntitle: '<svg onload=alert(1)>'\n")
    (tmp_path / "c.csv").write_text("id,title,citizen\njavascript:alert(2),<img src=x onerror=alert(1)>,yes\n")
    result = CliRunner().invoke(cli, ["batch", str(cases), str(tmp_path / "c.csv"), "--ruleset", "mini", "-o",
                                      str(tmp_path / "out"), "--rules", str(tmp_path / "rules"), "-j", "1",
                                      "-f", "md,html", "--engine", "python"])
    assert result.exit_code == 0, result.stderr
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert active_html(index) == []
    links = re.findall(r'href="([^"]+)"', index)
    assert links and all(re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.(md|html)", link) for link in links), links
    for memo in (tmp_path / "out").glob("*.html"):
        assert active_html(memo.read_text(encoding="utf-8")) == []
    assert sorted(p.parent for p in (tmp_path / "out").rglob("*")) == [tmp_path / "out"] * len(
        list((tmp_path / "out").rglob("*")))  # nothing written outside OUTDIR


# --- 5. Word and odd characters ----------------------------------------------------------------------------

CONTROL = r"a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\x7fi\ufffej\uffffk"
"""Characters XML 1.0 cannot carry, as YAML double-quoted escapes."""
NONCHARACTERS = r"i\ufffej\uffffk"
"""The ones YAML text may hold (the control characters are refused when the file is read)."""


@pytest.mark.parametrize("field", CASE_FIELDS, ids=_name)
def test_control_characters_in_a_case_give_a_valid_word_file(tmp_path: Path, field: Field) -> None:
    """Characters XML cannot carry (python-docx refuses them) in any case text: control characters are
    refused when the case is read; the others are left out of the Word memo, and its XML parses."""
    from xml.dom import minidom

    case = yaml.safe_load(yaml.safe_dump(CASE))
    _put(case, field, "MARKER")
    text = yaml.safe_dump(case, allow_unicode=True)
    result, _ = run_memo(tmp_path, case=text.replace("MARKER", f'"{CONTROL}"', 1), fmt="docx")
    assert result.exit_code == 1 and "the text holds the control character U+0000" in result.stderr
    result, memo = run_memo(tmp_path, case=text.replace("MARKER", f'"{NONCHARACTERS}"', 1), fmt="docx")
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(io.BytesIO(memo)) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                minidom.parseString(package.read(name))


@pytest.mark.parametrize("fmt", ["md", "html", "json", "docx"])
@pytest.mark.parametrize("option", ["--to", "--from", "--re", "--legend"])
def test_arguments_that_are_not_utf8_do_not_crash_a_memo(tmp_path: Path, fmt: str, option: str) -> None:
    """A command-line argument with bytes that are not UTF-8 (Python keeps them as lone surrogates) prints as
    U+FFFD instead of failing to encode."""
    result, memo = run_memo(tmp_path, fmt=fmt, args=(option, "Smith\udcff & Co"))
    assert result.exit_code == 0, result.stderr
    if fmt != "docx":
        assert "Smith\ufffd" in memo.decode("utf-8")


# --- 6. YAML ------------------------------------------------------------------------------------------------

YAML_ATTACKS = {
    "python-object-apply": ("title: !!python/object/apply:os.system ['echo pwned > {marker}']\n", "tag"),
    "python-name": ("title: !!python/name:os.system\n", "tag"),
    "python-object-new": ("title: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n", "tag"),
    "python-module": ("title: !!python/module:os\n", "tag"),
    "local-tag": ("title: !secret x\n", "tag"),
    "tag-directive": ("%TAG !e! tag:example.com,2000:\n---\ntitle: !e!x y\n", "tag"),
    "binary": ("title: !!binary aGVsbG8=\n", "tag"),
    "set": ("title: !!set {{a, b}}\n", "tag"),
    "merge-key": ("base: &b {{title: x}}\n<<: *b\n", "merge keys"),
    "billion-laughs": ("a0: &a0 [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"a{i + 1}: &a{i + 1} [*a{i},*a{i},*a{i},*a{i},*a{i},*a{i},*a{i},*a{i},*a{i}]\n" for i in range(9)), "key"),
    "self-alias": ("a: &a [*a]\n", "refers to itself"),
    "deep-nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    "two-documents": ("title: a\n---\ntitle: b\n", "document"),
    "duplicate-key": ("title: a\ntitle: b\n", "duplicate key"),
}
YAML_PLACES = ["ruleset.yaml", "another rule-set file", "rule-set test file", "case file", "mapping file"]


@pytest.mark.parametrize("place", YAML_PLACES)
@pytest.mark.parametrize("attack", sorted(YAML_ATTACKS))
def test_yaml_tags_merge_keys_and_alias_bombs_are_refused(tmp_path: Path, place: str, attack: str) -> None:
    """Every YAML file transferlaw reads is loaded safely: tags that build Python objects (or any tag), merge
    keys, self-referring anchors and deep nesting are located errors; an alias bomb costs nothing."""
    marker = tmp_path / "pwned"
    text, expected = YAML_ATTACKS[attack]
    text = text.format(marker=marker)
    rules = tmp_path / "rules" / "mini"
    (rules / "tests").mkdir(parents=True)
    (rules / "ruleset.yaml").write_text(yaml.safe_dump(MINI), encoding="utf-8")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(CASE), encoding="utf-8")
    args = ["run", str(tmp_path / "case.yaml"), "--rules", str(tmp_path / "rules"), "--engine", "python"]
    target = {"ruleset.yaml": rules / "ruleset.yaml", "another rule-set file": rules / "extra.yaml",
              "rule-set test file": rules / "tests" / "t.yaml", "case file": tmp_path / "case.yaml",
              "mapping file": tmp_path / "map.yaml"}[place]
    target.write_text(text, encoding="utf-8")
    if place == "rule-set test file":
        args = ["test", str(rules), "--engine", "python"]
    elif place == "mapping file":
        (tmp_path / "c.csv").write_text("title,citizen\nA,yes\n", encoding="utf-8")
        args = ["batch", str(tmp_path / "c.csv"), "--ruleset", "mini", "--mapping", str(target), "-o",
                str(tmp_path / "out"), "--rules", str(tmp_path / "rules"), "-j", "1"]
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    assert time.monotonic() - started < 10
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert not marker.exists()
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(target.name)}:\d+:\d+: ", result.stderr), result.stderr
    if expected != "key":
        assert expected in result.stderr, result.stderr


# --- 7. paths -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ident", ["../../etc", "/etc", "mini/../../x", "mini/", ".", "..", "mini\x00",
                                   "x" * 5000, "../secret", "MINI", " mini", "~/mini", "%2e%2e/mini"])
def test_a_cases_ruleset_is_an_id_never_a_path(tmp_path: Path, ident: str) -> None:
    """``ruleset:`` names a rule set found in the rules directories, by id: a path, a parent, an absolute
    path, a NUL byte or a very long name is an unknown rule set, located at the field."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "ruleset.yaml").write_text(yaml.safe_dump({**MINI, "id": "secret"}), encoding="utf-8")
    result, memo = run_memo(tmp_path / "work", case={**CASE, "ruleset": ident})
    assert_located_refusal(result, "unknown rule set", "control character")  # NUL: refused as it is read
    assert memo == b""


@pytest.mark.parametrize("where", ["extra.yaml", "issues/more.yaml", "tests/t.yaml", "ruleset.yaml", "issues"])
def test_links_out_of_a_rule_set_are_refused(tmp_path: Path, where: str) -> None:
    """A rule set is read only from its own directory: a symbolic link in it to a file (or a folder)
    elsewhere is refused, by name, so that a rule set from someone else cannot make transferlaw read (and
    quote in an error) a private file."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "more.yaml").write_text("aws_secret_access_key: SECRET\n", encoding="utf-8")
    rules = tmp_path / "rules" / "mini"
    (rules / "tests").mkdir(parents=True)
    (rules / "ruleset.yaml").write_text(yaml.safe_dump(MINI), encoding="utf-8")
    link = rules / where
    if where == "ruleset.yaml":
        link.unlink()
    if where == "issues":
        link.symlink_to(private, target_is_directory=True)
    else:
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(private / "more.yaml")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(CASE), encoding="utf-8")
    for args in (["run", str(tmp_path / "case.yaml"), "--rules", str(tmp_path / "rules")], ["check", str(rules)],
                 ["test", str(rules)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.stdout)
        assert "is a link to a file outside the rule set" in result.stderr
        assert "SECRET" not in result.output + result.stderr


def test_a_link_inside_a_rule_set_is_followed(tmp_path: Path) -> None:
    """A link from one file of a rule set to another in the same rule set is fine."""
    rules = tmp_path / "rules" / "mini"
    rules.mkdir(parents=True)
    (rules / "definition.txt").write_text(yaml.safe_dump(MINI), encoding="utf-8")
    (rules / "ruleset.yaml").symlink_to("definition.txt")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(CASE), encoding="utf-8")
    linked = CliRunner().invoke(cli, ["run", str(tmp_path / "case.yaml"), "--rules", str(tmp_path / "rules")])
    assert linked.exit_code == 0, linked.stderr


# --- 8. the caches that hold code -----------------------------------------------------------------------

def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled templates and pickled rule sets are loaded from the cache directory, so one that another user
    could write to (or owns) is not used at all: transferlaw then runs without a cache."""
    shared = tmp_path / "shared"
    (shared / "jinja").mkdir(parents=True)
    os.chmod(shared / "jinja", 0o777)
    monkeypatch.setenv("TRANSFERLAW_CACHE_DIR", str(shared))
    monkeypatch.delenv("TRANSFERLAW_NO_CACHE", raising=False)
    assert resources.cache_dir("jinja") is None
    private = tmp_path / "private"
    monkeypatch.setenv("TRANSFERLAW_CACHE_DIR", str(private))
    made = resources.cache_dir("jinja")
    assert made is not None and made.stat().st_mode & 0o077 == 0


def test_compiled_templates_are_cached_per_environment_and_version(tmp_path: Path) -> None:
    """Jinja keys its bytecode cache on a template's name and source only; the code it compiles also depends
    on the environment (the sandbox's checks, Markdown's finalize). Each environment has its own flavour,
    which changes with the module that configures it, so stale or foreign code is never loaded."""
    module = tmp_path / "module.py"
    module.write_text("one", encoding="utf-8")
    first = resources.code_flavour("authored", module)
    module.write_text("two", encoding="utf-8")
    assert resources.code_flavour("authored", module) != first
    other = tmp_path / "other.py"  # the sandbox is configured by two modules: either changes the flavour
    other.write_text("one", encoding="utf-8")
    both = resources.code_flavour("authored", module, other)
    other.write_text("two", encoding="utf-8")
    assert resources.code_flavour("authored", module, other) not in (both, resources.code_flavour("authored", module))
    memos = render.Memos(threading.RLock())
    caches = [sandbox.ENV.bytecode_cache, memos.env(None, markdown=True).bytecode_cache,
              memos.env(None).bytecode_cache]
    assert all(cache is not None for cache in caches)  # caching is on in the test run (conftest)
    assert len({getattr(cache, "pattern", None) for cache in caches}) == 3


def test_the_field_lists_cover_the_rule_language() -> None:
    """Every text key of the rule language appears in the fields these tests attack (docs/rule-language.md)."""
    covered = {str(field[-1]) if isinstance(field[-1], str) else str(field[-2])
               for field in TEMPLATE_FIELDS + PLAIN_FIELDS}
    for key in ("title", "version", "jurisdiction", "description", "question_presented", "disclaimer", "prompt",
                "help", "unit", "rule", "application", "counterargument", "conclusion", "next_steps", "citation",
                "short", "court", "url", "proposition", "note"):
        assert key in covered, key
