"""`invoke preview`: every PDF page as a picture (pdftoppm), gathered in one contact sheet per
language, so a reviewer sees the whole set at a glance."""

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


@dataclass(frozen=True)
class Sheet:
    lang: str
    png: Path
    page: Path
    pages: int


def page_pictures(pdf: Path, folder: Path, dpi: int = DPI) -> list[Path]:
    """One PNG per page of `pdf`, in page order."""
    if shutil.which("pdftoppm") is None:
        raise ProjectError("preview needs pdftoppm: sudo apt-get install poppler-utils")
    prefix = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, capture_output=True)
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
