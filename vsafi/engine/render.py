"""Execute plans with a model, caching every intermediate by deterministic source-index keys.

Keys: ('src', i) padded source tensor, ('ana', i) small gray image for cadence, ('thumb', i) scene-cut thumbnails,
('diff', i) cut-test change of F[i] and F[i+1], ('cut', i) SC(i),
('pair', a, b) pair work between two nodes, ('node', l, i) forward-dedup pyramid node.
A value depends only on its key, never on which output frame asked first, so seeking gives the
same pictures as playback.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

import torch
import vapoursynth as vs

from ..timing.plan import Interp, Node
from .backend import Backend, Canvas
from .cache import OnceCache
from ..cadence import analysis_image
from .convert import FrameFormat, frame_to_gray, frame_to_tensor
from .scenecut import Change, CutThumbs, cut_thumbs, pair_change

__all__ = ["Renderer", "Frames"]

Frames = Mapping[int, vs.VideoFrame]

_HALF = Fraction(1, 2)


class Renderer:
    """Per-filter state: the backend, the canvas of this clip and the cache."""

    def __init__(self, backend: Backend, fmt: FrameFormat, cache: OnceCache) -> None:
        self.backend = backend
        self.fmt = fmt
        self.canvas: Canvas = backend.canvas(fmt.height, fmt.width)
        self.cache = cache

    def source(self, i: int, frames: Frames) -> torch.Tensor:
        """Source frame i as RGB on the model canvas in the compute dtype (cached)."""

        def make() -> torch.Tensor:
            x = frame_to_tensor(frames[i], self.fmt, self.backend.device)
            return self.canvas.pad(x.clamp(0, 1)).to(self.backend.dtype).contiguous()

        return self.cache.get(("src", i), make)

    def thumb(self, i: int, frames: Frames) -> CutThumbs:
        """Cut-test thumbnails of the source frame itself (not the canvas), so cuts never depend on the model."""
        return self.cache.get(("thumb", i),
                              lambda: cut_thumbs(frame_to_tensor(frames[i], self.fmt, self.backend.device)))

    def change(self, a: int, b: int, frames: Frames) -> Change:
        """Cut-test change of frames a < b (:func:`pair_change`); neighbours' changes are read by
        several cut decisions, so those are cached."""
        if b != a + 1:
            return pair_change(self.thumb(a, frames), self.thumb(b, frames))
        return self.cache.get(("diff", a), lambda: pair_change(self.thumb(a, frames), self.thumb(b, frames)))

    def analysis(self, i: int, frames: Frames):
        """Small gray image of frame i for cadence measurement (cached)."""
        return self.cache.get(("ana", i), lambda: analysis_image(frame_to_gray(frames[i], self.fmt)))

    def cut(self, i: int, decide: Callable[[int], bool]) -> bool:
        return self.cache.get(("cut", i), lambda: decide(i))

    def node(self, node: Node, frames: Frames) -> torch.Tensor:
        """Pyramid node L[l][i]: a source frame or MID of two nodes one level down (cached)."""
        if node.level == 0:
            return self.source(node.index, frames)

        def make() -> torch.Tensor:
            a = Node(node.level - 1, node.index)
            b = Node(node.level - 1, node.index + 1)
            return self.vfi(a, b, _HALF, frames)

        return self.cache.get(("node", node.level, node.index), make)

    def pair(self, a: Node, b: Node, frames: Frames):
        """Pair work between two nodes (cached); the nodes are only fetched when it is computed."""
        return self.cache.get(("pair", a, b), lambda: self.backend.pair(self.node(a, frames), self.node(b, frames)))

    def vfi(self, a: Node, b: Node, t: Fraction | float | torch.Tensor, frames: Frames) -> torch.Tensor:
        """VFI(a, b, t) on the canvas; a is the earlier node."""
        tt = float(t) if isinstance(t, Fraction) else t
        if self.backend.has_pair_work:
            return self.backend.synth(None, None, self.pair(a, b, frames), tt)
        return self.backend.synth(self.node(a, frames), self.node(b, frames), None, tt)

    def interp(self, plan: Interp, frames: Frames) -> torch.Tensor:
        """The output image of an Interp plan, cropped to the clip size (float32 RGB)."""
        if plan.b is None:
            out = self.node(plan.a, frames)
        else:
            out = self.vfi(plan.a, plan.b, plan.t, frames)
        return self.canvas.crop(out).float()
