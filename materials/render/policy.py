"""What content may do: the sandbox its Jinja expressions run in, and the links and attributes
its Markdown may produce. Each rule lives here once; the renderer names the file and line.

Content is written by staff, but a content file must never be able to take the machine (a
billion-character text, an endless loop) or put script into a page that reaches a municipality.
"""

from __future__ import annotations

import functools
import html
import re
import string
import time
from xml.etree.ElementTree import Element

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

SIZE = 100_000  # characters of one value, or items of one list
OUTPUT = 1_000_000  # characters one content text may expand to
STEPS = 200_000  # loop rounds and calls of one content text
SECONDS = 3.0  # of work for one content text
WIDTH = 1_000  # the largest width, count or precision a filter, method or format may be given
# The built-in filters content may use besides the project's own (number, duration, date, ...):
# none of them makes a text much larger than what it is given.
FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "join", "last",
           "length", "list", "lower", "max", "min", "replace", "reverse", "round", "sort", "string", "striptags",
           "sum", "title", "trim", "truncate", "unique", "upper", "wordcount")


class TooLarge(SecurityError):
    """A content expression asked for more work or a larger value than a document holds."""


def _weight(value, depth: int = 0) -> int:
    """Roughly how many characters or items `value` holds, nested lists counted in full."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)) and depth < 3:
        return len(value) + sum(_weight(v, depth + 1) for v in value[:SIZE])
    return 1


def _format_widths(text: str, percent: bool) -> None:
    """A format string's widths and precisions: none larger than WIDTH, none taken from the arguments."""
    if percent:
        specs = re.findall(r"%[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?[a-zA-Z%]", text)
        numbers = [n for spec in specs for n in spec]
    else:
        try:
            fields = [spec for _, _, spec, _ in string.Formatter().parse(text) if spec]
        except ValueError:
            return  # str.format reports it
        if any("{" in spec for spec in fields):
            raise TooLarge("a format width taken from the arguments")
        numbers = [n for spec in fields for n in re.findall(r"\d+", spec)]
    for n in numbers:
        if n == "*":
            raise TooLarge("a format width taken from the arguments")
        if n and int(n) > WIDTH:
            raise TooLarge(f"a format width of {int(n):,}")


class _Bounded(NodeTransformer):
    """Rewrites a parsed content text so that every loop and every `~` goes through the sandbox's
    counters (the names are the environment's own, which a content text cannot reassign)."""

    def __init__(self, environment):
        self.environment = environment

    def _call(self, method: str, args: list, lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.EnvironmentAttribute(method), args, [], None, None)
        call.set_lineno(lineno)
        call.set_environment(self.environment)
        return call

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = self._call("rounds", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Call:
        self.generic_visit(node)
        return self._call("sized", [node], node.lineno)


class ContentSandbox(SandboxedEnvironment):
    """Jinja's sandbox (no attribute tricks), bounded in the work and the size of what a content
    text may ask for: each value at most SIZE characters or items, the whole text at most OUTPUT
    characters, at most STEPS loop rounds and calls, SECONDS of time. Anything more is TooLarge."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, **options):
        super().__init__(**options)
        for name in ("lipsum", "cycler", "joiner"):  # nothing a document needs, lipsum makes any length
            self.globals.pop(name, None)
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items() if name in FILTERS}
        self.reset()

    def add_filters(self, filters: dict) -> None:
        """The project's filters, under the same bounds as the built-in ones."""
        self.filters.update(filters)
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}

    def reset(self) -> None:
        """Start the counters for one content text."""
        self.steps = 0
        self.deadline = time.monotonic() + SECONDS

    def step(self) -> None:
        self.steps += 1
        if self.steps > STEPS:
            raise TooLarge(f"more than {STEPS:,} loop rounds and calls")
        if time.monotonic() > self.deadline:
            raise TooLarge(f"more than {SECONDS:g} seconds of work")

    def sized(self, value):
        """A value content made: at most SIZE characters or items."""
        if _weight(value) > SIZE:
            raise TooLarge(f"a text or list of more than {SIZE:,} characters or items")
        return value

    def rounds(self, iterable):
        if isinstance(iterable, Undefined):
            return iterable  # iterating it says which value is unknown
        return self._counted(iterable)

    def _counted(self, iterable):
        for item in iterable:
            self.step()
            yield item

    def _parse(self, source, name, filename):
        return _Bounded(self).visit(super()._parse(source, name, filename))

    @staticmethod
    def _arguments(args, kwargs) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > WIDTH:
                raise TooLarge(f"a width or count of {value:,}")

    def _bounded_filter(self, name: str, f):
        if getattr(f, "_bounded", False):
            return f
        passes = getattr(f, "jinja_pass_arg", None)

        @functools.wraps(f)
        def bounded(*args, **kwargs):
            self.step()
            offset = 1 if passes is not None else 0  # the context or environment Jinja passes first
            value, extra = (args[offset] if len(args) > offset else None), args[offset + 1:]
            if name not in {"number", "round", "int", "float", "abs", "default", "d"}:
                self._arguments(extra, kwargs)
            if name == "replace" and isinstance(value, str) and len(extra) >= 2:
                self._replaced(value, str(extra[0]), str(extra[1]))
            return self.sized(f(*args, **kwargs))

        bounded._bounded = True
        return bounded

    def _replaced(self, text: str, old: str, new: str) -> None:
        if len(text) + text.count(old) * max(0, len(new) - len(old)) + (len(text) + 1) * len(new) * (not old) > SIZE:
            raise TooLarge(f"a replacement that makes a text of more than {SIZE:,} characters")

    def call_binop(self, context, operator, left, right):
        self.step()
        if operator == "**" and isinstance(left, int) and isinstance(right, (int, float)):
            if right > 64 or (right > 0 and abs(left).bit_length() * right > 512):
                raise TooLarge(f"a power of more than 512 bits (**{right})")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and _weight(seq) * max(n, 0) > SIZE:
                    raise TooLarge(f"a text or list repeated to more than {SIZE:,} characters or items")
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            self.sized(left), self.sized(right)
        if operator == "%" and isinstance(left, str):
            _format_widths(left, percent=True)
        return self.sized(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):
        __self.step()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (str, list, tuple, dict)):
            __self._arguments(args, kwargs)
            if getattr(__obj, "__name__", "") == "replace" and isinstance(owner, str) and len(args) >= 2:
                __self._replaced(owner, str(args[0]), str(args[1]))
        return __self.sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        """`'...'.format` (which Jinja's sandbox wraps): widths within bounds."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _format_widths(value.__self__, percent=False)
        return wrapped

    def render(self, template, variables: dict) -> str:
        """A compiled content text, rendered within the bounds."""
        self.reset()
        out, total = [], 0
        for chunk in template.generate(variables):
            total += len(chunk)
            if total > OUTPUT:
                raise TooLarge(f"a text of more than {OUTPUT:,} characters")
            out.append(chunk)
        return "".join(out)


# -- links and attributes ---------------------------------------------------------------------------

SCHEMES = ("https", "http", "mailto", "tel")
ATTRIBUTES = {"id", "class", "lang"}  # any element may have these (attr_list's `{#id .class}`)
ELEMENT_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}
ALIGN = re.compile(r"^text-align: (left|right|center);$")  # what the tables extension writes
EMBEDDED = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]*$")
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


class Refused(Exception):
    """Markdown content produced a link or attribute a page may not have; `needle` is the text
    to look for in the source, for its line."""

    def __init__(self, message: str, needle: str):
        super().__init__(message)
        self.message, self.needle = message, needle


def as_browser_reads(url: str) -> str:
    """A URL as a browser resolves it: entities decoded, tabs and newlines dropped, spaces trimmed."""
    url = html.unescape(url.replace(AMP_SUBSTITUTE, "&"))
    return re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def check_link(url: str) -> None:
    target = as_browser_reads(url)
    scheme = URL_SCHEME.match(target)
    if scheme and scheme.group(1).lower() not in SCHEMES:
        raise Refused(f"link '{url}': a link must be https, http, mailto or tel, or point within the materials",
                      url)


def check_element(el: Element) -> None:
    allowed = ATTRIBUTES | ELEMENT_ATTRIBUTES.get(el.tag, set())
    for name, value in el.attrib.items():
        if name == "style" and el.tag in ("th", "td") and ALIGN.match(value):
            continue
        if name not in allowed:
            raise Refused(f"attribute '{name}' is not allowed in content; content may set only id, class and lang",
                          name)
        if name == "href":
            check_link(value)
        if name == "src" and not EMBEDDED.match(value):
            raise Refused(f"image '{value}' must be a file beside the content, such as images/map.png", value)


class _Policy(Treeprocessor):
    def run(self, root: Element) -> None:
        for el in root.iter():
            check_element(el)


class ContentPolicy(Extension):
    """Runs last over the element tree (after attr_list and the inline patterns), so what it
    checks is what the page will hold."""

    def extendMarkdown(self, md) -> None:
        md.treeprocessors.register(_Policy(md), "content-policy", -10)
