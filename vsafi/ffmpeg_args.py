"""ffmpeg command lines: the encoder settings, the picture's tags, the side streams copied from an
input, the y4m reader. Plain data and strings, so the driver of a scale-out job can use them
without VapourSynth."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

__all__ = ["Encoder", "PictureTags", "ffmpeg_exe", "side_streams", "CRF_ENCODERS"]

#: Encoders that take a quality level as ``-crf``.
CRF_ENCODERS = ("libx264", "libx265", "libsvtav1", "libvpx-vp9")
#: ffmpeg's options naming a stream's video filter chain (the last one given wins).
_VIDEO_FILTER_OPTIONS = ("-vf", "-filter:v", "-filter:v:0")

#: H.273 codes ffmpeg knows for each colour tag; 2 (unspecified) and reserved codes are left out.
_MATRICES = frozenset({1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
_TRANSFERS = frozenset({1, *range(4, 19)})
_PRIMARIES = frozenset({1, *range(4, 13), 22})
#: VapourSynth's ``_ChromaLocation`` (0 left … 5 bottom) is ffmpeg's AVChromaLocation minus one.
_CHROMA_LOCATIONS = range(6)


@dataclass(frozen=True)
class PictureTags:
    """What a stream says about its pictures beyond their samples: H.273 colour codes, range,
    chroma siting (VapourSynth's codes) and sample aspect ratio. None where the source says nothing;
    y4m carries none of it, so ffmpeg is told through ``setparams``/``setsar``."""

    matrix: int | None = None
    transfer: int | None = None
    primaries: int | None = None
    full_range: bool | None = None
    chroma_location: int | None = None
    sar: Fraction | None = None

    def filters(self) -> list[str]:
        """The ffmpeg video filters that write these tags onto every frame."""
        params = []
        if self.matrix in _MATRICES:
            params.append(f"colorspace={self.matrix}")
        if self.primaries in _PRIMARIES:
            params.append(f"color_primaries={self.primaries}")
        if self.transfer in _TRANSFERS:
            params.append(f"color_trc={self.transfer}")
        if self.full_range is not None:
            params.append(f"range={'pc' if self.full_range else 'tv'}")
        if self.chroma_location in _CHROMA_LOCATIONS:
            params.append(f"chroma_location={self.chroma_location + 1}")
        chain = [f"setparams={':'.join(params)}"] if params else []
        if self.sar is not None and self.sar > 0:
            chain.append(f"setsar={self.sar.numerator}/{self.sar.denominator}")
        return chain


@dataclass(frozen=True)
class Encoder:
    """ffmpeg video output settings (plain data: workers receive it as is)."""

    name: str = "libx264"
    crf: int = 16
    preset: str | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)

    def video_args(self, tags: PictureTags = PictureTags()) -> list[str]:
        """Encoder options; the tags' filters run before a filter chain the user gave in ``extra``."""
        args = ["-c:v", self.name]
        if self.name in CRF_ENCODERS:
            args += ["-crf", str(self.crf)]
        if self.preset:
            args += ["-preset", self.preset]
        extra, users = [], None
        rest = iter(self.extra)
        for arg in rest:
            if arg in _VIDEO_FILTER_OPTIONS:
                users = next(rest, None)  # ffmpeg keeps only the last chain given
            else:
                extra.append(arg)
        chain = tags.filters() + ([users] if users else [])
        return args + (["-vf", ",".join(chain)] if chain else []) + extra

    def command(self, dst: Path, audio_from: Path | None = None, tags: PictureTags = PictureTags()) -> list[str]:
        """ffmpeg reading y4m on stdin into ``dst`` with ``tags``, plus audio/subtitles from ``audio_from``."""
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "-"]
        if audio_from is not None:
            cmd += ["-i", str(audio_from), "-map", "0:v:0"] + side_streams(dst, 1)
        return cmd + self.video_args(tags) + [str(dst)]


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
