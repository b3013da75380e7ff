"""Scale-out on Ray: a 2-worker job decodes to the same frames as one process, survives a lost
worker, stops cleanly on a segment that keeps failing, resumes after the driver is killed without
redoing finished segments, and refuses bad input in one line (docs/cluster.md)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

import cluster_faults
from conftest import audio_samples, needs_weights, planes
from vsafi.cli import build_parser, filter_kwargs, main
from vsafi.cluster.chunks import chunk_frames, split
from vsafi.cluster.driver import plan_input
from vsafi.cluster.job import run_jobs
from vsafi.cluster.join import concat_list
from vsafi.cluster.ray_pool import RETRIES, ClusterError, connect, local_placement, run_segments
from vsafi.cluster.workdir import WorkDir
from vsafi.outputs import partial_path
from vsafi.encode import encode
from vsafi.ffmpeg_args import Encoder, ffmpeg_exe
from vsafi.inputs import expand_inputs, output_paths
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip

W, H = 160, 96
SCENE = 24  # source frames per scene: twos, then threes after a cut
CHUNK = "0.25"  # output seconds per segment: 12 frames at 47.95 fps, 8 segments
TESTS = Path(__file__).resolve().parent


# -- plain data: chunks, concat script, work folder, inputs ---------------------------------------

def test_chunks_cover_every_output_frame_once():
    chunks = split(100, 12)
    assert [c.start for c in chunks] == list(range(0, 100, 12))
    assert all(a.stop == b.start for a, b in zip(chunks, chunks[1:]))
    assert chunks[-1].stop == 100 and chunks[-1].frames == 4
    assert [c.index for c in chunks] == list(range(9))
    assert chunk_frames(Fraction(1, 4), Fraction(48000, 1001)) == 12
    assert chunk_frames(Fraction(1, 1000), Fraction(24)) == 1
    with pytest.raises(ValueError):
        chunk_frames(0, Fraction(24))
    with pytest.raises(ValueError):
        split(0, 12)


def test_concat_script_durations_add_up_to_the_output(tmp_path):
    fps = Fraction(60000, 1001)
    script = concat_list([(tmp_path / f"s{i}.mkv", n) for i, n in enumerate([720, 720, 333])], fps)
    durations = [Fraction(line.split()[1]) for line in script.splitlines() if line.startswith("duration")]
    assert len(durations) == 3 and abs(sum(durations) - 1773 / fps) < Fraction(1, 10**6)


def test_work_folder_resumes_only_its_own_job(tmp_path):
    work = WorkDir(tmp_path / "ep.mkv")
    chunks = split(30, 10)
    assert work.prepare({"k": 1}, chunks) == "new"
    work.segment(chunks[1]).write_bytes(b"done")
    partial_path(work.segment(chunks[2])).write_bytes(b"half")
    assert work.prepare({"k": 1}, chunks) == "resumed"
    assert work.finished(chunks) == [chunks[1]]
    assert sorted(work.path.iterdir()) == sorted([work.path / "manifest.json", work.segment(chunks[1])])
    assert work.prepare({"k": 2}, chunks) == "restarted"
    assert work.finished(chunks) == []


def test_inputs_and_outputs_are_checked_before_any_work(tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    for name in ["ep02.mkv", "ep01.mp4", "notes.txt", "EP03.MKV"]:
        (season / name).write_bytes(b"")
    files = expand_inputs([season, season / "ep01.mp4"])
    assert [f.name for f in files] == ["EP03.MKV", "ep01.mp4", "ep02.mkv"]
    outs = output_paths(files, tmp_path / "out", batch=True)
    assert outs == [tmp_path / "out" / f"{n}.mkv" for n in ["EP03", "ep01", "ep02"]]
    with pytest.raises(ValueError, match="does not exist.*and 1 more"):
        expand_inputs([season / "ep01.mp4", tmp_path / "gone.mkv", tmp_path / "gone2.mkv"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no video files"):
        expand_inputs([tmp_path / "empty"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ep01.mkv").write_bytes(b"")
    with pytest.raises(ValueError, match="would both write"):
        output_paths([season / "ep01.mp4", tmp_path / "b" / "ep01.mkv"], tmp_path / "out", batch=True)
    with pytest.raises(ValueError, match="names a folder"):
        output_paths(files, season / "ep02.mkv", batch=True)
    with pytest.raises(ValueError, match="also an input"):
        output_paths([season / "ep02.mkv"], season / "ep02.mkv", batch=False)


def test_local_workers_share_the_cores_and_get_a_gpu_each():
    assert local_placement(16, 4, None) == (4, 4, 1.0), "one worker per GPU by default"
    assert local_placement(16, 4, 2) == (2, 8, 1.0)
    assert local_placement(16, 2, 4) == (4, 4, 0.5), "fewer GPUs than workers: an equal share"
    assert local_placement(2, 0, 2) == (2, 1, 0.0)
    assert local_placement(2, 0, 4) == (4, 1, 0.0), "more workers than cores: one thread each"
    assert local_placement(8, 0, None) == (1, 8, 0.0)


# -- real jobs on a local Ray ----------------------------------------------------------------------

def _decoded(path: Path) -> list[list[np.ndarray]]:
    return [planes(f) for f in vs.core.bs.VideoSource(str(path)).frames()]


def _same_frames(a: Path, b: Path) -> bool:
    fa, fb = _decoded(a), _decoded(b)
    return len(fa) == len(fb) and all(np.array_equal(x, y) for pa, pb in zip(fa, fb) for x, y in zip(pa, pb))


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """48 frames (twos, a cut, threes) with 440 Hz audio as long as the video, lossless."""
    folder = tmp_path_factory.mktemp("cluster-src")
    video, path = folder / "video.mkv", folder / "ep01.mkv"
    anime = AnimeClip(W, H, [cadence_scene(W, H, 2, length=SCENE, seed=9), cadence_scene(W, H, 3, length=SCENE, seed=4)])
    clip = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)
    assert encode(clip, video, Encoder("ffv1"))
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(video), "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=3", "-map", "0:v", "-map", "1:a", "-c:v", "copy",
                    "-c:a", "flac", "-shortest", str(path)], check=True)
    return path


def _args(source: Path, out: Path, mode: str, *more: str) -> list[str]:
    return ["-i", str(source), "-o", str(out), "--mode", mode, "--device", "cpu", "--encoder", "ffv1",
            "--chunk", CHUNK, "-q", *more]


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory):
    """Single-process renders, per mode, made on first use."""
    folder = tmp_path_factory.mktemp("cluster-ref")
    made: dict[str, Path] = {}

    def get(mode: str) -> Path:
        if mode not in made:
            out = folder / f"{mode}.mkv"
            assert main(_args(source, out, mode)) == 0
            made[mode] = out
        return made[mode]

    return get


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Two local Ray workers; they find tests/cluster_faults.py and the fault markers' folder."""
    faults = tmp_path_factory.mktemp("faults")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "VSAFI_FAULT_DIR")}
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), saved["PYTHONPATH"]]))
    os.environ["VSAFI_FAULT_DIR"] = str(faults)
    p = connect(2, None, use_gpu=False)
    yield p
    p.close()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _job(source: Path, out: Path, mode: str):
    kw = filter_kwargs(build_parser().parse_args(_args(source, out, mode)))
    return plan_input(source, out, kw, Encoder("ffv1"), Fraction(CHUNK))


def _run(pool, jobs, render=None):
    extra = {} if render is None else {"render": render}
    return run_jobs(jobs, lambda tasks, done, progress: run_segments(pool, tasks, done, progress, **extra), quiet=True)


# Each Ray job below renders and joins 8 segments on two workers and compares with a single-process
# render: 6 to 16 s apiece on two cores. `make test` keeps the plain job; `make test-slow` runs the
# other modes' jobs, the fault injections and the killed-driver resume.
@needs_weights("rife")
@pytest.mark.parametrize("mode", ["plain", pytest.param("forward", marks=pytest.mark.slow),
                                  pytest.param("drba", marks=pytest.mark.slow)])
def test_two_workers_give_the_single_process_frames_and_audio(mode, source, reference, pool, tmp_path):
    out = tmp_path / "it's here" / "out.mkv"  # a quote in the path: the concat script must escape it
    out.parent.mkdir()
    job = _job(source, out, mode)
    chunks = job.chunks()
    assert len(chunks) == 8 and job.frames == math.ceil(2 * 2 * SCENE)
    # Boundaries fall inside both scenes (12, 36 are mid-scene; 48 is the cut), not only at cuts.
    assert {12, 36, 48} <= {c.start for c in chunks}
    result = _run(pool, [job])
    assert result.written == [out] and len(result.reports) == 8
    assert len({r.worker for r in result.reports}) == 2
    assert vs.core.bs.VideoSource(str(out)).num_frames == 96
    assert _same_frames(out, reference(mode))
    assert np.array_equal(audio_samples(out), audio_samples(source))
    assert not WorkDir(out).path.exists()


@needs_weights("rife")
@pytest.mark.slow
def test_a_lost_worker_is_replaced_and_the_result_is_unchanged(source, reference, pool, tmp_path):
    out = tmp_path / "out.mkv"
    result = _run(pool, [_job(source, out, "forward")], cluster_faults.dies_once)
    assert (Path(os.environ["VSAFI_FAULT_DIR"]) / f"died-{WorkDir(out).path.name}").exists()
    assert sorted(r.chunk.index for r in result.reports) == list(range(8))
    assert _same_frames(out, reference("forward"))


@needs_weights("rife")
@pytest.mark.slow
def test_a_segment_that_keeps_failing_stops_the_job_and_the_rest_is_kept(source, reference, pool, tmp_path):
    out = tmp_path / "out.mkv"
    job = _job(source, out, "forward")
    with pytest.raises(ClusterError, match=f"segment {cluster_faults.FAILS_ON} .* failed {RETRIES + 1} times: "
                                           "OSError: disk on fire"):
        _run(pool, [job], cluster_faults.always_fails)
    assert (Path(os.environ["VSAFI_FAULT_DIR"]) / "attempts").read_text() == "x" * (RETRIES + 1)
    assert not out.exists()
    kept = {c.index for c in WorkDir(out).finished(job.chunks())}
    assert kept and cluster_faults.FAILS_ON not in kept
    result = _run(pool, [job])
    assert result.reused[out] == len(kept)
    assert {r.chunk.index for r in result.reports} == set(range(8)) - kept
    assert _same_frames(out, reference("forward"))


def _session_alive(sid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            return True
    return False


@needs_weights("rife")
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the job's processes end")
def test_killed_job_resumes_without_redoing_finished_segments(source, reference, pool, tmp_path):
    out = tmp_path / "out.mkv"
    args = _args(source, out, "forward", "--workers", "2")
    proc = subprocess.Popen([sys.executable, "-m", "vsafi.cli", *args], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    work = WorkDir(out)
    deadline = time.monotonic() + 120
    while not list(work.path.glob("seg-?????.mkv")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    while _session_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # Ray's workers outlive the driver by a moment; let them finish or die
    assert not out.exists()
    job = _job(source, out, "forward")
    finished = {c.index for c in work.finished(job.chunks())}
    assert 0 < len(finished) < 8
    result = _run(pool, [job])
    assert result.reused[out] == len(finished)
    assert {r.chunk.index for r in result.reports} == set(range(8)) - finished
    assert _same_frames(out, reference("forward"))


# -- the command's refusals --------------------------------------------------------------------

def test_bad_input_is_one_line_and_no_file(source, tmp_path, capsys, monkeypatch):
    outdir = tmp_path / "out"
    assert main(["-i", str(source), str(tmp_path / "ep02.mkv"), "-o", str(outdir), "--workers", "2", "-q"]) == 2
    err = capsys.readouterr().err
    assert "ep02.mkv does not exist" in err and len(err.strip().splitlines()) == 1
    assert not outdir.exists()

    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once the socket closes: nothing listens there
    out = tmp_path / "x.mkv"
    start = time.monotonic()
    assert main(_args(source, out, "plain", "--ray", f"127.0.0.1:{port}")) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err and len(err.strip().splitlines()) == 1
    assert time.monotonic() - start < 30 and not out.exists()

    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(_args(source, out, "plain", "--workers", "2")) == 2
    err = capsys.readouterr().err
    assert "pip install 'vsafi[cluster]'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not WorkDir(out).path.exists()


def test_a_numbered_gpu_with_workers_is_refused(source, tmp_path, capsys):
    out = tmp_path / "x.mkv"
    args = _args(source, out, "plain", "--workers", "2")
    args[args.index("cpu")] = "cuda:1"
    assert main(args) == 2
    assert "use --device cuda" in capsys.readouterr().err
    assert not out.exists()


@needs_weights("rife")
def test_several_inputs_without_workers_render_one_after_another(source, reference, tmp_path):
    second = tmp_path / "ep02.mkv"
    second.write_bytes(source.read_bytes())
    outdir = tmp_path / "out"
    assert main(["-i", str(source), str(second), "-o", str(outdir), "--mode", "plain", "--device", "cpu",
                 "--encoder", "ffv1", "-q"]) == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["ep01.mkv", "ep02.mkv"]
    assert _same_frames(outdir / "ep02.mkv", reference("plain"))

