"""Accepted findings (`locale/accepted.yaml`): a translator's considered "this is right", with a
reason, kept in the repo for the next reader.

Each acceptance names a finding by its fingerprint, which `invoke check` prints beside it: a hash
of the finding's code, language, document, section and the text it was about. When that text
changes the fingerprint does too, so an acceptance expires with the text it accepted, and check
says so instead of silently keeping it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from materials.errors import relative
from materials.sources.yamlfile import Strict, must, read_yaml, validate

FILE = "locale/accepted.yaml"
FINGERPRINT = re.compile(r"^[0-9a-f]{12}$")


@dataclass(frozen=True)
class Acceptance:
    fingerprint: str
    code: str
    lang: str
    reason: str
    line: int | None


class AcceptanceSpec(Strict):
    fingerprint: Annotated[str, must(lambda v: isinstance(v, str) and FINGERPRINT.match(v),
                                     "the 12-letter fingerprint invoke check prints beside the finding", before=True)]
    code: Annotated[str, Field(min_length=1)]
    lang: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=3)]


class AcceptancesFile(Strict):
    accepted: list[AcceptanceSpec] = []


def load_acceptances(root: Path) -> list[Acceptance]:
    path = Path(root) / FILE
    if not path.exists() and not path.is_symlink():
        return []
    name = relative(path, root)
    data, lines = read_yaml(path, name)
    spec = validate(AcceptancesFile, data if data is not None else {}, name, lines)
    return [Acceptance(a.fingerprint, a.code, a.lang, a.reason, lines.get(("accepted", i)))
            for i, a in enumerate(spec.accepted)]
