"""The benchmarks still run and report what they promise (tiny sizes; the numbers live in RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import needs_weights
from vsafi.modes import MODES

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> list[dict]:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_scenecut_benchmark_counts_every_pair():
    (result,) = _run("benchmarks/scenecut.py", "--cuts", "4", "--events", "7", "--size", "160x90", "--json")
    # 4 cut cases of 16 frames (one cut pair each) and 7 event cases of 16 frames, all pairs decided.
    assert result["cuts"] == 4 and result["non_cut_pairs"] == 4 * 14 + 7 * 15
    # The filter marks a pair where either measure does, so it finds and errs at least as often.
    for key in ("recall", "false_rate"):
        assert result[key]["filter"] >= max(result[key]["structure"], result[key]["new_content"])
    assert result["recall"]["filter"] == 1.0 and result["false_pairs"]["filter"] <= 1


@needs_weights("rife")
def test_memory_benchmark_reports_rss_per_run():
    (result,) = _run("benchmarks/memory.py", "--sizes", "96x64", "--frames", "6", "--threads", "1",
                     "--device", "cpu", "--modes", "plain")
    assert "error" not in result, result.get("error")
    assert result["frames"] == 6 and result["rss_peak_mib"] >= result["rss_start_mib"] > 0


@needs_weights("rife")
def test_speed_benchmark_reports_fps_against_the_model_alone_and_checks_seeking():
    rows = _run("benchmarks/speed.py", "--quick", "--json", "--models", "rife", "--device", "cpu")
    assert [(r["model"], r["mode"]) for r in rows] == [("rife", mode) for mode in MODES]
    for r in rows:
        assert r["size"] == "128x64" and r["frames"] == 6 and r["fps"] > 0 and r["model_only_fps"] > 0
        assert r["seek_equals_playback"] is True, r
        # Only DRBA hands the model per-pixel times and asks for endpoint flows.
        assert (r["calls"]["synth_map"] > 0) == (r["calls"]["flows"] > 0) == (r["mode"] == "drba"), r


@needs_weights("rife")
def test_quality_benchmark_scores_the_references_as_their_definitions_say():
    rows = _run("benchmarks/quality.py", "--quick", "--json", "--scenes", "twos,ones still,cut")
    by = {(r["scene"], r["run"]): r for r in rows}
    assert {run for _, run in by} == {"repeat", "crossfade"} | {f"{mode} rife" for mode in MODES}
    # Repeating source frames holds every actor between drawings and never blends at a cut.
    assert by["twos", "repeat"]["held"][0] > 0.5 and by["cut", "repeat"]["blend"] == 0.0
    # A crossfade blends the two shots at a cut; the filter never does.
    assert by["cut", "crossfade"]["blend"] > 0.01
    assert all(by["cut", f"{m} rife"]["blend"] < 1e-6 for m in MODES)
    # Forward dedup holds a twos drawing less than plain interpolation does.
    assert by["twos", "forward rife"]["held"][0] < by["twos", "plain rife"]["held"][0]
    assert all(r["calls"] > 0 for (_, run), r in by.items() if "rife" in run)
