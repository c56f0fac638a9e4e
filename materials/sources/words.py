"""The project's own words (`locale/words/<lang>.txt`): words a language's spelling dictionary
does not know but that are right here, such as "casusinbrenger" or "intervisio".

One word a line; `#` starts a comment; blank lines are ignored. The glossary's terms and names
count as known words without being listed again. A word here also makes its compounds and
inflected forms known ("intervisio": "intervisiotapaaminen", "intervisiossa").
"""

from __future__ import annotations

import re
from pathlib import Path

from materials.errors import Problem, ProjectError, relative
from materials.sources.files import read_text

FOLDER = Path("locale") / "words"
MAX_BYTES = 200_000
WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")


def path(root: Path, lang: str) -> Path:
    return Path(root) / FOLDER / f"{lang}.txt"


def load_words(root: Path, lang: str) -> frozenset[str]:
    """The language's word list, lowercased; none when it has no file. A ProjectError names
    every line that is not one word."""
    file = path(root, lang)
    if not file.exists() and not file.is_symlink():
        return frozenset()
    name = relative(file, root)
    text = read_text(file, name, MAX_BYTES, inside=Path(root) / "locale")
    words, problems = set(), []
    for n, line in enumerate(text.lstrip("\ufeff").split("\n"), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not WORD.match(entry):
            problems.append(Problem(name, f"expected one word (letters, with - or ' inside), got {entry[:40]!r}; "
                                          "write one word a line.", n))
            continue
        words.add(entry.lower())
    if problems:
        raise ProjectError(problems)
    return frozenset(words)
