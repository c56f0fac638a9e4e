"""Printing a check report: grouped text for people, JSON for CI and scripts."""

from __future__ import annotations

import json
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from materials.rules.checks import Report
from materials.sources import stamps


STYLES = {"del": "red strike", "add": "green"}


def print_diff_line(console: Console, line: str) -> None:
    """A word-diff line, never wrapped: in a terminal the removed words red and struck through
    and the added green; piped, the [-…-] and {+…+} markers stay, so it reads without colour."""
    if console.is_terminal:
        text = "".join(f"[{STYLES[kind]}]{escape(t)}[/{STYLES[kind]}]" if kind in STYLES else escape(t)
                       for kind, t in stamps.diff_parts(line))
    else:
        text = escape(line)
    console.print("      " + text, soft_wrap=True)


def print_report(report: Report, format: str = "text", console: Console | None = None) -> None:
    if format == "json":
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return
    console = console or Console(highlight=False)
    for (lang, doc), group in groupby(report.findings, key=lambda f: (f.lang, f.doc)):
        group = list(group)
        heading = f"{lang or 'all languages'} · {doc or 'catalogs'}"
        console.print(f"[bold]{escape(heading)}[/bold] ({escape(group[0].file)})")
        for f in group:
            where = f"{f.file}:{f.line}" if f.line else f.file
            colour = "red" if f.severity == "error" else "yellow"
            console.print(f"  [{colour}]{f.severity}[/{colour}] [cyan]{f.code}[/cyan] {escape(where)}: {escape(f.message)}"
                          + (f" [dim](fingerprint {f.fingerprint})[/dim]" if f.acceptable and f.code != "accepted" else ""))
            if f.diff:
                for line in f.diff.split("\n"):
                    print_diff_line(console, line)
    counts = ", ".join(f"{n} {code}" for code, n in sorted(report.counts().items())) or "no findings"
    if report.accepted:
        console.print(f"[bold]accepted[/bold] ({len(report.accepted)}, in locale/accepted.yaml)")
        for f, reason in report.accepted:
            where = f"{f.file}:{f.line}" if f.line else f.file
            console.print(f"  [dim]{f.code} {escape(where)} ({f.fingerprint}):[/dim] {escape(reason)}")
        counts += f"; {len(report.accepted)} accepted"
    verdict = "[red]errors found[/red]" if report.errors else "[green]all consistent[/green]"
    console.print(f"check ({', '.join(report.langs)}): {verdict}: {counts} ({report.seconds:.2f} s)")
