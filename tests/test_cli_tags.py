"""What the source says about its pictures reaches the output: matrix, range, transfer, primaries,
chroma location and sample aspect ratio, each read back from the written file; RGB input is
converted with its matrix written, so a player decodes the colours that went in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

from conftest import needs_weights
from vsafi.cli import main
from vsafi.ffmpeg_args import Encoder, PictureTags, ffmpeg_exe

#: The source's tags, each unlike the defaults a file without tags is read with (BT.709,
#: limited range, left siting, square pixels): SMPTE 170M matrix, BT.470BG primaries, BT.470M
#: transfer, full range, top-left siting, SAR 4:3.
TAGGED = {"_Matrix": 6, "_Primaries": 5, "_Transfer": 4, "_Range": int(vs.RANGE_FULL), "_ChromaLocation": 2,
          "_SARNum": 4, "_SARDen": 3}
SETPARAMS = "setparams=colorspace=6:color_primaries=5:color_trc=4:range=pc:chroma_location=3,setsar=4/3"


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _props(path: Path) -> dict[str, int]:
    props = vs.core.bs.VideoSource(str(path)).get_frame(0).props
    return {k: int(props[k]) for k in TAGGED if k in props}


def _render(src: Path, out: Path, *extra: str) -> None:
    assert main(["-i", str(src), "-o", str(out), "--device", "cpu", "--mode", "plain", "-q", *extra]) == 0


@pytest.fixture(scope="module")
def tagged_source(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("tags") / "tagged.mkv"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=24000/1001,trim=end_frame=6,format=yuv420p",
            "-vf", SETPARAMS, "-c:v", "libx264", "-crf", "10", str(src))
    assert _props(src) == TAGGED  # the fixture itself carries every tag
    return src


@pytest.fixture(scope="module")
def outputs(tagged_source, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tagged-out")
    made = {}
    for container in ("mkv", "mp4"):
        made[container] = folder / f"out.{container}"
        _render(tagged_source, made[container])
    return made


@needs_weights("rife")
@pytest.mark.parametrize("container", ["mkv", "mp4"])
@pytest.mark.parametrize("prop", list(TAGGED))
def test_each_tag_of_the_source_reaches_the_output(outputs, container, prop):
    assert _props(outputs[container]).get(prop) == TAGGED[prop]


@needs_weights("rife")
def test_a_filter_chain_of_the_users_runs_after_the_tags(tagged_source, tmp_path):
    out = tmp_path / "out.mkv"
    _render(tagged_source, out, "--ffmpeg-args", "-vf", "hflip")
    assert _props(out) == TAGGED
    plain = tmp_path / "plain.mkv"
    _render(tagged_source, plain)
    a, b = (np.asarray(vs.core.bs.VideoSource(str(p)).get_frame(0)[0]).astype(int) for p in (out, plain))
    assert np.abs(a - b[:, ::-1]).mean() < 2 < np.abs(a - b).mean()


@needs_weights("rife")
def test_rgb_input_is_written_with_its_matrix_and_decodes_to_the_same_colours(tmp_path):
    src, out = tmp_path / "rgb.mkv", tmp_path / "out.mkv"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=24000/1001,trim=end_frame=6", "-pix_fmt", "gbrp",
            "-c:v", "ffv1", str(src))
    source = vs.core.bs.VideoSource(str(src))
    assert source.format.color_family == vs.RGB
    _render(src, out, "--encoder", "ffv1")
    written = vs.core.bs.VideoSource(str(out))
    assert _props(out).get("_Matrix") == 1  # BT.709, as converted
    # A player converts back with the matrix the file names; the colours are the source's.
    back = vs.core.resize.Point(written, format=vs.RGB24)
    got = np.stack([np.asarray(back.get_frame(0)[p]) for p in range(3)]).astype(float)
    want = np.stack([np.asarray(source.get_frame(0)[p]) for p in range(3)]).astype(float)
    assert np.abs(got - want).mean(axis=(1, 2)).max() < 2


def test_tags_become_ffmpeg_filters():
    tags = PictureTags(matrix=6, transfer=4, primaries=5, full_range=True, chroma_location=2, sar=None)
    assert tags.filters() == ["setparams=colorspace=6:color_primaries=5:color_trc=4:range=pc:chroma_location=3"]
    # Unspecified and reserved codes say nothing rather than something false.
    assert PictureTags(matrix=2, transfer=3, primaries=2).filters() == []
    args = Encoder("ffv1", extra=("-vf", "hflip", "-g", "1")).video_args(PictureTags(full_range=False))
    assert args == ["-c:v", "ffv1", "-vf", "setparams=range=tv,hflip", "-g", "1"]
