"""The networks' weight layout (``conv_layout``): channels_last on CUDA, where cuDNN's fp16
convolutions run faster in it, NCHW on the CPU. The layout may change rounding, never a picture
or seeking; on the CPU it is checked by forcing channels_last."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, needs_weights, planes
from vsafi.engine.backends import get_backend
from vsafi.models.backend import conv_layout
from vsafi.synthetic import demo_clip, to_vs_clip


def test_channels_last_on_cuda_and_nchw_on_the_cpu_unless_chosen(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.delenv("VSAFI_CHANNELS_LAST", raising=False)
    assert (conv_layout(cpu), conv_layout(cuda)) == (torch.contiguous_format, torch.channels_last)
    monkeypatch.setenv("VSAFI_CHANNELS_LAST", "1")
    assert conv_layout(cpu) == torch.channels_last
    monkeypatch.setenv("VSAFI_CHANNELS_LAST", "0")
    assert conv_layout(cuda) == torch.contiguous_format
    monkeypatch.setenv("VSAFI_CHANNELS_LAST", "yes")
    with pytest.raises(ValueError, match="VSAFI_CHANNELS_LAST must be 1 or 0"):
        conv_layout(cpu)


def _psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    mse = float(np.mean([np.mean((x.astype(np.float64) - y) ** 2) for x, y in zip(a, b)]))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def _forced_channels_last(monkeypatch, src: vs.VideoNode, **kw):
    """Render ``src`` with NCHW weights, then with channels_last forced: (the worst PSNR of the
    second's outputs against the first's, the NCHW backend, the channels_last backend)."""
    monkeypatch.delenv("VSAFI_CHANNELS_LAST", raising=False)
    nchw = vsafi.interpolate(src, **kw)
    nchw_backend = get_backend(kw["model"], device="cpu")
    expected = [planes(nchw.get_frame(j)) for j in range(nchw.num_frames)]
    monkeypatch.setenv("VSAFI_CHANNELS_LAST", "1")
    nhwc = vsafi.interpolate(src, **kw)
    worst = min(_psnr(planes(nhwc.get_frame(j)), expected[j]) for j in range(nhwc.num_frames))
    return worst, nchw_backend, get_backend(kw["model"], device="cpu")


@needs_weights("rife")
@pytest.mark.parametrize("mode", ["forward", "drba"])
def test_forced_channels_last_changes_rounding_only(monkeypatch, mode):
    """The same clip with the weights in channels_last: a separately loaded model whose weights
    are in that layout, pictures within rounding of NCHW's, and seeking still exact."""
    src = to_vs_clip(demo_clip(160, 96), fps=Fraction(24000, 1001), format=vs.RGBS)[:6]
    kw = dict(fps=Fraction(60000, 1001), mode=mode, model="rife", device="cpu")
    worst, nchw_backend, backend = _forced_channels_last(monkeypatch, src, **kw)
    assert backend is not nchw_backend
    conv = next(p for p in backend.module.parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert worst >= 100, f"channels_last moved a picture: {worst:.1f} dB"
    assert_seek_equals_playback(src, evict=True, **kw)


@needs_weights("gmfss_union")
def test_forced_channels_last_changes_rounding_only_in_gmfss_union(monkeypatch):
    """GMFSS-union's networks (and the IFNet its DRBA flows come from) in channels_last: the
    same pictures within rounding. 384x192: GMFlow matches at 1/16 of the frame."""
    src = to_vs_clip(demo_clip(384, 192), fps=Fraction(24000, 1001), format=vs.RGBS)[8:11]
    kw = dict(factor=2, mode="plain", model="gmfss_union", device="cpu")
    worst, _, backend = _forced_channels_last(monkeypatch, src, **kw)
    assert all(p.is_contiguous(memory_format=torch.channels_last)
               for net in (backend.module, backend.flow_net) for p in net.parameters() if p.dim() == 4)
    assert worst >= 100, f"channels_last moved a picture: {worst:.1f} dB"
