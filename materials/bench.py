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

from . import workers
from .output import write_atomic


@dataclass
class Figure:
    scenario: str
    wall: float
    cpu: float
    peak_mb: float
    note: str = ""
    processes: int = 0  # distinct processes measured (the build's, the kept workers')
    early_mb: float = 0.0  # for packs: peak at 10-20 % of the run
    late_mb: float = 0.0  # and in its last 10 %


TICKS = os.sysconf("SC_CLK_TCK")


def _tree_rss_kb(roots: list[int], cpu: dict | None = None) -> int:
    """Resident memory of processes and all their descendants, each counted once, in kB (Linux
    /proc); records each process's CPU seconds so far in `cpu` (workers that a pool ends without
    waiting are counted)."""
    total = 0
    for p in workers.process_tree(*roots):
        total += workers.resident_kb(p)
        if cpu is not None:
            try:
                with open(f"/proc/{p}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                cpu[p] = (int(fields[11]) + int(fields[12])) / TICKS
            except (OSError, ValueError, IndexError):
                continue
    return total


def _service_pids(folder: Path | None) -> list[int]:
    """The PDF worker services kept in the bench's folder (workers.py): they outlive a build, so
    their processes are measured with it."""
    pids = []
    for pid_file in sorted(folder.glob("pdf-*.pid")) if folder else []:
        try:
            pids.append(int(pid_file.read_text()))
        except (OSError, ValueError):
            continue
    return pids


def measure(name: str, commands: list[list[str]], cwd: Path, note: str = "", env: dict | None = None,
            samples: list | None = None, services: Path | None = None) -> Figure:
    """Run the commands one after another (as a script would) and measure them together, with
    the PDF worker services in `services` (their CPU time counted from the start)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, started = 0, time.perf_counter()
    cpu: dict[int, float] = {}  # every process seen: CPU seconds so far
    _tree_rss_kb(_service_pids(services), cpu)
    already = dict(cpu)  # what the kept services had used before this scenario
    for command in commands:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})})
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                rss = _tree_rss_kb([proc.pid, *_service_pids(services)], cpu)
                peak = max(peak, rss)
                if samples is not None:
                    samples.append((time.perf_counter() - started, rss))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        done.set()
        sampler.join()
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: {' '.join(command)} failed: {err.decode()[-500:]}")
    _tree_rss_kb(_service_pids(services), cpu)
    sampled_cpu = sum(seconds - already.get(p, 0.0) for p, seconds in cpu.items())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Figure(name, wall, max(waited, sampled_cpu), peak / 1024, note, processes=len(cpu))


def document_render_seconds(proj: Path, lang: str, doc_id: str, times: int = 5) -> float:
    """How long a warm worker takes to render one document's PDF, from the build's own job
    (the fastest of `times`, as the worker measures it)."""
    from .build import pdf_job
    from .pdf import PdfRenderer
    from .project import load_project

    project = load_project(proj)
    html = (proj / "build" / lang / f"{doc_id}.html").read_text(encoding="utf-8")
    job = pdf_job(project, proj / "build", lang, doc_id, html)
    best = float("inf")
    with PdfRenderer(1) as renderer:
        for _ in range(times):
            renderer.render([job])
            best = min(best, renderer.seconds[job.key])
    return best


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
    invoke = [sys.executable, "-m", "invoke"]
    jobs_arg = ["--jobs", str(jobs)] if jobs else []
    figures: list[Figure] = []
    say = console.print if console else print
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        # The bench's own PDF worker services, so that the cold build starts from nothing.
        services = Path(tmp) / "workers"
        services.mkdir(mode=0o700)
        previous = os.environ.get(workers.ENV_DIR)
        os.environ[workers.ENV_DIR] = str(services)
        try:
            _scenarios(root, Path(tmp), services, invoke, jobs_arg, packs, figures, say)
        finally:
            workers.stop(services)
            if previous is None:
                os.environ.pop(workers.ENV_DIR)
            else:
                os.environ[workers.ENV_DIR] = previous
    return figures


def _scenarios(root, tmp, services, invoke, jobs_arg, packs, figures, say) -> None:
    py = sys.executable
    proj = project_copy(root, Path(tmp) / "proj")
    # The project's own copy of the templates, so that one can be edited below.
    shutil.copytree(Path(__file__).parent / "templates", proj / "templates")
    shutil.copytree(Path(__file__).parent / "static", proj / "static")

    say("cold build of every language ...")
    figures.append(measure("cold build (all languages)", [invoke + ["build"] + jobs_arg], proj,
                           "starts the PDF workers, which stay for later builds", services=services))
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
    figures.append(measure("no-op rebuild", [invoke + ["build"]], proj, services=services))
    say("rebuild after one content file ...")
    target = proj / "content" / "fi" / "programme.md"
    target.write_text(target.read_text(encoding="utf-8") + "\nMuokattu kappale.\n", encoding="utf-8")
    figures.append(measure("rebuild, one content file edited", [invoke + ["build"] + jobs_arg], proj,
                           "fi/programme: HTML, PDF and the fi index", services=services))
    seconds = document_render_seconds(proj, "fi", "programme")
    figures.append(Figure("  that document's PDF, warm worker", seconds, seconds, 0,
                          "fi/programme rendered alone (fastest of 5)"))
    target.write_text(target.read_text(encoding="utf-8") + "\nToinen muokkaus.\n", encoding="utf-8")
    figures.append(measure("  the same, workers not kept", [invoke + ["build"] + jobs_arg], proj,
                           f"{workers.ENV_IDLE}=0: the build starts its own workers",
                           env={workers.ENV_IDLE: "0"}))
    say("rebuild after one template ...")
    tpl = proj / "templates" / "invitation.html"
    tpl.write_text(tpl.read_text(encoding="utf-8").replace('<div class="letter">', '<div class="letter invitation">'), encoding="utf-8")
    figures.append(measure("rebuild, one template edited", [invoke + ["build"] + jobs_arg], proj,
                           "invitation.html: 2 documents x 3 languages", services=services))
    say("check over all languages ...")
    figures.append(measure("invoke check (all languages)", [invoke + ["check"]], proj))

    if packs:
        say(f"{packs} generated municipality packs ...")
        generate_municipalities(proj / "municipalities", packs)
        samples: list = []
        fig = measure(f"{packs} packs (pack --all)", [invoke + ["pack", "--all"] + jobs_arg], proj,
                      samples=samples, services=services)
        # Memory must not grow with the number of packs: compare the second tenth with the last.
        n = len(samples)
        early = max((rss for _, rss in samples[n // 10: n // 5]), default=0) / 1024
        late = max((rss for _, rss in samples[-n // 10:]), default=0) / 1024
        fig.early_mb, fig.late_mb = early, late
        fig.note = f"peak tree RSS {early:.0f} MB at 10-20 % of the run, {late:.0f} MB in the last 10 %"
        figures.append(fig)


def targets(figures: list[Figure]) -> list[dict]:
    """The issue's targets, each with what was measured and whether it was met."""
    by = {f.scenario.strip(): f for f in figures}
    cold, cli = by["cold build (all languages)"], by["weasyprint command per file"]
    rows = [
        ("cold build vs the weasyprint command per file", f"{cli.wall / cold.wall:.1f}x faster", ">= 4x",
         cli.wall / cold.wall >= 4),
        ("cold build, peak memory (process tree and PDF workers)", f"{cold.peak_mb:.0f} MB", "<= 400 MB",
         cold.peak_mb <= 400),
        ("no-op rebuild, whole process", f"{by['no-op rebuild'].wall:.2f} s", "<= 0.5 s", by["no-op rebuild"].wall <= 0.5),
    ]
    edit, doc = by.get("rebuild, one content file edited"), by.get("that document's PDF, warm worker")
    if edit and doc:
        rows.append(("one content file edited, whole process", f"{edit.wall:.2f} s",
                     f"<= {doc.wall:.2f} + 0.5 s", edit.wall <= doc.wall + 0.5))
    packs = next((f for f in figures if f.scenario.endswith("packs (pack --all)")), None)
    if packs and packs.early_mb:
        rows.append((packs.scenario + ", memory", f"{packs.early_mb:.0f} MB early, {packs.late_mb:.0f} MB late",
                     "does not grow", packs.late_mb <= packs.early_mb * 1.1))
    return [{"target": t, "measured": m, "wanted": w, "met": bool(ok)} for t, m, w, ok in rows]


def report(figures: list[Figure], build_dir: Path, console=None) -> dict:
    from rich.table import Table

    cold = next(f for f in figures if f.scenario.startswith("cold build"))
    cli = next(f for f in figures if f.scenario.startswith("weasyprint command"))
    table = Table("scenario", "wall s", "CPU s", "peak MB", "vs cold build", "note", title="invoke bench")
    for f in figures:
        ratio = f"{f.wall / cold.wall:.2f}x" if f.wall and cold.wall else ""
        table.add_row(f.scenario, f"{f.wall:.2f}" if f.wall else "-", f"{f.cpu:.2f}" if f.wall else "-",
                      f"{f.peak_mb:.0f}" if f.peak_mb else "-", ratio, f.note)
    goals = targets(figures)
    verdicts = Table("target", "measured", "wanted", "", title="targets")
    for g in goals:
        verdicts.add_row(g["target"], g["measured"], g["wanted"], "met" if g["met"] else "MISSED")
    if console:
        console.print(table)
        console.print(verdicts)
    data = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
            "speedup_vs_weasyprint_command": round(cli.wall / cold.wall, 2),
            "figures": [asdict(f) for f in figures], "targets": goals}
    write_atomic(build_dir / "bench.json", (json.dumps(data, indent=2) + "\n").encode())
    return data
