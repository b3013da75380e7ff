"""The example script runs under vspipe and pipes y4m into ffmpeg, as the README shows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import vapoursynth as vs

from conftest import needs_weights
from vsafi.ffmpeg_args import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
VSPIPE = shutil.which("vspipe", path=str(Path(sys.executable).parent)) or shutil.which("vspipe")

#: Bytes per pixel of the y4m colour spaces vspipe writes for 8-bit clips.
_Y4M_BYTES_PER_PIXEL = {"420": Fraction(3, 2), "420jpeg": Fraction(3, 2), "420mpeg2": Fraction(3, 2),
                        "420paldv": Fraction(3, 2), "422": 2, "444": 3}


def read_y4m(data: bytes) -> tuple[dict[str, str], int]:
    """The stream header's fields and the number of whole frames, parsed from the bytes."""
    header, _, body = data.partition(b"\n")
    magic, *tokens = header.decode().split()
    assert magic == "YUV4MPEG2"
    fields = {t[0]: t[1:] for t in tokens}
    size = int(int(fields["W"]) * int(fields["H"]) * _Y4M_BYTES_PER_PIXEL[fields.get("C", "420")])
    frames = 0
    while body:
        line, _, body = body.partition(b"\n")
        assert line.startswith(b"FRAME"), f"frame {frames}: no FRAME marker"
        assert len(body) >= size, f"frame {frames} is cut short"
        body = body[size:]
        frames += 1
    return fields, frames


@needs_weights("rife")
@pytest.mark.skipif(VSPIPE is None, reason="vspipe not installed")
def test_vspipe_example_to_ffmpeg(tmp_path):
    pipe = subprocess.run([VSPIPE, "-c", "y4m", "-a", "frames=6", "-a", "mode=plain", "-a", "device=cpu",
                           str(ROOT / "scripts" / "example.vpy"), "-"], capture_output=True)
    assert pipe.returncode == 0, pipe.stderr.decode()
    fields, frames = read_y4m(pipe.stdout)
    assert frames == 15 and fields["F"] == "60000:1001"
    assert (fields["W"], fields["H"]) == ("480", "272")

    out = tmp_path / "out.mkv"
    enc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", "-",
                          "-c:v", "ffv1", str(out)], input=pipe.stdout, capture_output=True)
    assert enc.returncode == 0, enc.stderr.decode()
    video = vs.core.bs.VideoSource(str(out))
    # Matroska keeps millisecond timestamps, so the rate read back is 59.94 to within that rounding.
    assert video.num_frames == 15 and abs(video.fps - Fraction(60000, 1001)) < Fraction(1, 1000)


@needs_weights("rife")
@pytest.mark.skipif(VSPIPE is None, reason="vspipe not installed")
def test_a_relative_input_is_read_from_where_vspipe_was_started(tmp_path):
    """vspipe runs the script from the script's folder; the README's relative input still works
    when the shell is elsewhere."""
    clip = vs.core.std.BlankClip(width=64, height=48, format=vs.YUV420P8, length=4, fpsnum=24000, fpsden=1001)
    from vsafi.encode import encode
    from vsafi.ffmpeg_args import Encoder

    assert encode(clip, tmp_path / "episode.mkv", Encoder("ffv1"))
    line = (f"cd '{tmp_path}' && '{VSPIPE}' -c y4m -a input=episode.mkv -a mode=plain -a device=cpu "
            f"'{ROOT / 'scripts' / 'example.vpy'}' -")
    pipe = subprocess.run(["bash", "-c", line], capture_output=True)
    assert pipe.returncode == 0, pipe.stderr.decode()
    fields, frames = read_y4m(pipe.stdout)
    assert frames == 10 and (fields["W"], fields["H"]) == ("64", "48")
