"""The `vsafi` command: file in, file out, audio kept; `vsafi analyze`; failures leave no file."""

from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest
import vapoursynth as vs

import vsafi
from conftest import audio_samples, needs_weights
from vsafi.cli import main
from vsafi.encode import encode
from vsafi.ffmpeg_args import encode_command, ffmpeg_exe
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip

W, H = 160, 96


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A 12-frame synthetic clip on twos with a 440 Hz audio track, as a real file."""
    folder = tmp_path_factory.mktemp("cli")
    video = folder / "video.mkv"
    anime = AnimeClip(W, H, [cadence_scene(W, H, 2, length=12, seed=9)])
    clip = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)
    assert encode(clip, encode_command(video, None, encoder="ffv1"), video)
    path = folder / "in.mkv"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(video), "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=0.5", "-map", "0:v", "-map", "1:a", "-c:v", "copy",
                    "-c:a", "flac", "-shortest", str(path)], check=True)
    return path


@needs_weights("rife")
def test_cli_interpolates_file_and_keeps_audio(sample, tmp_path):
    out = tmp_path / "out.mkv"
    assert main(["-i", str(sample), "-o", str(out), "--fps", "60000/1001", "--mode", "forward",
                 "--device", "cpu", "--encoder", "ffv1", "-q"]) == 0
    video = vs.core.bs.VideoSource(str(out))
    assert video.num_frames == 30 and video.fps == Fraction(60000, 1001)
    # The audio track is copied, not re-encoded lossily or dropped: the same samples come back.
    kept, original = audio_samples(out), audio_samples(sample)
    assert kept.shape == original.shape and kept.shape[1] > 20000
    assert np.array_equal(kept, original)


def test_old_scene_threshold_option_names_its_replacement(sample, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["-i", str(sample), "-o", str(tmp_path / "out.mkv"), "-st", "0.3"])
    assert "--scene-ratio" in capsys.readouterr().err
    assert not (tmp_path / "out.mkv").exists()


def test_cli_bad_input_is_a_clear_error_and_no_file(sample, tmp_path, capsys):
    out = tmp_path / "out.mkv"
    assert main(["-i", str(sample), "-o", str(out), "--fps", "12", "--device", "cpu", "-q"]) == 2
    assert "must be higher" in capsys.readouterr().err
    assert not out.exists()
    assert main(["-i", str(tmp_path / "missing.mkv"), "-o", str(out)]) != 0
    assert not out.exists()


def test_failed_encode_removes_partial_output(tmp_path):
    clip = vs.core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=5)
    out = tmp_path / "bad.mkv"
    assert not encode(clip, encode_command(out, None, encoder="no_such_encoder"), out)
    assert not out.exists()


def test_analyze_reports_cuts_and_cadence(tmp_path, capsys):
    anime = AnimeClip(W, H, [cadence_scene(W, H, 3, length=30, seed=1), cadence_scene(W, H, 1, length=20, seed=2)])
    report = vsafi.analyze(to_vs_clip(anime, format=vs.YUV420P8), fps=Fraction(60000, 1001))
    assert report.scene_starts == [0, 30]
    assert len(report.cut_scores) == 49
    assert [i for i, scores in enumerate(report.cut_scores) if any(sc.cut for sc in scores)] == [29]
    assert any(sc.change >= sc.needed for sc in report.cut_scores[29])
    assert set(report.passes[:30]) == {2} and set(report.passes[30:]) == {0}
    assert len(report.taus) == 125 and report.taus[5] == 2
    assert "on threes" in report.summary()


def test_analyze_command_writes_a_plot(sample, tmp_path, capsys):
    plot = tmp_path / "cadence.png"
    assert main(["analyze", str(sample), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "12 frames" in out and "on twos" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
