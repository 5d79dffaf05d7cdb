"""PDF memos (-f pdf): the HTML memo laid out by WeasyPrint; deterministic, offline, and one clear line where
WeasyPrint or Pango is missing.

The flagship memo is rendered twice in this module, once by ``transferlaw run`` in a fresh process and once by
``transferlaw batch`` here: each render takes a few seconds."""

from __future__ import annotations

import builtins
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from transferlaw.cli import cli
from transferlaw.memo import render_pdf

from .conftest import ROOT

FLAGSHIP = ROOT / "cases" / "citizen-federal-no-consent.yaml"


def _weasyprint_works() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_weasyprint = pytest.mark.skipif(not _weasyprint_works(), reason="needs WeasyPrint and Pango")


def _pdf_objects(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated after them: its object streams (where the page
    objects and the outline are) become searchable. Enough for this file's own PDFs; not a PDF parser."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


@pytest.fixture(scope="module")
def flagship_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The flagship case's memo, written by `transferlaw run CASE -f pdf -o memo.pdf` in a fresh process."""
    if not _weasyprint_works():
        pytest.skip("needs WeasyPrint and Pango")
    target = tmp_path_factory.mktemp("pdf") / "memo.pdf"
    result = subprocess.run([sys.executable, "-m", "transferlaw", "run", str(FLAGSHIP), "-f", "pdf", "-o", str(target)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT,
                            env={**os.environ, "PYTHONHASHSEED": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == f"wrote {target}\n"
    return target.read_bytes()


@needs_weasyprint
def test_flagship_pdf_is_a_plausible_pdf(flagship_pdf: bytes) -> None:
    """A PDF file, of a plausible number of pages, with the memo's headings as its outline and the memo's date
    (not the clock's) as its creation date."""
    assert flagship_pdf.startswith(b"%PDF-") and flagship_pdf.rstrip().endswith(b"%%EOF")
    objects = _pdf_objects(flagship_pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", objects))
    assert 5 <= pages <= 40, pages
    assert b"(Brief answer)" in objects  # the outline WeasyPrint makes from the h2 headings
    assert re.search(rb"/CreationDate\s*\(D:20260301\)", objects)
    assert b"/ID" not in objects  # a file identifier would differ between runs


@needs_weasyprint
def test_batch_writes_pdf_identical_to_run(flagship_pdf: bytes, tmp_path: Path) -> None:
    """batch --format pdf writes a .pdf per case, byte for byte the one `run` wrote in another process (another
    hash seed): the output is deterministic."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(FLAGSHIP), "-o", str(out), "--format", "pdf", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    written = sorted(out.glob("*.pdf"))
    assert [p.name.startswith("citizen-federal-no-consent") for p in written] == [True]
    assert written[0].read_bytes() == flagship_pdf


@needs_weasyprint
def test_fetcher_refuses_everything_but_data_urls() -> None:
    """Rendering fetches nothing: the URL fetcher refuses http(s) and file URLs, and still reads data: URLs."""
    import weasyprint

    fetcher = render_pdf._offline_fetcher_class(weasyprint)()
    for url in ("https://example.com/x.png", "http://127.0.0.1/", "file:///etc/passwd", "FILE:///etc/hosts"):
        with pytest.raises(ValueError, match="fetches no resources"):
            fetcher(url)
    assert fetcher("data:text/plain,ok").read() == b"ok"


@pytest.mark.parametrize("failure", [ImportError, OSError])
def test_missing_weasyprint_is_one_line_exit_1(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                failure: type[Exception]) -> None:
    """Without WeasyPrint (ImportError) or the Pango it loads (OSError at import), `run -f pdf` is exit 1 with
    one line that says what to install, no traceback and no file."""
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise failure("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    target = tmp_path / "memo.pdf"
    result = runner.invoke(cli, ["run", str(FLAGSHIP), "-f", "pdf", "-o", str(target)])
    assert result.exit_code == 1
    assert result.stderr == render_pdf.MISSING + "\n"
    assert "Traceback" not in result.output and not target.exists()


def test_run_does_not_load_weasyprint() -> None:
    """A Markdown run never imports WeasyPrint (it loads only when a PDF is asked for)."""
    code = ("import sys; sys.argv = ['transferlaw', 'run', sys.argv[1]]\n"
            "from transferlaw.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('weasyprint loaded' if 'weasyprint' in sys.modules else 'weasyprint not loaded', file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, str(FLAGSHIP)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Memorandum")
    assert result.stderr.strip().endswith("weasyprint not loaded")

