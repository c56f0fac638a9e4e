"""`invoke preview`: every PDF page as a picture (pdftoppm), gathered in one contact sheet per
language, so a reviewer sees the whole set at a glance.

`invoke preview --approve` keeps a small grey picture of every page of a full build as the
approved look (tests/approved/<lang>/<doc>-<page>.png); the visual test compares each page of a
fresh build with it, pixel by pixel with a small tolerance (the root mean square of the
difference, as matplotlib's image comparison measures it), and writes a difference picture for
each page that changed. The fonts are pinned, so a page renders the same on every machine.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from materials.errors import ProjectError
from materials.output import BuildLock, write_atomic

COLUMNS = 8
DPI = 40
APPROVED = Path("tests") / "approved"  # under the project's root
APPROVED_DPI = 30  # small: about 10 kB a page, every page of a build under 2 MB
TOLERANCE = 1.0  # RMS of the grey difference, 0-255: anti-aliasing noise, far below a moved word


@dataclass(frozen=True)
class Sheet:
    lang: str
    png: Path
    page: Path
    pages: int


def page_pictures(pdf: Path, folder: Path, dpi: int = DPI, gray: bool = False) -> list[Path]:
    """One PNG per page of `pdf`, in page order."""
    if shutil.which("pdftoppm") is None:
        raise ProjectError("preview needs pdftoppm: sudo apt-get install poppler-utils")
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", *(["-gray"] if gray else []), str(pdf), str(prefix)],
                   check=True, capture_output=True)
    return sorted(folder.glob(f"{pdf.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def contact_sheet(pictures: list[tuple[str, Path]], target: Path) -> None:
    """All pictures in a grid, each labelled with its document and page, as one PNG."""
    from PIL import Image, ImageDraw

    images = [(label, Image.open(p).convert("RGB")) for label, p in pictures]
    w = max(im.width for _, im in images)
    h = max(im.height for _, im in images)
    pad, label_h = 12, 16
    rows = (len(images) + COLUMNS - 1) // COLUMNS
    sheet = Image.new("RGB", (COLUMNS * (w + pad) + pad, rows * (h + pad + label_h) + pad), "#e9eef0")
    draw = ImageDraw.Draw(sheet)
    for i, (label, im) in enumerate(images):
        x = pad + (i % COLUMNS) * (w + pad)
        y = pad + (i // COLUMNS) * (h + pad + label_h)
        draw.text((x, y), label, fill="#1d2326")
        sheet.paste(im, (x, y + label_h))
        draw.rectangle([x - 1, y + label_h - 1, x + im.width, y + label_h + im.height], outline="#9aa9ae")
    import io

    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    write_atomic(target, buf.getvalue())


def preview(root: Path, langs: list[str], doc_ids: list[str], build_dir: Path | None = None) -> list[Sheet]:
    build_dir = Path(build_dir) if build_dir else Path(root) / "build"
    with BuildLock(build_dir):  # the pictures are written under build/ like every output
        return [_sheet(build_dir, lang, doc_ids) for lang in langs]


def _sheet(build_dir: Path, lang: str, doc_ids: list[str]) -> Sheet:
    pdfs = [build_dir / lang / f"{d}.pdf" for d in doc_ids]
    missing = [str(p.relative_to(build_dir.parent)) for p in pdfs if not p.is_file()]
    if missing:
        raise ProjectError(f"no PDF to preview: {', '.join(missing)}; run `invoke build --lang {lang}` first")
    out = build_dir / "preview" / lang
    pictures: list[tuple[str, Path]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in pdfs:
            for n, png in enumerate(page_pictures(pdf, Path(tmp)), 1):
                target = out / png.name
                write_atomic(target, png.read_bytes())
                pictures.append((f"{pdf.stem} p.{n}", target))
    png = build_dir / "preview" / f"{lang}.png"
    contact_sheet(pictures, png)
    items = "\n".join(f'<figure><img src="{lang}/{html.escape(p.name)}" alt="{html.escape(label)}">'
                      f"<figcaption>{html.escape(label)}</figcaption></figure>" for label, p in pictures)
    page = build_dir / "preview" / f"{lang}.html"
    write_atomic(page, (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Preview: {lang}</title>'
                        "<style>body{font-family:sans-serif;background:#e9eef0}main{display:flex;flex-wrap:wrap;gap:12px}"
                        "figure{margin:0;background:#fff;padding:6px}img{display:block;border:1px solid #9aa9ae}"
                        "figcaption{font-size:12px}</style></head>"
                        f"<body><h1>Preview: {lang}, {len(pictures)} pages</h1><main>{items}</main></body></html>\n").encode())
    return Sheet(lang, png, page, len(pictures))


# -- the approved look, and what differs from it ------------------------------------------------

@dataclass(frozen=True)
class Difference:
    page: str  # <lang>/<doc>-<page>.png
    what: str  # how it differs
    picture: Path | None = None  # the difference, where both pages exist


def approved_pages(build_dir: Path, folder: Path) -> dict[str, Path]:
    """Every page of every PDF under build_dir/<lang>/, pictured small and grey into folder:
    {"<lang>/<doc>-<page>.png": picture}."""
    pages = {}
    for pdf in sorted(Path(build_dir).glob("*/*.pdf")):
        target = folder / pdf.parent.name
        target.mkdir(parents=True, exist_ok=True)
        for n, png in enumerate(page_pictures(pdf, target, APPROVED_DPI, gray=True), 1):
            pages[f"{pdf.parent.name}/{pdf.stem}-{n}.png"] = png
    return pages


def approve(root: Path, build_dir: Path | None = None, jobs: int | None = None) -> int:
    """Build every language (what is stale), then keep its pages as the approved look in
    tests/approved/, replacing what was there. Returns the number of pages."""
    from materials.build import build

    root = Path(root)
    build_dir = Path(build_dir) if build_dir else root / "build"
    build(root, build_dir, jobs=jobs)
    approved = root / APPROVED
    with BuildLock(build_dir), tempfile.TemporaryDirectory() as tmp:
        pages = approved_pages(build_dir, Path(tmp))
        for name, png in pages.items():
            target = approved / name
            if not target.is_file() or target.read_bytes() != png.read_bytes():
                write_atomic(target, png.read_bytes())
        for old in approved.glob("*/*.png"):
            if old.relative_to(approved).as_posix() not in pages:
                old.unlink()
    return len(pages)


def rms(a, b) -> float:
    """The root mean square of two grey pictures' difference (0: the same pixels)."""
    from PIL import ImageChops

    histogram = ImageChops.difference(a, b).histogram()
    return (sum(count * value * value for value, count in enumerate(histogram)) / (a.width * a.height)) ** 0.5


def differences(build_dir: Path, approved: Path, out: Path) -> list[Difference]:
    """Each page of the PDFs under build_dir that differs from its approved picture (or has
    none, or lost it), with a picture of the difference in out/ (changed pixels dark)."""
    from PIL import Image, ImageChops, ImageOps

    found = []
    with tempfile.TemporaryDirectory() as tmp:
        pages = approved_pages(build_dir, Path(tmp))
        kept = {p.relative_to(approved).as_posix() for p in Path(approved).glob("*/*.png")}
        for name in sorted(kept - set(pages)):
            found.append(Difference(name, "approved, but the build has no such page"))
        for name, png in pages.items():
            if name not in kept:
                found.append(Difference(name, "a page with no approved picture"))
                continue
            page, good = Image.open(png).convert("L"), Image.open(approved / name).convert("L")
            if page.size != good.size:
                found.append(Difference(name, f"{page.size} pixels, approved {good.size}"))
                continue
            if (score := rms(page, good)) > TOLERANCE:
                picture = out / name
                picture.parent.mkdir(parents=True, exist_ok=True)
                diff = ImageOps.invert(ImageOps.autocontrast(ImageChops.difference(page, good)))
                Image.merge("RGB", (good, diff, page)).save(picture)  # approved red, changes dark, new blue
                found.append(Difference(name, f"differs by {score:.1f} (RMS, tolerance {TOLERANCE})", picture))
    return found
