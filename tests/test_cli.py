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
from vsafi.ffmpeg_args import Encoder, ffmpeg_exe
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip

W, H = 160, 96


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A 12-frame synthetic clip on twos with a 440 Hz audio track, as a real file."""
    folder = tmp_path_factory.mktemp("cli")
    video = folder / "video.mkv"
    anime = AnimeClip(W, H, [cadence_scene(W, H, 2, length=12, seed=9)])
    clip = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)
    assert encode(clip, video, Encoder("ffv1"))
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
    assert not encode(clip, out, Encoder("no_such_encoder"))
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


def test_absurd_rates_are_refused_before_the_input_is_opened(tmp_path, capsys):
    missing = str(tmp_path / "not_opened.mkv")
    for option, value, says in (("--fps", "1e9", "above 1000"), ("-t", "1000", "at most 64"),
                                ("-t", "1", "must be above 1")):
        with pytest.raises(SystemExit) as stop:
            main(["-i", missing, "-o", str(tmp_path / "o.mkv"), option, value])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert says in err and "not_opened" not in err


def test_the_filter_refuses_rates_no_screen_shows():
    clip = vs.core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=4, fpsnum=10, fpsden=1)
    with pytest.raises(vs.Error, match="above 1000 fps"):
        vsafi.interpolate(clip, fps=1200)
    with pytest.raises(vs.Error, match="65x the source's 10 fps; at most 64x"):
        vsafi.interpolate(clip, fps=650)
    with pytest.raises(ValueError, match="above 1000 fps"):
        vsafi.analyze(clip, fps=10**9)


def test_what_is_wrong_is_said_in_the_users_terms(sample, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_bytes(b"")
    assert main(["-i", str(sample), "-o", str(blocker / "out.mkv")]) == 2
    assert f"{blocker} is a file, not a folder" in capsys.readouterr().err
    audio = tmp_path / "audio.mka"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=0.2",
                    str(audio)], check=True)
    assert main(["-i", str(audio), "-o", str(tmp_path / "out.mkv")]) == 2
    assert f"input {audio} has no video stream" in capsys.readouterr().err
    assert main(["analyze", str(audio)]) == 2
    assert "has no video stream" in capsys.readouterr().err


def test_help_shows_defaults_and_the_other_commands_and_version_prints(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default forward)" in text and "(default rife)" in text and "(default 16)" in text
    assert "vsafi analyze VIDEO" in text and "vsafi prebuild --size" in text
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"vsafi {vsafi.__version__}"


def test_analyze_of_a_clip_too_short_for_a_cadence_says_so():
    for length in (1, 3):
        clip = vs.core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=length)
        summary = vsafi.analyze(clip).summary()
        assert "too short to measure a cadence" in summary and "on threes" not in summary
