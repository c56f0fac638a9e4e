"""`invoke bench`: the build against the obvious alternatives, side by side, on the same documents.

Every scenario runs as its own process on a copy of the project in a temporary folder, several
times, interleaved with the other scenarios (round 1 of every scenario, then round 2, ...), so
a change in the machine's load touches them all alike. Each figure is the median of its runs,
with min and max; memory is the peak memory of the scenario's whole process tree (psutil: the
sum of each process's proportional set size, so a shared page counts once), never of another
process. Results are printed as tables
and written to build/bench.json (through output.py, like every file under build/).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import yaml

from materials.output import BuildLock, write_atomic

PACKAGE = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float


@dataclass
class Figure:
    scenario: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    early_mb: float = 0.0  # for packs: peak at 10-20 % of the run
    late_mb: float = 0.0  # and in its last 10 %

    def _median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs) if self.runs else 0.0

    # The figures are the medians of the runs; low and high, the fastest and slowest wall time.
    wall = property(lambda self: self._median("wall"))
    cpu = property(lambda self: self._median("cpu"))
    peak_mb = property(lambda self: self._median("peak_mb"))
    low = property(lambda self: min((r.wall for r in self.runs), default=0.0))
    high = property(lambda self: max((r.wall for r in self.runs), default=0.0))

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "note": self.note, "median_s": round(self.wall, 3),
                "min_s": round(self.low, 3), "max_s": round(self.high, 3), "cpu_s": round(self.cpu, 3),
                "peak_mb": round(self.peak_mb, 1), "early_mb": round(self.early_mb, 1),
                "late_mb": round(self.late_mb, 1), "runs": [asdict(r) for r in self.runs]}


class Tree:
    """Samples a process and all its descendants: peak memory (the sum of the processes' shares,
    resident()) and the CPU seconds of every process seen, including those that ended before the
    last sample.

    Reading a process's share walks its page tables (/proc/PID/smaps_rollup, 2 to 5 ms for a PDF
    worker, and the worker waits on it when it needs memory meanwhile), so it is read at most
    every PSS_EVERY seconds, sooner when the resident sizes (cheap to read, every SAMPLE_EVERY)
    reach a new high: at 20 reads a second it took about a core's third from the build it
    measured (a cold build 25 s in the bench, 16.5 s alone)."""

    SAMPLE_EVERY, PSS_EVERY, PSS_GAP = 0.05, 0.5, 0.2

    def __init__(self, pid: int, samples: list | None = None):
        self.root = psutil.Process(pid)
        self.cpu: dict[int, float] = {}
        self.peak = 0
        self.samples = samples
        self.started = time.perf_counter()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        high, last = 0, -self.PSS_EVERY
        while not self.done.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            rss, alive = 0, []
            for p in procs:
                try:
                    with p.oneshot():
                        rss += p.memory_info().rss
                        t = p.cpu_times()  # its own time: its children are in the tree themselves
                        self.cpu[p.pid] = t.user + t.system
                    alive.append(p)
                except psutil.Error:
                    continue
            now = time.perf_counter() - self.started
            if now - last >= self.PSS_EVERY or (rss > high and now - last >= self.PSS_GAP):
                share = 0
                for p in alive:
                    try:
                        share += resident(p)
                    except psutil.Error:
                        continue
                self.peak, last = max(self.peak, share), now
                if self.samples is not None:
                    self.samples.append((now, share))
            high = max(high, rss)
            self.done.wait(self.SAMPLE_EVERY)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def resident(process: psutil.Process) -> int:
    """The process's share of the machine's memory: its proportional set size where the system
    gives it (Linux), so that a page the PDF workers share with the server process they were
    forked from counts once for the tree, not once per process as a sum of RSS would (about
    80 MB too much for a cold build); elsewhere its resident set."""
    info = process.memory_full_info()
    return getattr(info, "pss", info.rss)


class Crashed(RuntimeError):
    """A command was ended by a signal (a crash in a native library, or killed), not by an error
    it reported."""


def exit_status(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


# A Python process that crashes in native code prints its stack (faulthandler), so a failure
# says where it was, not just that it was.
CHILD_ENV = {**os.environ, "PYTHONFAULTHANDLER": "1"}


def run_commands(commands: list[list[str]], cwd: Path, parallel: int = 1, samples: list | None = None) -> Run:
    """Run the commands (`parallel` at a time) and measure them together. A command that fails
    raises RuntimeError (Crashed when a signal ended it) with its exit status and the end of
    what it wrote to stderr."""
    started = time.perf_counter()
    peak, cpu = 0, 0.0
    lock = threading.Lock()

    def one(command: list[str]) -> None:
        nonlocal peak, cpu
        proc = subprocess.Popen(command, cwd=cwd, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        tree = Tree(proc.pid, samples)
        _, err = proc.communicate()
        tree.stop()
        if proc.returncode != 0:
            error = Crashed if proc.returncode < 0 else RuntimeError
            raise error(f"{' '.join(command)} failed ({exit_status(proc.returncode)}): {err.decode()[-500:]}")
        with lock:  # with several at a time: the largest single process tree
            peak = max(peak, tree.peak)
            cpu += sum(tree.cpu.values())

    if parallel > 1:
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, commands))
    else:
        for command in commands:
            one(command)
    return Run(time.perf_counter() - started, cpu, peak / 2**20)


# -- the project copy and the municipalities ---------------------------------------------------

def project_copy(root: Path, target: Path) -> Path:
    for name in ("content", "locale", "municipalities"):
        shutil.copytree(root / name, target / name)
    shutil.copy(root / "tasks.py", target / "tasks.py")
    # The project's own copy of the templates and styles, so that one can be edited.
    shutil.copytree(PACKAGE / "render" / "templates", target / "templates")
    shutil.copytree(PACKAGE / "render" / "static", target / "static")
    return target


def generate_municipalities(folder: Path, count: int) -> None:
    """`count` plausible municipality files from the examples, in turn (so every language)."""
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


LIMIT_SCRIPT = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from materials.build import pdf_job
from materials.render.pdf import render_pdf, warm_up
from materials.sources.project import load_project
warm_up()
t1 = time.perf_counter()
proj = Path(sys.argv[1]); project = load_project(proj)
for html in sorted((proj / "build").glob("*/*.html")):
    if html.name != "index.html":
        render_pdf(pdf_job(project, proj / "build", html.parent.name, html.stem, html.read_text(encoding="utf-8")))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def limit_seconds(proj: Path, cores: int) -> tuple[float, float]:
    """The limit of this machine for the cold build's PDFs: one process imports WeasyPrint once
    and renders every document (with the build's own jobs); the rendering divided over the cores.
    Returns (limit, import)."""
    out = subprocess.run([sys.executable, "-c", LIMIT_SCRIPT, str(proj)], capture_output=True, text=True, check=True)
    imported, rendered = map(float, out.stdout.split())
    return imported + rendered / cores, imported


def serve_edit_seconds(proj: Path, runs: int) -> list[float]:
    """`invoke serve`: from saving a content file to its HTML and PDF rewritten in build/."""
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "serve", "--lang", "fi", "--port", "0"], cwd=proj,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    times = []
    try:
        for line in proc.stdout:  # the first build is done when the server is listening
            if line.startswith("serving"):
                break
        else:
            raise RuntimeError("invoke serve ended before serving")
        target = proj / "content" / "fi" / "programme.md"
        outputs = [proj / "build" / "fi" / "programme.html", proj / "build" / "fi" / "programme.pdf"]
        for i in range(runs):
            before = [p.read_bytes() for p in outputs]
            time.sleep(0.3)  # a translator saves now and then, not in a burst
            saved = time.perf_counter()
            target.write_text(target.read_text(encoding="utf-8").rstrip("\n") + " Muokkaus.\n", encoding="utf-8")
            deadline = saved + 30
            while any(p.read_bytes() == b for p, b in zip(outputs, before)):
                if time.perf_counter() > deadline:
                    raise RuntimeError("invoke serve did not rewrite fi/programme within 30 s")
                time.sleep(0.005)
            times.append(time.perf_counter() - saved)
    finally:
        proc.terminate()
        proc.wait(10)
    return times


# -- the scenarios -------------------------------------------------------------------------------

BASELINES = ("weasyprint command", "pandoc")  # the alternatives measured: other people's programs


def measure(name: str, commands: list[list[str]], cwd: Path, parallel: int, say) -> Run:
    """One round of a scenario. A baseline round that crashed is run once more, and says so: its
    figure is a time, not a test of that program (WeasyPrint's command once ended with nothing on
    stderr, in CI, under the load of the other tests). Any failure of the project's own
    commands, or a baseline's second, stops the bench."""
    try:
        return run_commands(commands, cwd, parallel)
    except Crashed as exc:
        if not name.startswith(BASELINES):
            raise
        say(f"  {name}: a run crashed ({exc}); running it again")
        return run_commands(commands, cwd, parallel)


def bench(root: Path, packs: int = 300, jobs: int | None = None, console=None, runs: int = 5) -> list[Figure]:
    root = Path(root).resolve()
    say = console.print if console else print
    cores = jobs or os.cpu_count() or 1
    invoke = [sys.executable, "-m", "invoke"]
    jobs_arg = ["--jobs", str(jobs)] if jobs else []
    figures: dict[str, Figure] = {}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        proj = project_copy(root, Path(tmp) / "proj")
        cli_out = Path(tmp) / "cli"
        cli_out.mkdir()
        subprocess.run(invoke + ["build"], cwd=proj, check=True, capture_output=True)
        htmls = sorted(h for h in (proj / "build").glob("*/*.html") if h.name != "index.html")
        weasyprint = shutil.which("weasyprint") or str(Path(sys.executable).parent / "weasyprint")
        cli = [[weasyprint, str(h), str(cli_out / f"{h.parent.name}-{h.stem}.pdf")] for h in htmls]
        content = proj / "content" / "fi" / "programme.md"
        template = proj / "templates" / "invitation.html"
        edits = {"template": 0}

        def edit_content():
            # Words, not numbers: a number the source lacks is a finding that stops the build.
            content.write_text(content.read_text(encoding="utf-8").rstrip("\n") + " Muokattu.\n", encoding="utf-8")

        def edit_template():
            edits["template"] += 1
            text = template.read_text(encoding="utf-8")
            template.write_text(text.replace('<div class="letter', f'<div data-edit="{edits["template"]}" class="letter', 1)
                                if edits["template"] == 1 else
                                text.replace(f'data-edit="{edits["template"] - 1}"', f'data-edit="{edits["template"]}"'),
                                encoding="utf-8")

        def clean():
            shutil.rmtree(proj / "build" / ".state", ignore_errors=True)
            for lang in ("en", "fi", "nl"):
                shutil.rmtree(proj / "build" / lang, ignore_errors=True)

        # name -> (prepare, commands, parallel, note); run in rounds, interleaved.
        scenarios = {
            "cold build (all languages)": (clean, [invoke + ["build"] + jobs_arg], 1, f"{len(htmls)} PDFs, {len(htmls) + 3} HTML pages"),
            "weasyprint command, one after another": (None, cli, 1, f"{len(cli)} PDFs"),
            f"weasyprint command, {cores} at a time": (None, cli, cores, f"{len(cli)} PDFs (like xargs -P{cores})"),
            "no-op rebuild": (None, [invoke + ["build"]], 1, "nothing changed: no PDF rendered"),
            "rebuild, one content file edited": (edit_content, [invoke + ["build"] + jobs_arg], 1, "fi/programme: HTML, PDF and the fi index"),
            "rebuild, one template edited": (edit_template, [invoke + ["build"] + jobs_arg], 1, "invitation.html: 2 documents x 3 languages"),
            "invoke check (all languages)": (None, [invoke + ["check"]], 1, ""),
        }
        pandoc = shutil.which("pandoc")
        if pandoc:
            md = sorted((proj / "content").glob("*/*.md"))
            scenarios["pandoc --pdf-engine=weasyprint"] = (None, [[pandoc, str(m), "--pdf-engine=weasyprint", "-o",
                                                                   str(cli_out / f"pandoc-{m.parent.name}-{m.stem}.pdf")] for m in md],
                                                           1, f"{len(md)} PDFs of the raw Markdown (not the same documents)")
        for name, (_, _, _, note) in scenarios.items():
            figures[name] = Figure(name, note=note)
        # The limit (the machine's, for the cold build's PDFs) in every round, right after the
        # cold build: the two are compared, so they are measured side by side.
        limit = Figure("limit: import once + render all / cores", note="one process, the build's own PDF jobs")
        imports = []
        for n in range(runs):
            say(f"round {n + 1} of {runs} ...")
            for name, (prepare, commands, parallel, _) in scenarios.items():
                if name == "no-op rebuild":  # after whatever ran before it: one build to settle
                    subprocess.run(invoke + ["build"], cwd=proj, check=True, capture_output=True)
                if prepare:
                    prepare()
                figures[name].runs.append(measure(name, commands, proj, parallel, say))
                if name == "cold build (all languages)":
                    seconds, imported = limit_seconds(proj, cores)
                    limit.runs.append(Run(seconds, 0.0, 0.0))
                    imports.append(imported)
        if not pandoc:
            figures["pandoc --pdf-engine=weasyprint"] = Figure("pandoc --pdf-engine=weasyprint", note="not run: pandoc is not installed")

        limit.note += f"; import {statistics.median(imports):.2f} s (median)"
        figures[limit.scenario] = limit

        say("invoke serve: save a content file, wait for its HTML and PDF ...")
        serve = Figure("invoke serve: one content file saved", note="fi/programme: until its HTML and PDF are rewritten")
        serve.runs = [Run(t, 0.0, 0.0) for t in serve_edit_seconds(proj, runs)]
        figures[serve.scenario] = serve

        if packs:
            say(f"{packs} generated municipality packs ...")
            generate_municipalities(proj / "municipalities", packs)
            samples: list = []
            fig = Figure(f"{packs} packs (pack --all)")
            fig.runs.append(run_commands([invoke + ["pack", "--all"] + jobs_arg], proj, samples=samples))
            n = len(samples)  # memory must not grow with the number of packs: the second tenth vs the last
            fig.early_mb = max((rss for _, rss in samples[n // 10: n // 5]), default=0) / 2**20
            fig.late_mb = max((rss for _, rss in samples[-max(1, n // 10):]), default=0) / 2**20
            fig.note = f"one run; tree peak {fig.early_mb:.0f} MB at 10-20 % of the run, {fig.late_mb:.0f} MB in the last 10 %"
            figures[fig.scenario] = fig
    load = (load_start, os.getloadavg())
    result = list(figures.values())
    result[0].note += f"; load average {load[0][0]:.2f} at the start, {load[1][0]:.2f} at the end"
    return result


def targets(figures: list[Figure]) -> list[dict]:
    """The targets, each with what was measured and whether it was met."""
    by = {f.scenario: f for f in figures}
    cold = by["cold build (all languages)"]
    parallel = next(f for f in figures if f.scenario.startswith("weasyprint command,") and "at a time" in f.scenario)
    limit = by["limit: import once + render all / cores"]
    noop, serve = by["no-op rebuild"], by["invoke serve: one content file saved"]
    rows = [
        ("no-op rebuild, whole process", f"{noop.wall:.2f} s", "<= 0.5 s", noop.wall <= 0.5),
        ("invoke serve: one saved content file, HTML and PDF rewritten", f"{serve.wall:.2f} s", "<= 1 s", serve.wall <= 1.0),
        ("cold build vs the limit", f"{cold.wall / limit.wall:.2f}x the limit", "<= 1.1x", cold.wall <= 1.1 * limit.wall),
        ("cold build vs the weasyprint command in parallel", f"{parallel.wall / cold.wall:.2f}x faster", ">= 3x",
         parallel.wall >= 3 * cold.wall),
        ("cold build, peak memory (process tree)", f"{cold.peak_mb:.0f} MB", "<= 400 MB", cold.peak_mb <= 400),
    ]
    packs = next((f for f in figures if f.scenario.endswith("packs (pack --all)")), None)
    if packs:
        count = int(packs.scenario.split()[0])
        rows.append((f"{packs.scenario}: time (300 packs in 4 min, pro rata)", f"{packs.wall:.0f} s",
                     f"<= {240 * count / 300:.0f} s", packs.wall <= 240 * count / 300))
        rows.append((f"{packs.scenario}: peak memory", f"{packs.peak_mb:.0f} MB", "<= 400 MB", packs.peak_mb <= 400))
        rows.append((f"{packs.scenario}: memory flat", f"{packs.early_mb:.0f} MB early, {packs.late_mb:.0f} MB late",
                     "late <= early x 1.1", packs.late_mb <= packs.early_mb * 1.1))
    return [{"target": t, "measured": m, "wanted": w, "met": bool(ok)} for t, m, w, ok in rows]


def report(figures: list[Figure], build_dir: Path, console=None) -> dict:
    from rich.table import Table

    table = Table("scenario", "median s", "min s", "max s", "CPU s", "peak MB", "runs", "note", title="invoke bench")
    for f in figures:
        shown = bool(f.runs)
        table.add_row(f.scenario, f"{f.wall:.2f}" if shown else "-", f"{f.low:.2f}" if shown else "-",
                      f"{f.high:.2f}" if shown else "-", f"{f.cpu:.2f}" if f.cpu else "-",
                      f"{f.peak_mb:.0f}" if f.peak_mb else "-", str(len(f.runs)), f.note)
    goals = targets(figures)
    verdicts = Table("target", "measured", "wanted", "", title="targets")
    for g in goals:
        verdicts.add_row(g["target"], g["measured"], g["wanted"], "met" if g["met"] else "MISSED")
    if console:
        console.print(table)
        console.print(verdicts)
    data = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
            "figures": [f.as_dict() for f in figures], "targets": goals}
    with BuildLock(build_dir):
        write_atomic(Path(build_dir) / "bench.json", (json.dumps(data, indent=2) + "\n").encode())
    return data
