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

from .cuts import (CUT_REACH, DEFAULT_RATIO, Change, CutDetector, CutScore, CutThumbs, change_reader, cut_test,
                   cut_thumbs)
from .frames import FrameFormat, frame_to_gray, frame_to_tensor
from .modes.forward.blocks import BLOCK, MIN_MEASURED, block_passes, measure_range
from .modes.gray import analysis_image
from .timing.timemap import as_fraction, check_rates, output_length, source_time

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
    cut_scores: list[tuple[CutScore, CutScore]] = field(default_factory=list, repr=False)

    def runs(self) -> list[tuple[int, int, int]]:
        """(first frame, last frame, N) for every run of equal forward passes."""
        starts = set(self.scene_starts)
        out: list[tuple[int, int, int]] = []
        for i, p in enumerate(self.passes):
            if out and out[-1][2] == p and i not in starts:
                out[-1] = (out[-1][0], i, p)
            else:
                out.append((i, i, p))
        return out

    def summary(self) -> str:
        cadence = {0: "ones", 1: "twos", 2: "threes", 3: "fours"}
        lines = [f"{self.num_frames} frames at {self.fps} fps -> {len(self.taus)} frames at {self.fps_out} fps",
                 f"scene starts: {self.scene_starts}"]
        ends = self.scene_starts[1:] + [self.num_frames]
        for a, b, p in self.runs():
            scene = max(i for i, start in enumerate(self.scene_starts) if start <= a)
            if ends[scene] - self.scene_starts[scene] < MIN_MEASURED:
                what = f"too short to measure a cadence (under {MIN_MEASURED} frames)"
            else:
                what = f"on {cadence.get(p, str(p + 1))}"
            lines.append(f"  frames {a:6d}-{b:6d}: {what} (forward passes N={p})")
        return "\n".join(lines)

    def score_table(self) -> str:
        """One line per pair and measure (structure, new content): its change, the motion around
        it and what a cut needed there; then the verdict (CUT; 'returns' where a change large
        enough came back, as a flash does)."""
        starts = set(self.scene_starts)
        lines = ["pair           structure: change  around  needed   new content: change  around  needed"]
        for i, (st, nc) in enumerate(self.cut_scores):
            verdict = "  CUT" if i + 1 in starts else ("  returns (flash?)" if st.returned or nc.returned else "")
            lines.append(f"{i:6d}-{i + 1:<6d} {st.change:17.3f} {st.around:7.3f} {st.needed:7.3f} "
                         f"{nc.change:21.3f} {nc.around:7.3f} {nc.needed:7.3f}{verdict}")
        return "\n".join(lines)


class _ScoredCuts:
    """The contrast test's verdicts, read from the scores ``analyze`` has already recorded."""

    def __init__(self, scores: list[tuple[CutScore, CutScore]]) -> None:
        self.scores = scores

    def is_cut(self, i: int) -> bool:
        return any(sc.cut for sc in self.scores[i])


def analyze(clip: vs.VideoNode, *, scene_ratio: float | None = DEFAULT_RATIO, scenes: Sequence[int] | None = None,
            fps=None, factor=None, phase: str = "standard") -> Analysis:
    """Analyse ``clip``, reading every frame once and keeping only a window of small images.

    ``fps``/``factor`` set the timing map (default 2×). Cuts are decided as the filter decides
    them (``scene_ratio``, ``scenes``, upstream props), each pair's contrast score recorded.
    """
    if not isinstance(clip, vs.VideoNode) or clip.format is None:
        raise vs.Error("analyze: clip must be a constant-format vs.VideoNode")
    fmt = FrameFormat.of(clip)
    n = clip.num_frames
    fps_src = Fraction(clip.fps.numerator, clip.fps.denominator) if clip.fps.numerator else Fraction(24000, 1001)
    fps_out = as_fraction(fps) if fps is not None else fps_src * as_fraction(factor if factor is not None else 2)
    if fps_out <= 0:
        raise ValueError(f"analyze: the output rate must be positive, not {fps_out}")
    check_rates(fps_src, fps_out)
    grays: dict[int, np.ndarray] = {}
    thumbs: dict[int, CutThumbs] = {}
    props: dict[int, dict] = {}

    adjacent: dict[int, Change] = {}

    def remember(a: int, make) -> Change:
        if a not in adjacent:
            adjacent[a] = make()
        return adjacent[a]

    # Every pair is scored for the report (with the default ratio where detection is off); the
    # verdict the filter would use is read from that score, not computed again.
    contrast = CutDetector(change_reader(thumbs.__getitem__, remember), n, scene_ratio or DEFAULT_RATIO)
    scores: list[tuple[CutScore, CutScore]] = []
    decide = cut_test(scenes, props.__getitem__, None if scene_ratio is None else _ScoredCuts(scores))
    cuts: list[bool] = []
    diffs = [0.0]
    passes: list[int] = []
    block, blocks = 0, -(-n // BLOCK)
    for i, frame in enumerate(clip.frames(close=True)):
        grays[i] = analysis_image(frame_to_gray(frame, fmt))
        thumbs[i] = cut_thumbs(frame_to_tensor(frame, fmt, torch.device("cpu")))
        props[i] = dict(frame.props)
        if i:
            diffs.append(float(np.abs(grays[i] - grays[i - 1]).mean()))
        # Pair p reads frames up to p + 1 + CUT_REACH; decide each as soon as they are in.
        while len(cuts) < n - 1 and (len(cuts) + 1 + CUT_REACH <= i or i == n - 1):
            p = len(cuts)
            scores.append(contrast.scores(p))
            cuts.append(decide(p))
        oldest = len(cuts) - CUT_REACH - 1
        for k in [k for k in thumbs if k < oldest]:
            del thumbs[k], props[k]
            adjacent.pop(k, None)
        while block < blocks and (measure_range(block, n).stop - 1 <= len(cuts) or i == n - 1):
            got = block_passes(block, n, cuts.__getitem__, grays.__getitem__)
            passes += [got[k] for k in sorted(got)]
            block += 1
            keep_from = measure_range(block, n).start if block < blocks else i
            for k in [k for k in grays if k < keep_from]:
                del grays[k]
    ratio = fps_out / fps_src
    taus = [source_time(j, ratio, phase) for j in range(output_length(n, ratio))]
    return Analysis(n, fps_src, fps_out, diffs, [0] + [i + 1 for i, c in enumerate(cuts) if c], passes, taus,
                    scores)


def plot_analysis(report: Analysis, path: Path) -> None:
    """Difference per frame with cuts and cadence runs, and the output timing map, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ValueError("plotting needs matplotlib: pip install matplotlib") from exc
    fig, (ax1, ax3, ax2) = plt.subplots(3, 1, figsize=(12, 8), sharex=True)
    x = np.arange(report.num_frames)
    ax1.plot(x, report.diffs, lw=0.8, label="mean |ΔY| to previous frame")
    for s in report.scene_starts[1:]:
        ax1.axvline(s - 0.5, color="red", lw=0.8)
    colours = ["#dddddd", "#a6cee3", "#b2df8a", "#fb9a99"]
    for a, b, p in report.runs():
        ax1.axvspan(a - 0.5, b + 0.5, color=colours[min(p, 3)], alpha=0.4, lw=0)
    ax1.set_ylabel("difference")
    ax1.set_title("cuts (red) and cadence runs (grey ones, blue twos, green threes, pink fours)")
    pairs = np.arange(len(report.cut_scores)) + 0.5
    for k, (name, colour) in enumerate((("structure", "tab:blue"), ("new content", "tab:orange"))):
        ax3.plot(pairs, [sc[k].change for sc in report.cut_scores], lw=0.8, color=colour, label=f"{name}: change")
        ax3.plot(pairs, [sc[k].needed for sc in report.cut_scores], lw=0.8, ls="--", color=colour,
                 label=f"{name}: needed for a cut")
    for s in report.scene_starts[1:]:
        ax3.axvline(s - 0.5, color="red", lw=0.8)
    ax3.set_ylabel("cut score")
    ax3.legend(loc="upper right", fontsize=8)
    ax2.step([float(t) for t in report.taus], np.arange(len(report.taus)), where="post", lw=0.8)
    ax2.set_xlabel("source frame")
    ax2.set_ylabel(f"output frame ({report.fps_out} fps)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
