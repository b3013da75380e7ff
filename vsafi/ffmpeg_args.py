"""ffmpeg command lines: the encoder settings, the side streams copied from an input, the y4m
reader. Plain data and strings, so the driver of a scale-out job can use them without
VapourSynth."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

__all__ = ["Encoder", "ffmpeg_exe", "encode_command", "side_streams", "CRF_ENCODERS"]

#: Encoders that take a quality level as ``-crf``.
CRF_ENCODERS = ("libx264", "libx265", "libsvtav1", "libvpx-vp9")


@dataclass(frozen=True)
class Encoder:
    """ffmpeg video output settings (plain data: workers receive it as is)."""

    name: str = "libx264"
    crf: int = 16
    preset: str | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)

    def video_args(self) -> list[str]:
        args = ["-c:v", self.name]
        if self.name in CRF_ENCODERS:
            args += ["-crf", str(self.crf)]
        if self.preset:
            args += ["-preset", self.preset]
        return args + list(self.extra)

    def command(self, dst: Path, audio_from: Path | None = None) -> list[str]:
        """ffmpeg reading y4m on stdin into ``dst``, plus audio/subtitles from ``audio_from``."""
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "-"]
        if audio_from is not None:
            cmd += ["-i", str(audio_from), "-map", "0:v:0"] + side_streams(dst, 1)
        return cmd + self.video_args() + [str(dst)]


def ffmpeg_exe() -> str:
    """The system ffmpeg if present, else the binary the imageio-ffmpeg wheel ships."""
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def side_streams(dst: Path, input_index: int) -> list[str]:
    """Maps and copies for audio (any container), subtitles and attached fonts (Matroska only) of
    input ``input_index``; each optional, so a file without them is fine."""
    n, mkv = input_index, dst.suffix.lower() == ".mkv"
    maps = ["-map", f"{n}:a?"] + (["-map", f"{n}:s?", "-map", f"{n}:t?"] if mkv else [])
    return maps + ["-c:a", "copy"] + (["-c:s", "copy", "-c:t", "copy"] if mkv else [])


def encode_command(dst: Path, audio_from: Path | None, encoder: str = "libx264", crf: int = 16,
                   preset: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """:meth:`Encoder.command` from loose settings."""
    return Encoder(encoder, crf, preset, tuple(extra)).command(dst, audio_from)
