"""The command never loses a file: outputs appear whole or not at all, an existing one is replaced
only with -y and survives an interrupted rerun, a batch goes on past a bad input, absurd rates
are refused before any work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import needs_weights
from vsafi.cli import main
from vsafi.ffmpeg_args import ffmpeg_exe
from vsafi.outputs import PARTIAL_TAG

ROOT = Path(__file__).resolve().parent.parent
#: Seconds a signalled run may take to exit: before outputs were made atomic, ffmpeg was given
#: 10 s to finish a file that was then deleted.
EXIT_BOUND_S = 8


def make_video(path: Path, frames: int, size: str = "160x96") -> Path:
    """A constant-rate 23.976 fps test pattern with a sine audio track, lossless."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=24000/1001,trim=end_frame={frames}", "-f", "lavfi", "-i",
                    "sine=frequency=440", "-shortest", "-pix_fmt", "yuv420p", "-c:v", "ffv1", "-c:a", "flac",
                    str(path)], check=True)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"*{PARTIAL_TAG}*"))


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    audio_only = folder / "b_audio_only.mkv"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=duration=0.5", "-c:a", "flac", str(audio_only)], check=True)
    return {"short": make_video(folder / "a_short.mkv", 8), "long": make_video(folder / "c_long.mkv", 480),
            "audio_only": audio_only}


def _as_a_foreground_job() -> None:
    """Ctrl-C as a terminal delivers it: a suite started in the background of a shell has SIGINT
    ignored, which its children would inherit (and Python then leaves ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vsafi.cli", *args, "--device", "cpu", "--mode", "plain",
                             "--encoder", "ffv1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_as_a_foreground_job)


def _signal_mid_run(proc: subprocess.Popen, writing: Path, sig: int) -> tuple[int, float]:
    """Wait until ``writing``'s partial file holds frames, send ``sig``; (exit status, seconds to exit)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        parts = list(writing.parent.glob(f"{writing.stem}{PARTIAL_TAG}*"))
        if parts and parts[0].stat().st_size > 64 * 1024:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(sig)
    start = time.monotonic()
    status = proc.wait(timeout=60)
    return status, time.monotonic() - start


@needs_weights("rife")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_keeps_the_previous_output_and_leaves_no_partial(videos, tmp_path, sig):
    out = tmp_path / "out.mkv"
    out.write_bytes(b"the previous, good output")
    proc = _start(["-i", str(videos["long"]), "-o", str(out), "-y"])
    status, took = _signal_mid_run(proc, out, sig)
    assert status == 128 + sig
    assert took < EXIT_BOUND_S
    assert out.read_bytes() == b"the previous, good output"
    assert leftovers(tmp_path) == []
    assert "was not written; the earlier file is untouched" in proc.stderr.read().decode()


@needs_weights("rife")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_batch_keeps_finished_outputs_only(videos, tmp_path, sig):
    outdir = tmp_path / "out"
    proc = _start(["-i", str(videos["short"]), str(videos["long"]), "-o", str(outdir)])
    status, _ = _signal_mid_run(proc, outdir / "c_long.mkv", sig)
    assert status == 128 + sig
    assert sorted(p.name for p in outdir.iterdir()) == ["a_short.mkv"]


@needs_weights("rife")
def test_an_existing_output_is_refused_without_y(videos, tmp_path, capsys):
    out = tmp_path / "out.mkv"
    out.write_bytes(b"keep me")
    assert main(["-i", str(videos["short"]), "-o", str(out), "--device", "cpu", "--mode", "plain", "-q"]) == 2
    err = capsys.readouterr().err
    assert "exists; add -y to overwrite" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"
    assert main(["-i", str(videos["short"]), "-o", str(out), "--device", "cpu", "--mode", "plain", "-q",
                 "--encoder", "ffv1", "-y"]) == 0
    assert out.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # now a Matroska file
    assert leftovers(tmp_path) == []


def test_an_existing_output_is_refused_before_ray_is_started(videos, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # starting Ray would fail with another message
    out = tmp_path / "out.mkv"
    out.write_bytes(b"keep me")
    assert main(["-i", str(videos["short"]), "-o", str(out), "--workers", "2", "--device", "cpu"]) == 2
    assert "exists; add -y to overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"


def test_existing_outputs_of_a_batch_are_refused_before_any_work(videos, tmp_path, capsys):
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "c_long.mkv").write_bytes(b"done before")
    assert main(["-i", str(videos["short"]), str(videos["long"]), "-o", str(outdir), "--device", "cpu"]) == 2
    assert "c_long.mkv exists" in capsys.readouterr().err
    assert sorted(p.name for p in outdir.iterdir()) == ["c_long.mkv"]


@needs_weights("rife")
def test_a_bad_file_in_the_middle_of_a_batch_is_skipped_and_the_exit_says_so(videos, tmp_path, capsys):
    outdir = tmp_path / "out"
    second = tmp_path / "d_second.mkv"
    second.write_bytes(videos["short"].read_bytes())
    inputs = [videos["short"], videos["audio_only"], second]
    status = main(["-i", *map(str, inputs), "-o", str(outdir), "--device", "cpu", "--mode", "plain",
                   "--encoder", "ffv1", "-q"])
    err = capsys.readouterr().err
    assert status == 1
    assert sorted(p.name for p in outdir.iterdir()) == ["a_short.mkv", "d_second.mkv"]
    assert "b_audio_only.mkv has no video stream" in err
    assert "wrote 2 of 3 outputs; failed: b_audio_only.mkv" in err.strip().splitlines()[-1]


def test_a_batch_where_every_input_is_bad_starts_nothing(videos, tmp_path, capsys):
    outdir = tmp_path / "out"
    copy = tmp_path / "e_audio_only.mkv"
    copy.write_bytes(videos["audio_only"].read_bytes())
    status = main(["-i", str(videos["audio_only"]), str(copy), "-o", str(outdir), "--device", "cpu"])
    assert status == 2
    assert "none of the 2 inputs can be rendered" in capsys.readouterr().err
    assert not outdir.exists()


@needs_weights("rife")
def test_a_file_that_fails_while_rendering_does_not_stop_the_batch(videos, tmp_path, capsys, monkeypatch):
    import vsafi.cli

    real = vsafi.cli.encode

    def disk_full_on_the_first(clip, dst, *args, **kwargs):
        if dst.name == "a_short.mkv":
            raise OSError(28, "No space left on device")
        return real(clip, dst, *args, **kwargs)

    monkeypatch.setattr(vsafi.cli, "encode", disk_full_on_the_first)
    second = tmp_path / "d_second.mkv"
    second.write_bytes(videos["short"].read_bytes())
    outdir = tmp_path / "out"
    status = main(["-i", str(videos["short"]), str(second), "-o", str(outdir), "--device", "cpu", "--mode", "plain",
                   "--encoder", "ffv1", "-q"])
    assert status == 1
    assert sorted(p.name for p in outdir.iterdir()) == ["d_second.mkv"]
    assert "failed: a_short.mkv ([Errno 28] No space left on device)" in capsys.readouterr().err
