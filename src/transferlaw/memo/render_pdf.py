"""Render the memo as PDF: the HTML memo (templates/memo.html.j2) laid out by WeasyPrint.

The PDF is the HTML memo printed: WeasyPrint applies the template's ``@media print`` rules and its ``@page``
box, whose bottom margin box numbers the pages ("Page N of M"). Nothing here knows the memo's layout.

WeasyPrint (and, through it, the system's Pango) is imported only when a PDF is asked for, as python-docx is
for Word: ``transferlaw run`` does not load it otherwise, and a machine without it can write every other
format. Without it, a PDF fails with one :class:`PdfUnavailable` line saying what to install.

The output is deterministic: WeasyPrint writes no file identifier unless asked (none is), the creation and
modification dates come from the memo's date (never the clock), and everything else follows from the HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from ..language.errors import OutputError

__all__ = ["MISSING", "PdfUnavailable", "render_pdf"]

MISSING = ("PDF output needs WeasyPrint and the system's Pango library: pip install 'transferlaw[pdf]' "
           "(Debian: apt install libpango-1.0-0 libpangoft2-1.0-0)")


class PdfUnavailable(OutputError):
    """WeasyPrint, or the Pango library it loads, is not installed: no PDF can be written."""


def _weasyprint() -> Any:  # the weasyprint module (it has no type hints)
    """WeasyPrint, imported on first use; :class:`PdfUnavailable` where it or Pango is missing (WeasyPrint
    raises OSError at import when it cannot load Pango)."""
    try:
        import weasyprint  # type: ignore[import-untyped,import-not-found,unused-ignore]  # no type hints
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(MISSING) from exc
    return weasyprint


@functools.cache
def _offline_fetcher_class(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but ``data:``, so that rendering a memo never touches
    the network or the file system: the HTML memo is self-contained (its stylesheet is inline, it has no
    images or web fonts), and any other URL in it would come from a rule set or a case, which must not make
    the renderer fetch anything. WeasyPrint logs a refused resource and goes on without it."""

    class OfflineFetcher(weasyprint.urls.URLFetcher):  # type: ignore[misc]  # untyped base class
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url[:5].lower() != "data:":
                raise ValueError(f"the PDF memo fetches no resources: {url[:80]!r} refused")
            return super().fetch(url, headers)

    return OfflineFetcher


def _memo_date(document: Mapping[str, Any]) -> str | None:
    """The memo's date (its heading's, else ``as_of``) as a W3C date, or None when it has none."""
    heading = document.get("heading")
    for value in ((heading.get("date") if isinstance(heading, Mapping) else None), document.get("as_of")):
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            continue
    return None


def render_pdf(html: bytes, document: Mapping[str, Any]) -> bytes:
    """The HTML memo ``html`` (UTF-8 bytes, as :func:`transferlaw.memo.render.render_bytes` makes it) as the
    bytes of a PDF file; ``document`` is the memo document it was rendered from (for the date)."""
    weasyprint = _weasyprint()
    fetcher = _offline_fetcher_class(weasyprint)(timeout=1)
    # the memo's grids size their text column minmax(0, 1fr): with a bare 1fr and overflow-wrap: anywhere,
    # WeasyPrint measures every line broken at every character (the flagship took ~30 s instead of ~1.5 s)
    laid_out = weasyprint.HTML(string=html.decode("utf-8"), url_fetcher=fetcher).render()
    date = _memo_date(document)
    laid_out.metadata.created = date  # the memo's date, not the clock (None: no date written)
    laid_out.metadata.modified = date
    data = laid_out.write_pdf(pdf_identifier=None)  # no /ID (WeasyPrint's default; written explicitly)
    if not isinstance(data, bytes):
        raise TypeError(f"WeasyPrint returned {type(data).__name__}, not bytes")
    return data
