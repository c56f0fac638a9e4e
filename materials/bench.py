"""`invoke bench`: the build against the obvious alternatives, side by side, on the same documents.

Each scenario runs as its own process, on a copy of the project in a temporary folder; wall
time, CPU time (the process and its workers) and peak memory (of the whole process tree,
sampled from /proc) are measured. Results are printed as a table and written to build/bench.json.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from .output import write_atomic


@dataclass
class Figure:
    scenario: str
    wall: float
    cpu: float
    peak_mb: float
    note: str = ""


TICKS = os.sysconf("SC_CLK_TCK")


def _tree_rss_kb(pid: int, cpu: dict | None = None) -> int:
    """Resident memory of a process and all its descendants, in kB (Linux /proc); records each
    process's CPU seconds so far in `cpu` (workers that a pool ends without waiting are counted)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            if cpu is not None:
                with open(f"/proc/{p}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                cpu[p] = (int(fields[11]) + int(fields[12])) / TICKS
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(name: str, commands: list[list[str]], cwd: Path, note: str = "", env: dict | None = None,
            samples: list | None = None) -> Figure:
    """Run the commands one after another (as a script would) and measure them together."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, started, sampled_cpu = 0, time.perf_counter(), 0.0
    for command in commands:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})})
        done = threading.Event()
        cpu: dict[int, float] = {}

        def sample():
            nonlocal peak
            while not done.is_set():
                rss = _tree_rss_kb(proc.pid, cpu)
                peak = max(peak, rss)
                if samples is not None:
                    samples.append((time.perf_counter() - started, rss))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        done.set()
        sampler.join()
        sampled_cpu += sum(cpu.values())
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: {' '.join(command)} failed: {err.decode()[-500:]}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Figure(name, wall, max(cpu, sampled_cpu), peak / 1024, note)


def project_copy(root: Path, target: Path) -> Path:
    for name in ("content", "locale", "municipalities"):
        shutil.copytree(root / name, target / name)
    shutil.copy(root / "tasks.py", target / "tasks.py")
    return target


def generate_municipalities(folder: Path, count: int) -> None:
    """`count` plausible municipality files from the three examples, with their dates shifted."""
    examples = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))]
    rng = random.Random(7)
    for path in folder.glob("*.yaml"):
        path.unlink()
    for i in range(count):
        data = json.loads(json.dumps(examples[i % len(examples)], default=str))
        data["name"] = f"{data['name']} {i + 1}"
        data["languages"] = data["languages"][:1]
        data["training_groups"] = data["training_groups"][:1]
        data["training_groups"][0]["participants"] = rng.randint(8, 16)
        (folder / f"bench-{i + 1:03d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def bench(root: Path, packs: int = 300, jobs: int | None = None, console=None) -> list[Figure]:
    root = Path(root).resolve()
    py = sys.executable
    invoke = [py, "-m", "invoke"]
    jobs_arg = ["--jobs", str(jobs)] if jobs else []
    figures: list[Figure] = []
    say = console.print if console else print
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        proj = project_copy(root, Path(tmp) / "proj")
        # The project's own copy of the templates, so that one can be edited below.
        shutil.copytree(Path(__file__).parent / "templates", proj / "templates")
        shutil.copytree(Path(__file__).parent / "static", proj / "static")

        say("cold build of every language ...")
        figures.append(measure("cold build (all languages)", [invoke + ["build"] + jobs_arg], proj))
        htmls = sorted((proj / "build").glob("*/*.html"))
        htmls = [h for h in htmls if h.name != "index.html"]
        pdf_count = len(htmls)

        say(f"weasyprint command, one process per file ({pdf_count} files) ...")
        out = Path(tmp) / "cli"
        out.mkdir()
        weasyprint = shutil.which("weasyprint") or str(Path(py).parent / "weasyprint")
        commands = [[weasyprint, str(h), str(out / f"{h.parent.name}-{h.stem}.pdf")] for h in htmls]
        figures.append(measure("weasyprint command per file", commands, proj, f"{pdf_count} PDFs"))
        pandoc = shutil.which("pandoc")
        if pandoc:
            say("pandoc --pdf-engine=weasyprint, per file ...")
            md = sorted((proj / "content").glob("*/*.md"))
            commands = [[pandoc, str(m), "--pdf-engine=weasyprint", "-o", str(out / f"pandoc-{m.parent.name}-{m.stem}.pdf")] for m in md]
            figures.append(measure("pandoc --pdf-engine=weasyprint", commands, proj, f"{len(md)} PDFs"))
        else:
            figures.append(Figure("pandoc --pdf-engine=weasyprint", 0, 0, 0, "not run: pandoc is not installed"))

        say("no-op rebuild ...")
        figures.append(measure("no-op rebuild", [invoke + ["build"]], proj))
        say("rebuild after one content file ...")
        target = proj / "content" / "fi" / "programme.md"
        target.write_text(target.read_text(encoding="utf-8") + "\nMuokattu kappale.\n", encoding="utf-8")
        figures.append(measure("rebuild, one content file edited", [invoke + ["build"] + jobs_arg], proj,
                               "fi/programme: HTML, PDF and the fi index"))
        say("rebuild after one template ...")
        tpl = proj / "templates" / "invitation.html"
        tpl.write_text(tpl.read_text(encoding="utf-8").replace('<div class="letter">', '<div class="letter invitation">'), encoding="utf-8")
        figures.append(measure("rebuild, one template edited", [invoke + ["build"] + jobs_arg], proj,
                               "invitation.html: 2 documents x 3 languages"))
        say("check over all languages ...")
        figures.append(measure("invoke check (all languages)", [invoke + ["check"]], proj))

        if packs:
            say(f"{packs} generated municipality packs ...")
            generate_municipalities(proj / "municipalities", packs)
            samples: list = []
            fig = measure(f"{packs} packs (pack --all)", [invoke + ["pack", "--all"] + jobs_arg], proj, samples=samples)
            # Memory must not grow with the number of packs: compare the second tenth with the last.
            n = len(samples)
            early = max((rss for _, rss in samples[n // 10: n // 5]), default=0) / 1024
            late = max((rss for _, rss in samples[-n // 10:]), default=0) / 1024
            fig.note = f"peak tree RSS {early:.0f} MB at 10-20 % of the run, {late:.0f} MB in the last 10 %"
            figures.append(fig)
    return figures


def report(figures: list[Figure], build_dir: Path, console=None) -> dict:
    from rich.table import Table

    cold = next(f for f in figures if f.scenario.startswith("cold build"))
    cli = next(f for f in figures if f.scenario.startswith("weasyprint command"))
    table = Table("scenario", "wall s", "CPU s", "peak MB", "vs cold build", "note", title="invoke bench")
    for f in figures:
        ratio = f"{f.wall / cold.wall:.2f}x" if f.wall and cold.wall else ""
        table.add_row(f.scenario, f"{f.wall:.2f}" if f.wall else "-", f"{f.cpu:.2f}" if f.wall else "-",
                      f"{f.peak_mb:.0f}" if f.wall else "-", ratio, f.note)
    if console:
        console.print(table)
        console.print(f"cold build is {cli.wall / cold.wall:.1f}x faster than the weasyprint command per file")
    data = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
            "speedup_vs_weasyprint_command": round(cli.wall / cold.wall, 2),
            "figures": [asdict(f) for f in figures]}
    write_atomic(build_dir / "bench.json", (json.dumps(data, indent=2) + "\n").encode())
    return data
