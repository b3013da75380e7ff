"""`vsafi` command: file (or folder) in, file out; `vsafi analyze` for cuts and cadence;
`vsafi prebuild` to compile a model for a frame size ahead of time.

bestsource decodes, the filter interpolates, y4m goes to ffmpeg (:mod:`.encode`), audio and
subtitles are copied from the input. With ``--workers`` or ``--ray`` the frames are rendered
in segments on Ray (:mod:`.cluster`).
"""

from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, TypeVar

from . import __version__
from .cluster.chunks import DEFAULT_CHUNK_SECONDS
from .cuts import DEFAULT_RATIO
from .encode import encode, open_source, picture_tags
from .ffmpeg_args import Encoder
from .inputs import expand_inputs, output_paths
from .models.compiled import COMPILE_POLICIES, DEFAULT_COMPILE
from .models.registry import DEFAULT_MODEL, MODELS, SCALES
from .modes import DEFAULT_MODE, MODES, Option, mode_options
from .outputs import check_outputs
from .progress import ProgressLine, say, say_interrupted
from .signals import exit_status, stop_on_signals
from .timing.timemap import MAX_FPS_OUT, MAX_RATIO, check_output_rate

__all__ = ["main", "build_parser", "filter_kwargs"]

T = TypeVar("T")


def _rate_arg(text: str) -> Fraction:
    from .timing.timemap import as_fraction

    try:
        rate = as_fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (use 60000/1001, 59.94 or 60)") from exc
    if rate <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    try:
        check_output_rate(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return rate


def _factor_arg(text: str) -> Fraction:
    try:
        factor = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"not a factor: {text!r} (use 2, 2.5 or 5/2)") from None
    if not 1 < factor <= MAX_RATIO:
        raise argparse.ArgumentTypeError(f"must be above 1 and at most {MAX_RATIO} "
                                         f"(more in-betweens cannot be told apart), not {text}")
    return factor


def _seconds_arg(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _batch_arg(text: str) -> int:
    from .models.batching import MAX_BATCH, check_batch

    try:
        return check_batch(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a batch size: {text!r} (an integer from 1 to {MAX_BATCH})") from None


def _option_arg(option: Option) -> Callable[[str], Any]:
    """A mode option's command-line type: its text parsed and checked as the filter checks it."""

    def parse(text: str) -> Any:
        try:
            value = option.parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option.name}: cannot read {text!r}") from None
        try:
            return option.check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def filter_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The ``interpolate`` arguments a command line stands for."""
    kw: dict[str, Any] = dict(mode=args.mode, model=args.model, scale=args.scale, device=args.device,
                              precision=args.precision, compile=args.compile, batch=args.batch,
                              scene_ratio=None if args.no_scdet else args.scene_ratio)
    kw.update({name: getattr(args, name) for name in mode_options() if getattr(args, name) is not None})
    if args.fps is not None:
        kw["fps"] = args.fps
    else:
        kw["factor"] = args.factor
    return kw


def _check_each(pairs: list[tuple[Path, Path]], check: Callable[[Path, Path], T],
                batch: bool) -> tuple[list[T], dict[Path, str]]:
    """Every input checked before any work: what passed, and why each other one failed. A single
    input that fails is the command's error (raised); a batch says each and goes on without it."""
    import vapoursynth as vs

    passed: list[T] = []
    failed: dict[Path, str] = {}
    for src, dst in pairs:
        try:
            passed.append(check(src, dst))
        except (ValueError, OSError, vs.Error) as exc:
            if not batch:
                raise
            failed[src] = str(exc)
            say(f"{src}: {exc}; skipped")
    if not passed:
        raise ValueError(f"none of the {len(pairs)} inputs can be rendered; nothing was started")
    return passed, failed


def _summary(done: int, failed: dict[Path, str]) -> int:
    """The batch's last line and the command's exit status: 1 when any input failed."""
    if not failed:
        return 0
    names = ", ".join(f"{src.name} ({why.splitlines()[0][:120]})" for src, why in failed.items())
    say(f"wrote {done} of {done + len(failed)} outputs; failed: {names}")
    return 1


def _render_each(pairs: list[tuple[Path, Path]], kw: dict[str, Any], encoder: Encoder, quiet: bool,
                 batch: bool) -> int:
    """The single-process path: one input after another, each through one filter and one ffmpeg
    into a temporary file renamed onto its output when complete."""
    import vapoursynth as vs

    from . import interpolate
    from .filter import preflight

    todo, failed = _check_each(pairs, lambda src, dst: (src, dst, preflight(open_source(src), **kw)), batch)
    done = 0
    for src, dst, _ in todo:
        if batch and not quiet:
            say(f"{src} -> {dst}")
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            source = open_source(src)
            out = interpolate(source, **kw)
            ok = encode(out, dst, encoder, audio_from=src, tags=picture_tags(source),
                        progress=ProgressLine(out.num_frames, quiet))
            why = "ffmpeg failed (see above)"
        except KeyboardInterrupt:
            kept = "; the earlier file is untouched" if dst.exists() else ""
            say_interrupted(f"{dst} was not written{kept}" + (f"; {done} finished outputs kept" if done else ""))
            raise
        except (ValueError, OSError, RuntimeError, vs.Error) as exc:
            if not batch:
                raise
            ok, why = False, str(exc)
            say(f"{src}: {exc}")
        if ok:
            done += 1
        elif not batch:
            return 1
        else:
            failed[src] = why
    return _summary(done, failed)


def run_interpolate(args: argparse.Namespace) -> int:
    given = [Path(p) for p in args.input]
    inputs = expand_inputs(given)
    batch = len(given) > 1 or any(p.is_dir() for p in given)
    pairs = list(zip(inputs, output_paths(inputs, Path(args.output), batch)))
    check_outputs([dst for _, dst in pairs], args.overwrite)
    encoder = Encoder(args.encoder, args.crf, args.preset, tuple(args.ffmpeg_args or ()))
    kw = filter_kwargs(args)
    if args.workers is None and args.ray is None:
        return _render_each(pairs, kw, encoder, args.quiet, batch)
    from .cluster.driver import plan_input, scale_out

    jobs, failed = _check_each(pairs, lambda src, dst: plan_input(src, dst, kw, encoder, args.chunk), batch)
    status = scale_out(jobs, kw.get("device"), args.workers, args.ray, args.quiet)
    return status or _summary(len(jobs), failed)


def run_analyze(args: argparse.Namespace) -> int:
    from .analysis import analyze, plot_analysis

    clip = open_source(Path(args.input))
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
    rate.add_argument("--fps", type=_rate_arg, default=None,
                      help=f"output rate, e.g. 60000/1001 or 59.94 (at most {MAX_FPS_OUT})")
    rate.add_argument("-t", "--factor", type=_factor_arg, default=Fraction(2),
                      help=f"rate multiplier, up to {MAX_RATIO} (default 2)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vsafi", description="Anime frame interpolation, file in -> file out.",
        epilog="other commands: 'vsafi analyze VIDEO' reports cuts and cadence without a model; "
               "'vsafi prebuild --size WxH' compiles a model for a frame size ahead of time "
               "(each takes --help)")
    p.add_argument("--version", action="version", version=f"vsafi {__version__}")
    p.add_argument("-i", "--input", required=True, nargs="+",
                   help="input videos (any format bestsource reads) or folders of them")
    p.add_argument("-o", "--output", required=True,
                   help="output video (.mkv keeps subtitles); with several inputs, a folder")
    p.add_argument("-y", "--overwrite", action="store_true",
                   help="replace outputs that exist (they are kept until the new file is complete)")
    _add_common(p)
    _add_model_options(p)
    p.add_argument("--mode", default=DEFAULT_MODE, choices=list(MODES),
                   help="; ".join(f"{name}: {spec.summary}" for name, spec in MODES.items())
                   + f" (default {DEFAULT_MODE})")
    for option in mode_options().values():
        p.add_argument(*option.flags, dest=option.name, type=_option_arg(option), default=None,
                       metavar=option.metavar, help=option.help)
    _add_compile(p)
    p.add_argument("--encoder", default="libx264", help="ffmpeg video encoder (default libx264)")
    p.add_argument("--crf", type=int, default=16, help="quality for x264, x265, SVT-AV1 and VP9 (default 16)")
    p.add_argument("--preset", default=None, help="encoder preset (default: the encoder's)")
    p.add_argument("--ffmpeg-args", nargs=argparse.REMAINDER, help="extra ffmpeg output options (last)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    scale = p.add_argument_group("scale-out (Ray: pip install 'vsafi[cluster]')")
    scale.add_argument("--workers", type=int, default=None, metavar="N",
                       help="render on a local Ray with N workers (one GPU each where there are enough)")
    scale.add_argument("--ray", default=None, metavar="ADDRESS",
                       help="render on the Ray cluster at HOST:PORT (or auto); --workers then caps the tasks")
    scale.add_argument("--chunk", type=_seconds_arg, default=DEFAULT_CHUNK_SECONDS, metavar="SECONDS",
                       help=f"output seconds per segment task (default {DEFAULT_CHUNK_SECONDS})")
    return p


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """The model and where it runs: the interpolating command's and prebuild's."""
    p.add_argument("-m", "--model", default=DEFAULT_MODEL, choices=list(MODELS),
                   help="; ".join(f"{name}: {spec.summary}" for name, spec in MODELS.items())
                   + f" (default {DEFAULT_MODEL})")
    p.add_argument("--scale", type=float, default=1.0, choices=list(SCALES),
                   help="flow scale: 1.0, 0.5 (4K) or 0.25 (default 1.0)")
    p.add_argument("--device", default=None, help="cuda, cuda:N or cpu (default: cuda when available)")
    p.add_argument("--precision", default=None, choices=["fp16", "fp32"],
                   help="default: fp16 on CUDA, fp32 on the CPU")
    p.add_argument("--batch", type=_batch_arg, default=1, metavar="N",
                   help="network passes of N frames at once, padded when fewer wait (GPU; default 1: none)")


def _add_compile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--compile", default=DEFAULT_COMPILE, choices=list(COMPILE_POLICIES),
                   help="; ".join(f"{name}: {summary}" for name, summary in COMPILE_POLICIES.items()))


def build_prebuild_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsafi prebuild",
                                description="Compile a model for a frame size now, so that --compile / "
                                            "compile= finds it in the cache later.")
    p.add_argument("--size", required=True, help="frame size of the videos to come, e.g. 1920x1080")
    _add_model_options(p)
    p.add_argument("--mode", nargs="+", default=list(MODES), choices=list(MODES),
                   help="modes to compile for (default: all)")
    return p


def run_prebuild(args: argparse.Namespace) -> int:
    from .prebuild import parse_size, prebuild

    width, height = parse_size(args.size)
    try:
        prebuild(width, height, args.model, args.mode, args.device, args.precision, args.scale, args.batch, say=say)
    except RuntimeError as exc:
        say(f"{str(exc)[:500]}; the filter would run this model eager")
        return 1
    return 0


def build_analyze_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vsafi analyze", description="Cuts, cadence and timing map of a video.")
    p.add_argument("input")
    p.add_argument("--plot", default=None, help="write a PNG plot here")
    _add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        with stop_on_signals():
            if argv[:1] == ["analyze"]:
                return run_analyze(build_analyze_parser().parse_args(argv[1:]))
            if argv[:1] == ["prebuild"]:
                return run_prebuild(build_prebuild_parser().parse_args(argv[1:]))
            return run_interpolate(build_parser().parse_args(argv))
    except KeyboardInterrupt as exc:
        return exit_status(exc)
    except (ValueError, OSError) as exc:
        say(str(exc))
        return 2
    except Exception as exc:
        import vapoursynth as vs

        if isinstance(exc, vs.Error):
            say(str(exc))
            return 2
        raise


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
