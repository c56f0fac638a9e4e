"""YAML data files read with the line of every value, and validated by pydantic models.

`read_yaml` refuses duplicate keys (YAML lets the last one win silently) and documents too large
or too deep to be a configuration file; `validate` turns a pydantic ValidationError into one
`file:line: field: expected X, got Y` problem per error, every error of the file at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from materials.errors import Problem, ProjectError, shown

MAX_NODES = 100_000  # a configuration file has a few hundred values; an alias bomb has billions
MAX_BYTES = 1_000_000

Lines = dict[tuple, int]  # a value's path (keys and list indexes) -> its line in the file


class Strict(BaseModel):
    """The base of every data file's model: unknown keys are refused, values are not coerced
    from one kind into another (a list is never read as text)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, str_strip_whitespace=True)


STANDARD = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def must(test, expected: str, before: bool = False):
    """A validator: the value passes `test`, else `expected X, got Y`. `before`: tested as
    written in the file, ahead of the type's own check (so the message is ours, not pydantic's)."""
    def check(value: Any) -> Any:
        try:
            ok = test(value)
        except Exception:  # a value of another kind, or one the library refuses: not valid either
            ok = False
        if not ok:
            raise ValueError(f"expected {expected}, got {shown(value)}")
        return value.strip() if isinstance(value, str) else value
    return (BeforeValidator if before else AfterValidator)(check)


class _Reader:
    def __init__(self, name: str, offset: int = 0, subject: str = ""):
        self.name = name
        self.subject = subject
        self.offset = offset  # the file's line of the text's first line, less one
        self.lines: Lines = {}
        self.count = 0
        self.loader = yaml.SafeLoader("")

    def value(self, node: yaml.Node, path: tuple) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise ProjectError(Problem(self.name, f"has more than {MAX_NODES:,} values (aliases included); "
                                                  "a data file this large is not expected", self.line(node)))
        self.lines.setdefault(path, self.line(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in STANDARD:
            raise ProjectError(Problem(self.name, f"{self.subject}is not valid YAML here: the tag {node.tag} is not allowed in a data file", self.line(node)))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool, dt.date)) and key is not None:
                    raise ProjectError(Problem(self.name, f"a key must be a name, got {shown(key)}", self.line(key_node)))
                if key in out:
                    raise ProjectError(Problem(self.name, f"{_dotted(path + (key,))}: given twice; keep one", self.line(key_node)))
                self.lines.setdefault(path + (key,), self.line(key_node))  # a field's line is its key's
                out[key] = self.value(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node)

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset


def parse_yaml(text: str, name: str, first_line: int = 1, subject: str = "") -> tuple[Any, Lines]:
    """Parse YAML text: (data, lines). Errors are a ProjectError naming `name` and the line
    (`first_line` is the file's line of the text's first line, for front matter)."""
    reader = _Reader(name, first_line - 1, subject)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = reader.value(node, ()) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark else first_line
        raise ProjectError(Problem(name, f"{subject}is not valid YAML: {getattr(exc, 'problem', None) or exc}", line))
    except (ValueError, TypeError) as exc:  # a date such as 2027-02-30
        raise ProjectError(Problem(name, f"{subject}is not valid YAML: {exc}", first_line))
    except RecursionError:
        raise ProjectError(Problem(name, f"{subject}is not valid YAML: nested too deep", first_line))
    return data, reader.lines


def read_yaml(path: Path, name: str) -> tuple[Any, Lines]:
    """Read a YAML data file; a missing, unreadable or oversized file is one clear problem."""
    from materials.sources.files import read_bytes

    raw = read_bytes(path, name, MAX_BYTES)
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ProjectError(Problem(name, "is not UTF-8 text; save it as UTF-8", raw[: exc.start].count(b"\n") + 1))
    return parse_yaml(text, name)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# What each kind of pydantic error means, as the user reads it: "expected ...".
EXPECTED = {
    "string_type": "text", "string_too_short": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "dict_type": "a mapping", "list_type": "a list", "tuple_type": "a list",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "date_type": "a date such as 2027-03-15",
    "date_from_datetime_parsing": "a date such as 2027-03-15", "time_type": 'a clock time such as "09:30"',
    "greater_than": "a positive number", "greater_than_equal": "a larger number", "less_than_equal": "a smaller number",
    "too_short": "at least one item", "literal_error": "one of the listed values", "dict_keys": "names as keys",
}


def problems_of(error: ValidationError, name: str, lines: Lines, prefix: tuple = (), described: dict | None = None,
                known: list[str] | None = None) -> list[Problem]:
    """Each error of a validation as `field: expected X, got Y` with the value's line;
    `described`: what a missing field holds, by its name; `known`: the file's top-level fields."""
    out = []
    for e in error.errors(include_url=False):
        loc = prefix + tuple(part for part in e["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        loc = tuple(p for p in loc if p not in ("str", "int", "list[str]"))
        line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
        field = _dotted(loc) or "the file"
        kind, ctx = e["type"], e.get("ctx") or {}
        last = loc[-1] if loc else ""
        if kind == "missing":
            plain = ".".join(str(p) for p in loc if not isinstance(p, int))
            what = (described or {}).get(plain) or (described or {}).get(last)
            message = f"{field}: missing; " + (f"expected {what}" if what else "it is required")
        elif kind == "extra_forbidden":
            message = f"{field}: unknown field; " + (f"expected one of {', '.join(known)}" if known and len(loc) == 1
                                                     else "remove it or check its spelling")
        elif kind in ("value_error", "assertion_error"):
            message = f"{field}: {str(ctx.get('error', e['msg'])).removeprefix('Value error, ')}"
        elif kind == "literal_error":
            message = f"{field}: expected {ctx.get('expected')}, got {shown(e['input'])}"
        else:
            expected = ctx.get("expected") or EXPECTED.get(kind) or e["msg"]
            message = f"{field}: expected {expected}, got {shown(e['input'])}"
        out.append(Problem(name, message, line))
    return out


def validate(model: type[BaseModel], data: Any, name: str, lines: Lines, described: dict | None = None) -> Any:
    """`model` made from the data, or a ProjectError with every problem of the file."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(problems_of(exc, name, lines, described=described, known=list(model.model_fields)))
