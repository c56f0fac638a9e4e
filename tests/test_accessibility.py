"""PDF/UA: every PDF passes the `pdfua` checker, and the structure is checked directly with pikepdf."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

LANGS = ("en", "fi", "nl")


def pdfua_command() -> list[str]:
    script = Path(sys.executable).parent / "pdfua"
    return [str(script)] if script.exists() else [shutil.which("pdfua") or "pdfua"]


def test_pdfua_reports_no_error_and_no_warning_on_any_pdf(full_build):
    out, _, manifest = full_build
    pdfs = [str(out / o["path"]) for o in manifest["outputs"] if o["format"] == "pdf"]
    assert len(pdfs) == 30
    result = subprocess.run(pdfua_command() + ["check", *pdfs], capture_output=True, text=True)
    # Exit 0: no finding at all (3 would be an ERROR, 2 a WARNING). The checker covers only
    # part of PDF/UA-1, so the structure is also checked below.
    assert result.returncode == 0, result.stdout[-3000:]
    assert "errors=0" in result.stdout and "ERROR ]" not in result.stdout


def walk(element, parent=None):
    yield element, parent
    kids = element.get("/K")
    if kids is None:
        return
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield from walk(kid, element)


@pytest.mark.parametrize("lang", LANGS)
def test_tagged_structure_language_title_bookmarks_and_header_scopes(full_build, project, lang):
    out, _, _ = full_build
    for doc in project.documents:
        with pikepdf.open(out / lang / f"{doc}.pdf") as pdf:
            root = pdf.Root
            assert str(root.Lang) == lang
            assert bool(root.ViewerPreferences.DisplayDocTitle) is True
            assert bool(root.MarkInfo.Marked) is True
            assert str(pdf.docinfo["/Title"]).strip()
            # Headings give bookmarks: the outline has at least the document's title.
            with pdf.open_outline() as outline:
                titles = [item.title for item in outline.root]
            assert titles, f"{lang}/{doc}: no bookmarks"
            elements = list(walk(root.StructTreeRoot))
            kinds = {str(e.S) for e, _ in elements if "/S" in e}
            assert "/H1" in kinds
            for element, parent in elements:
                if "/S" in element and element.S == "/TH":
                    scope = element.A.Scope
                    head = parent is not None and parent.get("/P") is not None and parent.P.get("/S") == "/THead"
                    assert scope == ("/Column" if head else "/Row"), f"{lang}/{doc}: {scope}"
                if "/S" in element and element.S == "/Figure":
                    assert str(element.get("/Alt", "")).strip(), f"{lang}/{doc}: image without alt text"
