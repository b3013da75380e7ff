"""Shared fixtures: golden pairs as clips, weight presence, plane readers."""

from __future__ import annotations

import os
from contextlib import contextmanager
from fractions import Fraction
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import vapoursynth as vs

from vsafi import weights

FIXTURES = Path(__file__).parent / "fixtures"
core = vs.core

# The filter holds glibc's mmap threshold at 128 KiB (vsafi/hostmem.py) so that a long clip's
# frame planes go back to the system. In this process, which plays short clips and runs the
# models on frames up to 480x272, it only turns every large tensor into a fresh mmap: GMFSS's
# pair pass took twice as long on two cores, with most of the extra time in page faults. The
# suite leaves the allocator alone here and in the processes it starts; test_host_memory
# measures host memory in a child process with the filter's default.
os.environ.setdefault("VSAFI_MALLOC", "keep")


def have_weights(model: str) -> bool:
    try:
        weights.find_weights_dir(model)
    except FileNotFoundError:
        return False
    return True


def needs_weights(model: str):
    """Skip mark for tests that need a model's weight files."""
    return pytest.mark.skipif(not have_weights(model),
                              reason=f"weights for {model} missing: run `python -m vsafi.weights install`")


def clip_from_arrays(frames, fps=Fraction(24000, 1001), fmt=vs.RGBS, props=None) -> vs.VideoNode:
    """A clip whose frame i is ``frames[i]`` ((3, H, W) float RGB in [0, 1]), converted to ``fmt``.

    ``props`` optionally maps frame index -> dict of frame props to set.
    """
    frames = [np.ascontiguousarray(f, dtype=np.float32) for f in frames]
    _, h, w = frames[0].shape
    blank = core.std.BlankClip(width=w, height=h, format=vs.RGBS, length=len(frames),
                               fpsnum=fps.numerator, fpsden=fps.denominator)

    def fill(n, f):
        out = f.copy()
        for p in range(3):
            np.asarray(out[p])[...] = frames[n][p]
        for k, v in (props or {}).get(n, {}).items():
            out.props[k] = v
        return out

    clip = core.std.ModifyFrame(blank, blank, fill)
    if fmt != vs.RGBS:
        kw = {} if vs.core.get_video_format(fmt).color_family == vs.RGB else {"matrix_s": "709"}
        clip = core.resize.Bicubic(clip, format=fmt, **kw)
    return clip


def audio_samples(path: Path) -> np.ndarray:
    """Every audio sample of a file's first audio track (channels, samples), decoded by bestsource."""
    audio = core.bs.AudioSource(str(path))
    return np.concatenate([np.stack([np.asarray(f[c]) for c in range(audio.num_channels)])
                           for f in audio.frames()], axis=1)


def planes(frame: vs.VideoFrame) -> list[np.ndarray]:
    return [np.array(frame[p]) for p in range(frame.format.num_planes)]


def rgb_of(frame: vs.VideoFrame) -> np.ndarray:
    return np.stack(planes(frame)).astype(np.float32)


@pytest.fixture(scope="session")
def golden_rife():
    return np.load(FIXTURES / "rife.npz")


def moving_box_frames(n: int, h: int = 64, w: int = 96, speed: float = 3.0, cut_at: int | None = None, hold: int = 1):
    """Flat box with an ink outline moving right over a soft gradient; a new scene from ``cut_at``.

    ``hold`` > 1 draws the box on twos/threes. Used where a clip's content only needs to be plain
    and deterministic; the anime look lives in ``vsafi.synthetic``.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = []
    for i in range(n):
        second = cut_at is not None and i >= cut_at
        drawn = i - i % hold
        bg = np.stack([0.3 + 0.4 * xx / w, 0.5 + 0.2 * yy / h, 0.6 - 0.3 * xx / w])
        if second:
            bg = np.stack([0.9 - 0.5 * yy / h, 0.2 + 0.1 * xx / w, 0.3 + 0.3 * yy / h])
        x0 = 10 + speed * drawn
        inside = (np.abs(xx - x0 - 10) < 10) & (np.abs(yy - h / 2) < 12)
        ring = (np.abs(xx - x0 - 10) < 12) & (np.abs(yy - h / 2) < 14) & ~inside
        img = bg.copy()
        img[:, inside] = np.array([0.9, 0.3, 0.2] if not second else [0.1, 0.8, 0.3])[:, None]
        img[:, ring] = 0.08
        out.append(img)
    return out


def assert_seek_equals_playback(src: vs.VideoNode, seed: int = 7, evict: bool = False, threads: int = 4,
                                **kw) -> None:
    """Frames of ``vsafi.interpolate(src, **kw)`` fetched in a shuffled order from ``threads``
    threads (on a fresh filter, so nothing is cached) equal the frames fetched sequentially, bit
    for bit.

    ``evict`` gives the shuffled filter a 1 KiB cache, so every intermediate (pyramid nodes,
    pair states, ratio maps) is evicted and recomputed again and again.
    """
    import vsafi

    seq = vsafi.interpolate(src, **kw)
    expected = [planes(seq.get_frame(j)) for j in range(seq.num_frames)]
    before = core.num_threads
    core.num_threads = threads
    try:
        shuffled = vsafi.interpolate(src, **(kw | {"cache_mb": 1 / 1024} if evict else kw))
        order = list(range(shuffled.num_frames))
        random.Random(seed).shuffle(order)
        with ThreadPoolExecutor(threads) as pool:
            got = dict(zip(order, pool.map(lambda j: planes(shuffled.get_frame(j)), order)))
    finally:
        core.num_threads = before
    for j in range(seq.num_frames):
        assert all(np.array_equal(a, b) for a, b in zip(got[j], expected[j])), f"output {j} differs"


@pytest.fixture
def crossfade(monkeypatch):
    """The toy model of tests/toy_model/ (a crossfade, no motion), registered as 'crossfade' for
    one test: one registry entry is all a model needs."""
    from vsafi.models.registry import MODELS, ModelSpec

    monkeypatch.setitem(MODELS, "crossfade", ModelSpec("crossfade", "a crossfade", (), 8, "replicate",
                                                       "toy_model.backend:load"))
    return "crossfade"


@contextmanager
def counting(owner: object, name: str) -> Iterator[list[int]]:
    """Counts calls of ``owner.name`` while the block runs (a list with one entry per call), then
    puts the original back: model work is counted by the test, not by the model."""
    calls: list[int] = []
    real = getattr(owner, name)
    own = name in vars(owner)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    setattr(owner, name, counted)
    try:
        yield calls
    finally:
        if own:
            setattr(owner, name, real)
        else:
            delattr(owner, name)
