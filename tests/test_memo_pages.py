"""The printed length of a memo (issue 15, point 4): the flagship case's Word memo at the default detail fits in
15 pages, counted in the PDF LibreOffice makes of it. Skipped only where LibreOffice is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from transferlaw import api

from .conftest import ROOT

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def pdf_pages(docx: bytes, tmp_path: Path) -> int:
    """The number of pages of the PDF LibreOffice converts ``docx`` to."""
    assert OFFICE is not None
    source = tmp_path / "memo.docx"
    source.write_bytes(docx)
    profile = (tmp_path / "profile").as_uri()  # a private profile: no clash with a running LibreOffice
    done = subprocess.run([OFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(source)], capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "memo.pdf"
    assert pdf.exists(), f"no PDF: {done.stdout}\n{done.stderr}"
    return len(PAGE.findall(pdf.read_bytes()))


@pytest.mark.slow
@pytest.mark.skipif(OFFICE is None, reason="LibreOffice not installed")
def test_the_flagship_word_memo_fits_in_15_pages(tmp_path: Path) -> None:
    case, ruleset = api.load_case(ROOT / "cases" / "citizen-federal-no-consent.yaml")
    data = api.render_memo_bytes(api.evaluate_case(case, ruleset), "docx")
    pages = pdf_pages(data, tmp_path)
    assert 1 <= pages <= 15, f"{pages} pages"
