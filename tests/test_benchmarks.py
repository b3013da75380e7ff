"""The benchmarks still run and report what they promise (tiny sizes; the numbers live in RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import needs_weights
from vsafi.cuts.contrast import CUT_REACH
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


def test_map_memory_benchmark_reports_one_peak_per_count():
    rows = _run("benchmarks/map_memory.py", "--size", "64x32", "--at-once", "1,2")
    assert [r.get("at_once") for r in rows] == [1, 2] and all("error" not in r for r in rows), rows
    assert all(r["size"] == "64x32" and r["peak_over_inputs_mib"] >= 0 for r in rows)


def test_cache_budget_benchmark_counts_work_done_again_under_a_small_cache():
    small, large = _run("benchmarks/cache_budget.py", "--modes", "plain", "--budgets", "0.05,64",
                        "--frames", "12", "--size", "128x64", "--threads", "2")
    assert (small["cache_mb"], large["cache_mb"]) == (0.05, 64)
    # 12 outputs at 2.5x show source frames 0..5, and cut detection reads CUT_REACH frames past
    # them: each converted once when nothing is evicted.
    assert large["source_conversions"] == 6 + CUT_REACH and large["peak_cache_mib"] <= 64
    assert small["source_conversions"] > large["source_conversions"]
    assert small["syntheses"] == large["syntheses"], "a smaller cache redoes work, it never skips any"


def test_model_pacing_benchmark_accounts_the_model_time_it_paced():
    (row,) = _run("benchmarks/model_pacing.py", "--modes", "plain", "--threads", "2", "--frames", "12",
                  "--size", "128x64", "--synth-ms", "5")
    assert row["frames"] == 12 and row["syntheses"] > 0
    assert abs(row["model_s"] - 0.005 * row["syntheses"]) < 0.006  # rounded to 10 ms
    assert 0 < row["busy"] <= 1


def test_model_pacing_benchmark_batches_the_same_work_into_fewer_passes():
    alone, batched = _run("benchmarks/model_pacing.py", "--modes", "plain", "--threads", "8", "--frames", "12",
                          "--size", "128x64", "--synth-ms", "5", "--batch", "1,4", "--batch-gain", "0.5")
    n = batched["syntheses"]
    assert n == alone["syntheses"] > 0  # outputs on a source frame need none
    assert n / 4 <= batched["passes"] < n and batched["mean_batch"] == round(n / batched["passes"], 2)
    assert abs(batched["model_s"] - batched["passes"] * 4 * 0.5 * 0.005) < 0.006  # each pass padded to 4


@needs_weights("rife")
def test_precision_benchmark_finds_a_precision_equal_to_itself():
    """Without CUDA only fp32 runs: the same settings twice must give the same bits."""
    (row,) = _run("benchmarks/precision.py", "--size", "128x64", "--outputs", "2", "--models", "rife",
                  "--modes", "drba", "--device", "cpu")
    assert row["outputs"] == 2 and row["identical"] and row["min_psnr_db"] is None
