"""`vsafi` command: the whole file-to-file job, and `vsafi analyze` for cuts and cadence.

bestsource decodes, the filter interpolates in-process, y4m goes to ffmpeg, audio and
subtitles are copied from the input. The only module that knows files and ffmpeg.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from .cuts import DEFAULT_RATIO
from .models.registry import DEFAULT_MODEL, MODELS, SCALES
from .modes import DEFAULT_MODE, MODES

__all__ = ["main", "ffmpeg_exe", "encode_command", "encode"]


def ffmpeg_exe() -> str:
    """The system ffmpeg if present, else the binary the imageio-ffmpeg wheel ships."""
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _rate_arg(text: str) -> Fraction:
    from .timing.timemap import as_fraction

    try:
        return as_fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (use 60000/1001, 59.94 or 60)") from exc


def encode_command(dst: Path, audio_from: Path | None, encoder: str = "libx264", crf: int = 16,
                   preset: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """ffmpeg reading y4m on stdin, plus audio/subtitles from ``audio_from`` when given."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "yuv4mpegpipe", "-i", "-"]
    if audio_from is not None:
        cmd += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a?", "-c:a", "copy"]
        if dst.suffix.lower() == ".mkv":
            cmd += ["-map", "1:s?", "-c:s", "copy"]
    cmd += ["-c:v", encoder]
    if encoder in ("libx264", "libx265", "libsvtav1", "libvpx-vp9"):
        cmd += ["-crf", str(crf)]
    if preset:
        cmd += ["-preset", preset]
    return cmd + list(extra) + [str(dst)]


def encode(clip, cmd: list[str], dst: Path, progress=None) -> bool:
    """Pipe ``clip`` as y4m into ffmpeg ``cmd``; the partial output is removed unless it succeeds.

    Ctrl-C stops ffmpeg, removes the file and re-raises KeyboardInterrupt.
    """
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    ok = False
    try:
        _for_y4m(clip).output(proc.stdin, y4m=True, progress_update=progress)
        proc.stdin.close()
        ok = proc.wait() == 0
        if not ok:
            print(f"vsafi: ffmpeg failed (exit {proc.returncode}): {' '.join(cmd)}", file=sys.stderr)
    except BrokenPipeError:
        print(f"vsafi: ffmpeg stopped reading (exit {proc.wait()})", file=sys.stderr)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not ok and dst.exists():
            dst.unlink()
    return ok


class _Progress:
    """One status line on stderr: frames, fps, ETA."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total = total
        self.quiet = quiet
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (now - self.last < 0.5 and done < total):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        eta = (total - done) / rate if rate > 0 else float("inf")
        width = 30
        fill = int(width * done / max(total, 1))
        eta_text = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta != float("inf") else "--:--:--"
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {rate:6.2f} fps ETA {eta_text}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _open_source(path: Path):
    import vapoursynth as vs

    if not path.is_file():
        raise FileNotFoundError(f"input {path} does not exist")
    return vs.core.bs.VideoSource(str(path))


def _for_y4m(clip):
    """y4m carries YUV/GRAY only: RGB goes to 4:4:4 YUV at the same depth."""
    import vapoursynth as vs

    if clip.format.color_family != vs.RGB:
        return clip
    bits = clip.format.bits_per_sample
    fmt = vs.core.query_video_format(vs.YUV, clip.format.sample_type, bits, 0, 0)
    return vs.core.resize.Bicubic(clip, format=fmt.id, matrix_s="709")


def run_interpolate(args: argparse.Namespace) -> int:
    from . import interpolate

    src, dst = Path(args.input), Path(args.output)
    clip = _open_source(src)
    kw = dict(mode=args.mode, model=args.model, n_forward=args.n_forward, drop_threshold=args.drop_threshold,
              scale=args.scale,
              device=args.device, precision=args.precision,
              scene_ratio=None if args.no_scdet else args.scene_ratio)
    if args.fps is not None:
        kw["fps"] = args.fps
    else:
        kw["factor"] = args.factor
    out = interpolate(clip, **kw)
    cmd = encode_command(dst, src, args.encoder, args.crf, args.preset, args.ffmpeg_args or [])
    try:
        ok = encode(out, cmd, dst, _Progress(out.num_frames, args.quiet))
    except KeyboardInterrupt:
        print("\nvsafi: interrupted; partial output removed", file=sys.stderr)
        return 130
    return 0 if ok else 1


def run_analyze(args: argparse.Namespace) -> int:
    from .analysis import analyze, plot_analysis

    clip = _open_source(Path(args.input))
    report = analyze(clip, scene_ratio=None if args.no_scdet else args.scene_ratio,
                     fps=args.fps, factor=args.factor if args.fps is None else None)
    print(report.score_table())
    print(report.summary())
    if args.plot:
        plot_analysis(report, Path(args.plot))
        print(f"vsafi: plot written to {args.plot}")
    return 0


def _no_threshold(text: str) -> None:
    raise argparse.ArgumentTypeError(
        "the SSIM threshold is gone (it missed cuts between shots of one layout); use --scene-ratio "
        f"(default {DEFAULT_RATIO}, lower finds more cuts) or --no-scdet")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scene-ratio", type=float, default=DEFAULT_RATIO,
                   help=f"a pair is a cut where its change is this many times the motion around it "
                        f"(default {DEFAULT_RATIO}; lower finds more cuts)")
    p.add_argument("-st", "--scene-threshold", type=_no_threshold, help=argparse.SUPPRESS)
    p.add_argument("--no-scdet", action="store_true", help="disable scene-cut detection")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--fps", type=_rate_arg, default=None, help="output rate, e.g. 60000/1001 or 59.94")
    rate.add_argument("-t", "--factor", type=_rate_arg, default=Fraction(2), help="rate multiplier (default 2)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsafi", description="Anime frame interpolation, file in -> file out.")
    p.add_argument("-i", "--input", required=True, help="input video (any format bestsource reads)")
    p.add_argument("-o", "--output", required=True, help="output video (.mkv keeps subtitles)")
    _add_common(p)
    p.add_argument("-m", "--model", default=DEFAULT_MODEL, choices=list(MODELS),
                   help="; ".join(f"{name}: {spec.summary}" for name, spec in MODELS.items()))
    p.add_argument("--mode", default=DEFAULT_MODE, choices=list(MODES),
                   help="; ".join(f"{name}: {spec.summary}" for name, spec in MODES.items()))
    p.add_argument("-nf", "--n-forward", type=int, default=None, help="forward passes (default: from cadence)")
    p.add_argument("--drop-threshold", type=float, default=None,
                   help="drop mode: luma difference below which a frame is a duplicate (default: measured)")
    p.add_argument("--scale", type=float, default=1.0, choices=list(SCALES), help="flow scale: 1.0, 0.5 (4K) or 0.25")
    p.add_argument("--device", default=None, help="cuda, cuda:N or cpu (default: cuda when available)")
    p.add_argument("--precision", default=None, choices=["fp16", "fp32"])
    p.add_argument("--encoder", default="libx264", help="ffmpeg video encoder (default libx264)")
    p.add_argument("--crf", type=int, default=16)
    p.add_argument("--preset", default=None)
    p.add_argument("--ffmpeg-args", nargs=argparse.REMAINDER, help="extra ffmpeg output options (last)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def build_analyze_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsafi analyze", description="Cuts, cadence and timing map of a video.")
    p.add_argument("input")
    p.add_argument("--plot", default=None, help="write a PNG plot here")
    _add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["analyze"]:
            return run_analyze(build_analyze_parser().parse_args(argv[1:]))
        return run_interpolate(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as exc:
        print(f"vsafi: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        import vapoursynth as vs

        if isinstance(exc, vs.Error):
            print(f"vsafi: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
