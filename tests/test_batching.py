"""Batching (``batch=``): concurrent passes share one padded pass of a fixed size, and no frame
depends on which requests shared its pass.

The Batcher is driven with a toy network whose first pass is held open, so which requests
queue behind it is fixed by the test, not by thread timing; the filter tests then run RIFE
itself under many threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
import torch
import vapoursynth as vs

from conftest import assert_seek_equals_playback, needs_weights, planes
from vsafi import interpolate
from vsafi.cli import build_parser
from vsafi.engine.backends import get_backend
from vsafi.models.batching import MAX_BATCH, Batcher
from vsafi.models.rife.ifnet import block_scales
from vsafi.synthetic import AnimeClip, mixed_scene, to_vs_clip

core = vs.core


class HeldNet:
    """Per sample: 10·x + t. Records each pass's batch size; the first pass waits for ``go``."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.started = threading.Event()
        self.go = threading.Event()

    def __call__(self, x: torch.Tensor, t: torch.Tensor, *, offset: float = 0.0) -> torch.Tensor:
        if not self.sizes:
            self.started.set()
            assert self.go.wait(10)
        self.sizes.append(x.shape[0])
        return 10 * x + t.view(-1, 1) + offset


def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def _run_held(batcher: Batcher, net: HeldNet, later: list[tuple], first=(torch.zeros(1, 2), torch.zeros(1))):
    """Start one call that holds the model, queue ``later`` calls behind it, then let go."""
    with ThreadPoolExecutor(len(later) + 1) as pool:
        head = pool.submit(batcher, net, *first)
        assert net.started.wait(10)
        futures = [pool.submit(batcher, net, *args, **kw) for args, kw in later]
        _until(lambda: batcher.waiting() == len(later))
        net.go.set()
        return head.result(10), [f.result(10) for f in futures]


def _request(i: int, **kw) -> tuple:
    return (torch.full((1, 2), float(i)), torch.tensor([i / 10])), kw


def test_requests_that_queue_during_a_pass_share_the_next_one_padded_to_the_batch():
    net, batcher = HeldNet(), Batcher(4, threading.Lock())
    _, outs = _run_held(batcher, net, [_request(i) for i in (1, 2, 3)])
    assert net.sizes == [4, 4]  # the lone first request is padded as well
    assert (batcher.passes, batcher.served) == (2, 4)
    for i, out in zip((1, 2, 3), outs):
        assert out.shape == (1, 2)
        assert torch.equal(out, torch.full((1, 2), 10.0 * i + np.float32(i / 10)))


def test_more_requests_than_a_batch_take_several_passes_in_arrival_order():
    net, batcher = HeldNet(), Batcher(2, threading.Lock())
    _, outs = _run_held(batcher, net, [_request(i) for i in range(1, 6)])
    assert net.sizes == [2, 2, 2, 2]
    assert batcher.served == 6
    assert [float(o[0, 0]) for o in outs] == pytest.approx([10.1, 20.2, 30.3, 40.4, 50.5])


def test_calls_that_differ_in_shape_or_arguments_never_share_a_pass():
    net, batcher = HeldNet(), Batcher(4, threading.Lock())
    later = [_request(1), _request(2, offset=5.0), ((torch.ones(1, 3), torch.tensor([0.0])), {}), _request(3)]
    _, outs = _run_held(batcher, net, later)
    assert sorted(net.sizes) == [4, 4, 4, 4]
    assert batcher.passes == 4  # the head, requests 1 and 3 together, and one pass for each of the others
    assert float(outs[1][0, 0]) == pytest.approx(20.2 + 5.0)
    assert outs[2].shape == (1, 3)


def test_an_error_in_a_pass_reaches_every_request_it_held():
    lock = threading.Lock()
    batcher = Batcher(4, lock)
    calls = []

    def broken(x: torch.Tensor) -> torch.Tensor:
        calls.append(x.shape[0])
        raise RuntimeError("out of memory")

    with ThreadPoolExecutor(3) as pool:
        with lock:  # holding the model's lock lets all three queue
            futures = [pool.submit(batcher, broken, torch.zeros(1, 2)) for _ in range(3)]
            _until(lambda: batcher.waiting() == 3)
    for f in futures:
        with pytest.raises(RuntimeError, match="out of memory"):
            f.result(10)
    assert calls == [4]


def test_a_call_without_a_batch_dimension_runs_alone():
    batcher = Batcher(4, threading.Lock())
    out = batcher(lambda x: x * 2, torch.tensor(3.0))
    assert float(out) == 6.0
    assert (batcher.passes, batcher.served) == (1, 1)


@needs_weights("rife")
def test_a_rife_frame_is_the_same_whatever_shares_its_pass():
    """One request, batched with different companions in different places: identical bits."""
    backend = get_backend("rife", device="cpu", batch=3)
    gen = torch.Generator().manual_seed(3)
    img0, img1, other = (torch.rand(1, 3, 64, 96, generator=gen) for _ in range(3))
    scales = block_scales(1.0)
    results = []
    for companions in ([], [(other, img0, 0.9)], [(img1, other, 0.1), (other, other, 0.5)]):
        passes_before = backend.batcher.passes
        with ThreadPoolExecutor(3) as pool:
            with backend.lock:  # held until all have queued, so they share one pass
                mine = pool.submit(backend.batcher, backend.module, img0, img1, torch.tensor([0.3]), scales=scales)
                others = [pool.submit(backend.batcher, backend.module, a, b, torch.tensor([t]), scales=scales)
                          for a, b, t in companions]
                _until(lambda: backend.batcher.waiting() == 1 + len(companions))
            results.append(mine.result(60))
            for f in others:
                f.result(60)
        assert backend.batcher.passes - passes_before == 1
    assert all(torch.equal(results[0], r) for r in results[1:])


def _clip(w: int = 96, h: int = 64) -> vs.VideoNode:
    anime = AnimeClip(w, h, [mixed_scene(w, h, (2, 3), length=10, pan=(0.0, 1.5), seed=4)])
    return to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.YUV420P8)


@needs_weights("rife")
@pytest.mark.parametrize("mode", ["forward", "drba"])
def test_batched_frames_seek_as_they_play_and_equal_unbatched_ones_on_the_cpu(mode: str):
    """Shuffled from 8 threads with every intermediate evicted, batch 4 gives playback's frames bit
    for bit; against unbatched frames they differ by at most one code value (some CPUs' convolution
    kernels for a batch of 4 round differently from those for one), with the same number of model
    requests, served by fewer passes."""
    src = _clip()
    assert_seek_equals_playback(src, seed=2, evict=True, threads=8, fps=Fraction(60000, 1001), mode=mode,
                                device="cpu", batch=4)
    alone = interpolate(src, fps=Fraction(60000, 1001), mode=mode, device="cpu")
    batched_backend = get_backend("rife", device="cpu", batch=4)
    alone_backend = get_backend("rife", device="cpu")
    before = core.num_threads
    core.num_threads = 8
    try:
        calls0, passes0 = batched_backend.calls, batched_backend.batcher.passes
        batched = interpolate(src, fps=Fraction(60000, 1001), mode=mode, device="cpu", batch=4)
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda j: planes(batched.get_frame(j)), range(batched.num_frames)))
        calls, passes = batched_backend.calls - calls0, batched_backend.batcher.passes - passes0
    finally:
        core.num_threads = before
    alone_calls0 = alone_backend.calls
    expected = [planes(alone.get_frame(j)) for j in range(alone.num_frames)]
    assert calls == alone_backend.calls - alone_calls0
    assert passes < calls
    for j, (a, b) in enumerate(zip(got, expected)):
        worst = max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(a, b))
        assert worst <= 1, f"output {j} differs from its unbatched frame by {worst} code values"


@pytest.mark.parametrize("batch", [0, MAX_BATCH + 1, 2.0, True, "4"])
def test_a_batch_that_is_not_a_small_integer_is_refused_naming_the_range(batch):
    with pytest.raises(vs.Error, match=rf"interpolate: batch must be an integer from 1 .* to {MAX_BATCH}"):
        interpolate(_clip(), factor=2, batch=batch, device="cpu")


def test_the_command_line_refuses_a_bad_batch(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["-i", "a.mkv", "-o", "b.mkv", "--fps", "60", "--batch", "0"])
    assert f"an integer from 1 to {MAX_BATCH}" in capsys.readouterr().err


def test_a_batch_larger_than_the_thread_count_is_pointed_out(capfd):
    before = core.num_threads
    core.num_threads = 2
    try:
        interpolate(_clip(), factor=2, batch=4, device="cpu")
    finally:
        core.num_threads = before
    assert "batch=4 with 2 VapourSynth threads" in capfd.readouterr().err
