"""Images in content: the one pattern that finds them, and reading one safely.

An image is a file beside the content (no URLs), of a kind its name says, that decodes whole and
is of a sane size: a damaged file or a decompression bomb (a small file that decodes to billions
of pixels) is refused with the content file's line, never silently dropped from the PDF.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from materials.errors import ProjectError, relative
from materials.sources.files import read_bytes

# An image in Markdown: ![alt](src "title"), the one pattern that rendering, the rules and the
# build's keys read.
IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# suffix -> (MIME type, the format Pillow must find; None for SVG, which is XML)
TYPES = {".png": ("image/png", "PNG"), ".jpg": ("image/jpeg", "JPEG"), ".jpeg": ("image/jpeg", "JPEG"),
         ".gif": ("image/gif", "GIF"), ".webp": ("image/webp", "WEBP"), ".svg": ("image/svg+xml", None)}
MAX_BYTES = 10_000_000
MAX_PIXELS = 25_000_000  # 5000 x 5000: far more than a printed A4 page needs


class BadImage(Exception):
    """Why an image is refused, to be said at the line that shows it."""


def is_local(src: str) -> bool:
    """A path beside the content, not a URL or an absolute path."""
    return not (re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith("/"))


def read_image(src: str, content_path: Path, root: Path) -> tuple[str, bytes]:
    """(MIME type, bytes) of the image `src` that the content file at `content_path` shows."""
    if not is_local(src):
        raise BadImage(f"image '{src}' must be a file beside the content, such as images/map.png")
    content_dir = root / "content"
    path = (content_path.parent / src).resolve()
    if not path.is_relative_to(content_dir.resolve()):
        raise BadImage(f"image '{src}' is outside the project's content/ folder")
    kind = TYPES.get(path.suffix.lower())
    if kind is None:
        raise BadImage(f"image '{src}' must be one of: {', '.join(TYPES)}")
    try:
        data = read_bytes(path, src, MAX_BYTES, inside=content_dir)
    except FileNotFoundError:
        raise BadImage(f"image '{src}' not found (looked for {relative(path, root)})")
    except ProjectError as exc:
        raise BadImage(f"image '{src}' {exc.problems[0].message}" if exc.problems else f"image '{src}' cannot be read")
    mime, expected = kind
    if expected is None:
        _check_svg(src, data)
    else:
        _check_raster(src, data, expected)
    return mime, data


def _check_raster(src: str, data: bytes, expected: str) -> None:
    from PIL import Image

    guard, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our own limit, said in our words
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise BadImage(f"image '{src}' is {width:,} × {height:,} pixels; images are limited to "
                               f"{MAX_PIXELS // 1_000_000} megapixels (5000 × 5000)")
            if im.format != expected:
                raise BadImage(f"image '{src}' is a {im.format} file, not what its name says ({expected})")
            im.verify()
        with Image.open(io.BytesIO(data)) as im:
            im.load()  # decodes every pixel: a truncated or damaged file fails here
    except BadImage:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... for damaged files
        raise BadImage(f"image '{src}' cannot be read as an image ({type(exc).__name__}: {exc}); "
                       "save it again from an image editor")
    finally:
        Image.MAX_IMAGE_PIXELS = guard


def _check_svg(src: str, data: bytes) -> None:
    from xml.etree import ElementTree

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise BadImage(f"image '{src}' declares a DOCTYPE or entities, which an SVG here may not; save it as plain SVG")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise BadImage(f"image '{src}' is not well-formed SVG ({exc})")
    if not (root.tag == "svg" or root.tag.endswith("}svg")):
        raise BadImage(f"image '{src}' is XML but not SVG (its root is <{root.tag}>)")
