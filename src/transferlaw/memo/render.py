"""Render the memo document as Markdown, HTML (trusted Jinja templates) or JSON.

Templates come from a user's directory first (``--templates``), then the bundled ``templates/``. Jinja
errors in a template are translated here into located errors. The templates are trusted, the memo's text is
not (it comes from rule sets and cases): HTML templates escape every value they print (autoescaping), and
Markdown templates pass every value through :func:`md_safe`, so that no text can become active HTML when the
Markdown is rendered.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from ..engine.lru import LRU
from ..engine.workspace import Workspace
from ..language.errors import Diagnostic
from ..language.errors import Position
from ..language.errors import SourceError
from ..language.errors import display_path
from ..language.resources import bytecode_cache
from ..language.resources import code_flavour
from ..language.resources import templates_dir

FORMATS = ("md", "html", "json")
FILE_FORMATS = (*FORMATS, "docx", "pdf")
"""Every memo format a file can hold: the text formats, Word and PDF (the HTML memo, printed)."""
DETAILS = ("brief", "default", "full")
"""How much a memo says (docs/memo.md): the brief answer and what to do; the memo a supervising attorney reads;
everything, the full what-if matrix included. JSON always carries everything."""
DEFAULT_DETAIL = "default"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]>#|!~])")

_MD_ENTITY = re.compile(r"&(?!amp;|lt;|#123;|#33;)(?=#?[0-9A-Za-z]+;)")
_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MD_LINK = re.compile(r"(\][(:])([\s<]*)([A-Za-z][A-Za-z0-9+.\\-]*?)\\?:")
"""A link destination's scheme, also spelled with backslash escapes (``javascript\\:``), which renderers undo."""
_MD_SCHEMES = frozenset({"http", "https", "mailto"})
_MD_RISKY = re.compile(r"[<&{\]!\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""A character one of the rules of :func:`md_safe` acts on (most texts have none)."""
_MD_URL = re.compile(r"https?://[^\s<>\x00-\x1f\x7f]+\Z")


def md_safe(value: object) -> object:
    """Text that cannot become active HTML in a Markdown renderer, whatever the renderer lets through (raw
    HTML, as Python-Markdown and markdown-it with ``html: true`` do; attribute lists; template tags):

    - no ``<`` that could open a tag, a comment or an autolink: it becomes ``&lt;``;
    - no character reference that could spell one: ``&#60;`` becomes ``&amp;#60;`` (text), except the
      ``&amp;``, ``&lt;``, ``&#123;`` and ``&#33;`` this function writes itself;
    - no ``{``, which starts Python-Markdown attribute lists (``{: onclick=…}``) and the template tags of
      tools that run Jinja or Liquid over Markdown: it becomes ``&#123;``;
    - no images, which a renderer would fetch (a web beacon): ``![`` becomes ``&#33;[``;
    - no link to anything but http(s) and mailto: ``](javascript:`` becomes ``](javascript%3A``, a harmless
      relative link;
    - no control characters.

    Markdown syntax itself (emphasis, lists, links to web pages) is kept. Applying it twice changes nothing, so
    it finalizes every value a Markdown template prints, macros' output included. Other values pass
    unchanged."""
    if not isinstance(value, str):
        return value
    return _md_safe(value) if _MD_RISKY.search(value) else value


def _md_safe(value: str) -> str:
    text = _MD_CONTROL.sub("", value)
    text = _MD_ENTITY.sub("&amp;", text)
    text = _MD_TAG.sub("&lt;", text).replace("{", "&#123;").replace("![", "&#33;[")
    return _MD_LINK.sub(_md_link, text)


def _md_link(match: re.Match[str]) -> str:
    scheme = match.group(3).replace("\\", "")
    if scheme.lower() in _MD_SCHEMES and match.group(0).endswith(f"{match.group(3)}:"):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{scheme}%3A"


def md_url(value: object) -> bool:
    """Whether ``value`` is a web address that can be printed as a Markdown autolink (``<https://…>``)."""
    return isinstance(value, str) and _MD_URL.match(value) is not None


def md_escape(value: object) -> str:
    """Escape Markdown syntax in text that came from a case (``<`` is left to :func:`md_safe`)."""
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


MD_KEEP = 20_000
"""Texts :class:`Memos` keeps made safe: a batch prints the same prompts and titles in every memo."""
ENVS = 8
"""Jinja environments :class:`Memos` keeps: one per templates folder and flavour (md, html)."""


class Memos:
    """The memo templates' Jinja environments (each caches its compiled templates) and the Markdown texts
    already made safe: what a :class:`transferlaw.engine.workspace.Workspace` keeps between memos. Both are bounded
    and share the workspace's ``lock``."""

    __slots__ = ("_envs", "_md_done", "_md_read")

    def __init__(self, lock: threading.RLock) -> None:
        self._envs: LRU[tuple[str, ...], jinja2.Environment] = LRU(ENVS, lock)
        self._md_done: LRU[str, str] = LRU(MD_KEEP, lock, first=True)
        self._md_read = self._md_done.reader()  # read for every value a Markdown memo prints

    def md_safe(self, value: object) -> object:
        """:func:`md_safe`, kept for texts shorter than 1,000 characters."""
        if not isinstance(value, str):
            return value
        done = self._md_read(value)
        if done is None:
            done = _md_safe(value) if _MD_RISKY.search(value) else value
            if len(value) < 1000:
                self._md_done.put(value, done)
        return done

    def env(self, extra: Path | None, markdown: bool = False) -> jinja2.Environment:
        """The environment for HTML templates (autoescaped), or for Markdown ones (every value
        :func:`md_safe`)."""
        dirs = ([str(extra)] if extra is not None else []) + [str(templates_dir())]
        key = (*dirs, "md" if markdown else "html")
        env = self._envs.get(key)
        if env is None:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(dirs),
                undefined=jinja2.StrictUndefined,
                autoescape=not markdown,
                finalize=self.md_safe if markdown else None,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                bytecode_cache=bytecode_cache(code_flavour("md" if markdown else "html", Path(__file__))),
            )
            env.filters["md_escape"] = md_escape
            env.filters["md_cell"] = md_cell
            env.filters["md_block"] = md_block
            env.filters["md_inline"] = md_inline
            env.tests["md_url"] = md_url
            self._envs.put(key, env)
        return env


def memos(workspace: Workspace) -> Memos:
    """The :class:`Memos` ``workspace`` keeps (made on first use, under its lock)."""
    return workspace.own(Memos, lambda: Memos(workspace.lock))


def render_bytes(document: dict[str, Any], fmt: str, templates: Path | None = None,
                 memos: Memos | None = None, detail: str = DEFAULT_DETAIL) -> bytes:
    """A memo document as the bytes of a file: md, html, json, docx or pdf, at ``detail`` (:data:`DETAILS`)."""
    if fmt == "docx":
        from .render_docx import render_docx  # python-docx loads only when Word is asked for

        return render_docx(document, detail=_detail(detail))
    if fmt == "pdf":
        from .render_pdf import render_pdf  # WeasyPrint loads only when a PDF is asked for

        return render_pdf(render(document, "html", templates, memos, detail).encode("utf-8"), document)
    if fmt == "json":
        return render_json(document)
    return render(document, fmt, templates, memos, detail).encode("utf-8")


def _detail(detail: str) -> str:
    if detail not in DETAILS:
        raise ValueError(f"unknown memo detail {detail!r}: one of {', '.join(DETAILS)}")
    return detail


def _memos(memos: Memos | None) -> Memos:
    """``memos``, or a cold one for a single call."""
    return memos if memos is not None else Memos(threading.RLock())


def render(document: dict[str, Any], fmt: str, templates: Path | None = None, memos: Memos | None = None,
           detail: str = DEFAULT_DETAIL) -> str:
    """Render ``document`` in ``fmt`` (md, html or json) at ``detail`` (:data:`DETAILS`; JSON always carries
    everything); the text ends with exactly one newline. ``memos`` keeps environments and safe texts between
    calls (a workspace's; default: none kept)."""
    detail = _detail(detail)
    if fmt == "json":
        return render_json(document).decode("utf-8")
    name = f"memo.{fmt}.j2"
    env = _memos(memos).env(templates, markdown=fmt == "md")
    try:
        template = env.get_template(name)
        text = template.render(memo=_heading_as_text(document), detail=detail)
    except jinja2.TemplateNotFound as exc:
        raise SourceError(Diagnostic(Position(display_path(templates or templates_dir())),
                                     f"template '{exc.name}' not found")) from exc
    except jinja2.TemplateSyntaxError as exc:
        where = Position(display_path(exc.filename or name), exc.lineno or 0, 1)
        raise SourceError(Diagnostic(where, f"template syntax error: {exc.message}")) from exc
    except jinja2.TemplateError as exc:
        raise SourceError(Diagnostic(_template_pos(exc, name), f"template error: {exc}")) from exc
    return text.rstrip("\n") + "\n"


_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 pair, alone: not Unicode text. None comes from a file (each is decoded strictly), but a
command-line argument that is not UTF-8 arrives with them (``--to``, ``--legend``): they print as U+FFFD."""


def _heading_as_text(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with lone surrogates in its heading (the only text taken from the command line) replaced."""
    heading = document.get("heading")
    if isinstance(heading, dict) and any(isinstance(v, str) and _SURROGATE.search(v) for v in heading.values()):
        return {**document, "heading": _whole(heading)}
    return document


def _whole(value: Any) -> Any:
    """``value`` with every lone surrogate in its texts replaced by U+FFFD (:data:`_SURROGATE`)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_whole(k): _whole(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole(v) for v in value]
    return value


def render_json(document: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON, indented by two spaces, ending in a newline. orjson writes the same bytes
    as ``json.dumps(document, indent=2, ensure_ascii=False)`` (except that exponents drop the ``+``, as in
    ``1e16``), about fifteen times faster."""
    import orjson  # only when JSON is asked for: it costs a Markdown run's start-up nothing

    option = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    try:
        return orjson.dumps(document, option=option)
    except TypeError:  # a lone surrogate (orjson refuses it): the same document with U+FFFD in its place
        return orjson.dumps(_whole(document), option=option)


def index_parts(templates: Path | None = None, memos: Memos | None = None) -> Any:  # a template module: macros by name
    """The batch index template's macros ``head()``, ``row(outcome)`` and ``foot(totals)``, so that the
    page can be written a row at a time while the batch runs."""
    try:
        return _memos(memos).env(templates).get_template("index.html.j2").module
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


def _template_line(tb: TracebackType) -> int:
    frame_globals = tb.tb_frame.f_globals
    debug = frame_globals.get("__jinja_template__")
    if debug is not None:
        try:
            return int(debug.get_corresponding_lineno(tb.tb_lineno))
        except (AttributeError, TypeError, ValueError):
            return 0
    return 0
