"""`vsafi.analyze`: what the filter would decide about a clip, without running a model.

Per-frame difference, scene cuts (same sources and order as the filter), forward passes per
frame (same block cadence measurement as ``forward`` mode) and the output timing map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import vapoursynth as vs

from .cadence import analysis_image
from .engine.convert import FrameFormat, frame_to_gray, frame_to_tensor
from .engine.modes import BLOCK, block_passes
from .engine.scenecut import ListCuts, PropCuts, SSIMCuts, combine, thumbnail
from .timing.timemap import as_fraction, output_length, source_time

__all__ = ["Analysis", "analyze", "plot_analysis"]


@dataclass
class Analysis:
    """Frame-level facts of a clip: differences, cuts, forward passes, output time map."""

    num_frames: int
    fps: Fraction
    fps_out: Fraction
    diffs: list[float]
    scene_starts: list[int]
    passes: list[int]
    taus: list[Fraction] = field(repr=False)

    def runs(self) -> list[tuple[int, int, int]]:
        """(first frame, last frame, N) for every run of equal forward passes."""
        out: list[tuple[int, int, int]] = []
        for i, p in enumerate(self.passes):
            if out and out[-1][2] == p and i not in self.scene_starts:
                out[-1] = (out[-1][0], i, p)
            else:
                out.append((i, i, p))
        return out

    def summary(self) -> str:
        cadence = {0: "ones", 1: "twos", 2: "threes", 3: "fours"}
        lines = [f"{self.num_frames} frames at {self.fps} fps -> {len(self.taus)} frames at {self.fps_out} fps",
                 f"scene starts: {self.scene_starts}"]
        for a, b, p in self.runs():
            lines.append(f"  frames {a:6d}-{b:6d}: on {cadence.get(p, str(p + 1))} (forward passes N={p})")
        return "\n".join(lines)


def analyze(clip: vs.VideoNode, *, scene_threshold: float | None = 0.3, scenes: Sequence[int] | None = None,
            fps=None, factor=None, phase: str = "standard") -> Analysis:
    """Analyse ``clip`` (reads every frame once). ``fps``/``factor`` set the timing map (default 2×)."""
    if not isinstance(clip, vs.VideoNode) or clip.format is None:
        raise vs.Error("analyze: clip must be a constant-format vs.VideoNode")
    fmt = FrameFormat.of(clip)
    n = clip.num_frames
    fps_src = Fraction(clip.fps.numerator, clip.fps.denominator) if clip.fps.numerator else Fraction(24000, 1001)
    fps_out = as_fraction(fps) if fps is not None else fps_src * as_fraction(factor if factor is not None else 2)
    grays, thumbs, props = [], [], []
    for i, frame in enumerate(clip.frames(close=True)):
        grays.append(analysis_image(frame_to_gray(frame, fmt)))
        thumbs.append(thumbnail(frame_to_tensor(frame, fmt, torch.device("cpu"))))
        props.append(dict(frame.props))
    if scenes is not None:
        sources = [ListCuts(scenes)]
    else:
        sources = [PropCuts(lambda i: props[i])]
        if scene_threshold is not None:
            sources.append(SSIMCuts(lambda i: thumbs[i], scene_threshold))
    decide = combine(sources)
    cuts = [decide(i) for i in range(n - 1)]

    def is_cut(i: int) -> bool:
        return cuts[i]

    passes: list[int] = []
    for block in range(-(-n // BLOCK)):
        got = block_passes(block, n, is_cut, lambda i: grays[i])
        passes += [got[i] for i in sorted(got)]
    diffs = [0.0] + [float(np.abs(grays[i + 1] - grays[i]).mean()) for i in range(n - 1)]
    ratio = fps_out / fps_src
    taus = [source_time(j, ratio, phase) for j in range(output_length(n, ratio))]
    return Analysis(n, fps_src, fps_out, diffs, [0] + [i + 1 for i, c in enumerate(cuts) if c], passes, taus)


def plot_analysis(report: Analysis, path: Path) -> None:
    """Difference per frame with cuts and cadence runs, and the output timing map, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ValueError("plotting needs matplotlib: pip install matplotlib") from exc
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    x = np.arange(report.num_frames)
    ax1.plot(x, report.diffs, lw=0.8, label="mean |ΔY| to previous frame")
    for s in report.scene_starts[1:]:
        ax1.axvline(s - 0.5, color="red", lw=0.8)
    colours = ["#dddddd", "#a6cee3", "#b2df8a", "#fb9a99"]
    for a, b, p in report.runs():
        ax1.axvspan(a - 0.5, b + 0.5, color=colours[min(p, 3)], alpha=0.4, lw=0)
    ax1.set_ylabel("difference")
    ax1.set_title("cuts (red) and cadence runs (grey ones, blue twos, green threes, pink fours)")
    ax2.step([float(t) for t in report.taus], np.arange(len(report.taus)), where="post", lw=0.8)
    ax2.set_xlabel("source frame")
    ax2.set_ylabel(f"output frame ({report.fps_out} fps)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
