"""Render the memo document as Markdown, HTML (trusted Jinja templates) or JSON.

Templates come from a user's directory first (``--templates``), then the bundled ``templates/``. Jinja
errors in a template are translated here into located errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from .errors import Diagnostic
from .errors import Position
from .errors import SourceError
from .errors import display_path
from .resources import bytecode_cache
from .resources import templates_dir

FORMATS = ("md", "html", "json")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~])")
_ENVS: dict[tuple[str, ...], jinja2.Environment] = {}


def md_escape(value: object) -> str:
    """Escape Markdown syntax in text that came from a case."""
    return _MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value))


def md_cell(value: object) -> str:
    """Escape text for one Markdown table cell: no line breaks, no bare pipes."""
    return " ".join(md_escape(value).split())


def md_block(value: object) -> str:
    """Text as Markdown paragraphs: each line trimmed (no trailing spaces, no accidental code blocks), runs
    of blank lines collapsed to one."""
    paragraphs: list[list[str]] = [[]]
    for line in str(value).strip().splitlines():
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def md_inline(value: object) -> str:
    """Text on one line: every run of whitespace becomes one space."""
    return " ".join(str(value).split())


def _env(extra: Path | None) -> jinja2.Environment:
    dirs = ([str(extra)] if extra is not None else []) + [str(templates_dir())]
    key = tuple(dirs)
    env = _ENVS.get(key)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(dirs),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=bytecode_cache(),
        )
        env.filters["md_escape"] = md_escape
        env.filters["md_cell"] = md_cell
        env.filters["md_block"] = md_block
        env.filters["md_inline"] = md_inline
        _ENVS[key] = env
    return env


def render(document: dict[str, Any], fmt: str, templates: Path | None = None) -> str:
    """Render ``document`` in ``fmt`` (md, html or json); the text ends with exactly one newline."""
    if fmt == "json":
        return render_json(document).decode("utf-8")
    name = f"memo.{fmt}.j2"
    env = _env(templates)
    try:
        template = env.get_template(name)
        text = template.render(memo=document)
    except jinja2.TemplateNotFound as exc:
        raise SourceError(Diagnostic(Position(display_path(templates or templates_dir())),
                                     f"template '{exc.name}' not found")) from exc
    except jinja2.TemplateSyntaxError as exc:
        where = Position(display_path(exc.filename or name), exc.lineno or 0, 1)
        raise SourceError(Diagnostic(where, f"template syntax error: {exc.message}")) from exc
    except jinja2.TemplateError as exc:
        raise SourceError(Diagnostic(_template_pos(exc, name), f"template error: {exc}")) from exc
    return text.rstrip("\n") + "\n"


def render_json(document: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON, indented by two spaces, ending in a newline. orjson writes the same bytes
    as ``json.dumps(document, indent=2, ensure_ascii=False)`` (except that exponents drop the ``+``, as in
    ``1e16``), about fifteen times faster."""
    import orjson  # only when JSON is asked for: it costs a Markdown run's start-up nothing

    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def index_parts(templates: Path | None = None) -> Any:
    """The batch index template's macros ``head()``, ``row(outcome)`` and ``foot(totals)``, so that the
    page can be written a row at a time while the batch runs."""
    try:
        return _env(templates).get_template("index.html.j2").module
    except jinja2.TemplateError as exc:
        raise SourceError(Diagnostic(_template_pos(exc, "index.html.j2"), f"template error: {exc}")) from exc


def _template_pos(exc: BaseException, name: str) -> Position:
    """The template file and line of a render-time error, read from the traceback."""
    tb = exc.__traceback__
    found = Position(name)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = Position(display_path(filename), _template_line(tb), 1)
        tb = tb.tb_next
    return found


def _template_line(tb: Any) -> int:
    frame_globals = tb.tb_frame.f_globals
    debug = frame_globals.get("__jinja_template__")
    if debug is not None:
        try:
            return int(debug.get_corresponding_lineno(tb.tb_lineno))
        except (AttributeError, TypeError, ValueError):
            return 0
    return 0
