"""`invoke bench` on a short run (3 packs): every scenario is measured, the PDF workers kept
between builds are measured with the build that uses them, and build/bench.json holds the
figures and the targets. The speeds themselves are the benchmark's to report, not asserted here."""

from __future__ import annotations

import json
import os

from materials import workers
from materials.dev.bench import bench, report


def test_bench_measures_every_scenario_and_reports_the_targets(root, tmp_path, pdf_workers):
    figures = bench(root, packs=3)
    by = {f.scenario.strip(): f for f in figures}
    assert list(by)[:2] == ["cold build (all languages)", "weasyprint command per file"]
    assert {"no-op rebuild", "rebuild, one content file edited", "that document's PDF, warm worker",
            "the same, workers not kept", "rebuild, one template edited", "invoke check (all languages)",
            "3 packs (pack --all)", "pandoc --pdf-engine=weasyprint"} <= by.keys()

    cold = by["cold build (all languages)"]
    # The PDFs are rendered by the kept workers (service, fork server, a worker per core): their
    # processes, CPU time and memory are measured with the build's.
    assert cold.processes >= 3 + (os.cpu_count() or 1)
    assert cold.cpu > 2 * by["no-op rebuild"].cpu and cold.peak_mb > 150
    assert by["weasyprint command per file"].note == "27 PDFs"
    assert 0 < by["that document's PDF, warm worker"].wall < by["rebuild, one content file edited"].wall
    packs = by["3 packs (pack --all)"]
    assert packs.early_mb > 0 and packs.late_mb > 0

    data = report(figures, tmp_path)
    written = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert written == data
    assert [t["target"] for t in written["targets"]] == [
        "cold build vs the weasyprint command per file",
        "cold build, peak memory (process tree and PDF workers)",
        "no-op rebuild, whole process",
        "one content file edited, whole process",
        "3 packs (pack --all), memory",
    ]
    assert all(isinstance(t["met"], bool) for t in written["targets"])
    assert written["speedup_vs_weasyprint_command"] > 1
    # The bench's own services were stopped; the test run's folder was left alone.
    assert workers.folder() == pdf_workers
