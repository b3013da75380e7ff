"""What a segment boundary of a scale-out job costs: model calls of chunked renders against one
run over the same outputs, per mode, and what that is at the default chunk length.

Each chunk is a fresh filter (as on a worker) asked for its output frames only. Calls are
counted, not timed, so the figure holds for any device. The clip mixes twos and threes with a
background panning on ones, in scenes of 96 frames.

    .venv/bin/python benchmarks/chunk_overhead.py [--frames 192] [--chunk 2] [--size 160x96]
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction

import vapoursynth as vs

import vsafi
from vsafi.cluster.chunks import DEFAULT_CHUNK_SECONDS, chunk_frames, split
from vsafi.engine.backends import get_backend
from vsafi.modes import MODES
from vsafi.synthetic import AnimeClip, cadence_scene, mixed_scene, to_vs_clip

FPS_IN = Fraction(24000, 1001)
FPS_OUT = Fraction(60000, 1001)


def calls_for(clip: vs.VideoNode, mode: str, spans: list[range]) -> int:
    """Model calls to render ``spans`` of the output, each span on a fresh filter."""
    backend = get_backend("rife", device="cpu")
    before = backend.calls
    for span in spans:
        out = vsafi.interpolate(clip, fps=FPS_OUT, mode=mode, device="cpu")
        for n in span:
            out.get_frame(n)
    return backend.calls - before


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=192, help="source frames (scenes of 96)")
    p.add_argument("--chunk", type=Fraction, default=Fraction(2), help="output seconds per chunk here")
    p.add_argument("--size", default="160x96")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    w, h = map(int, args.size.split("x"))
    makers = [lambda s: cadence_scene(w, h, 2, length=96, seed=s),
              lambda s: mixed_scene(w, h, (2, 3), length=96, pan=(-1.0, 0.0), seed=s)]
    anime = AnimeClip(w, h, [makers[k % 2](k + 1) for k in range(max(1, args.frames // 96))])
    clip = to_vs_clip(anime, fps=FPS_IN, format=vs.YUV420P8)
    total = vsafi.interpolate(clip, fps=FPS_OUT, mode="plain", device="cpu").num_frames
    chunks = split(total, chunk_frames(args.chunk, FPS_OUT))
    boundaries = len(chunks) - 1
    default_outputs = chunk_frames(DEFAULT_CHUNK_SECONDS, FPS_OUT)
    rows = []
    for mode in MODES:
        whole = calls_for(clip, mode, [range(total)])
        chunked = calls_for(clip, mode, [range(c.start, c.stop) for c in chunks])
        per_boundary = (chunked - whole) / boundaries
        per_output = whole / total
        rows.append({"mode": mode, "outputs": total, "chunks": len(chunks), "calls_whole": whole,
                     "calls_chunked": chunked, "extra_calls_per_boundary": per_boundary,
                     "overhead_at_default_chunk": per_boundary / (per_output * default_outputs)})
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"{total} outputs of {anime.num_frames} source frames at {w}x{h}, chunks of {args.chunk} s "
          f"({chunks[0].frames} outputs), RIFE on the CPU")
    print("mode     calls whole  calls chunked  extra per boundary  at 30 s chunks")
    for r in rows:
        print(f"{r['mode']:<8} {r['calls_whole']:11d}  {r['calls_chunked']:13d}  {r['extra_calls_per_boundary']:18.1f}"
              f"  {100 * r['overhead_at_default_chunk']:12.2f} %")


if __name__ == "__main__":
    main()
