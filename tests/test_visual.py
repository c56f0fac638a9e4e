"""Visual regression: every page of a full build, pictured small and grey, against its approved
picture in tests/approved/ (`invoke preview --approve` keeps them). A page that changed fails,
and its difference picture is written where the message says."""

from __future__ import annotations

from materials.dev.preview import differences

from tree import ROOT


def test_every_page_looks_as_approved(full_build):
    out, _, _ = full_build
    diff_dir = out.parent / "visual-diff"
    found = differences(out, ROOT / "tests" / "approved", diff_dir)
    assert found == [], (
        f"{len(found)} pages differ from their approved look (run `invoke preview --approve` once a change is"
        f" intended); difference pictures in {diff_dir}:\n"
        + "\n".join(f"  {d.page}: {d.what}" + (f" ({d.picture})" if d.picture else "") for d in found))
