"""Frame <-> tensor conversion (docs/canvas.md §5): round trips, zimg agreement, chroma siting,
matrices, sparse resampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import vapoursynth as vs

from vsafi.frames import FrameFormat, frame_to_gray, frame_to_tensor, resample, resample_taps, tensor_to_frame

core = vs.core
CPU = torch.device("cpu")
MATRIX_CODES = {"709": 1, "fcc": 4, "170m": 6, "240m": 7, "2020ncl": 9}


def random_clip(fmt: int, width: int = 48, height: int = 32, seed: int = 0, **props: int) -> vs.VideoNode:
    """One frame of deterministic noise over each plane's whole code range, with ``props`` set."""
    blank = core.std.BlankClip(width=width, height=height, format=fmt, length=1)

    def fill(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        rng = np.random.default_rng(seed)
        for p in range(out.format.num_planes):
            a = np.asarray(out[p])
            if a.dtype.kind == "f":
                lo = -0.5 if out.format.color_family == vs.YUV and p else 0.0
                a[...] = rng.uniform(lo, lo + 1.0, a.shape)
            else:
                a[...] = rng.integers(0, 1 << out.format.bits_per_sample, a.shape)
        return out

    clip = core.std.ModifyFrame(blank, blank, fill)
    return core.std.SetFrameProps(clip, **props) if props else clip


def planes(frame: vs.VideoFrame) -> list[np.ndarray]:
    return [np.array(frame[p]) for p in range(frame.format.num_planes)]


def to_rgb(clip: vs.VideoNode) -> np.ndarray:
    return frame_to_tensor(clip.get_frame(0), FrameFormat.of(clip), CPU)[0].numpy()


def zimg_rgb(clip: vs.VideoNode, **kw: str) -> np.ndarray:
    return np.stack(planes(core.resize.Bilinear(clip, format=vs.RGBS, **kw).get_frame(0)))


def dense(n_out: int, n_in: int, ss: int, offset: float, up: bool) -> np.ndarray:
    """The resampling operator as a full matrix, straight from its definition."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        if up:
            pos = min(max((i - offset) / ss, 0.0), n_in - 1)
            for j in range(n_in):
                m[i, j] = max(0.0, 1 - abs(pos - j))
        else:
            for j in range(n_in):
                m[i, j] = max(0.0, 1 - abs(j - (ss * i + offset)) / ss)
            m[i] /= m[i].sum()
    return m


@pytest.mark.parametrize("fmt", [vs.RGB24, vs.RGB30, vs.RGBS, vs.RGBH, vs.YUV444P8, vs.YUV444P16, vs.YUV444PS])
def test_round_trip(fmt):
    clip = random_clip(fmt, _Matrix=1)
    frame, ff = clip.get_frame(0), FrameFormat.of(clip)
    back = tensor_to_frame(frame_to_tensor(frame, ff, CPU), frame, ff)
    for a, b in zip(planes(frame), planes(back)):
        assert a.dtype == b.dtype
        if a.dtype.kind == "f" and ff.is_yuv:
            np.testing.assert_allclose(b, a, atol=2e-6)
        elif ff.is_yuv:
            assert np.abs(a.astype(np.int64) - b).max() <= 1
        else:
            assert np.array_equal(a, b)


@pytest.mark.parametrize("fmt", [vs.YUV420P8, vs.YUV420P10, vs.YUV422P8, vs.YUV422P10])
@pytest.mark.parametrize("loc", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("matrix", ["709", "170m", "2020ncl"])
def test_yuv_to_rgb_matches_zimg(fmt, loc, matrix):
    clip = random_clip(fmt, seed=loc, _ChromaLocation=loc, _Matrix=MATRIX_CODES[matrix])
    np.testing.assert_allclose(to_rgb(clip), zimg_rgb(clip, matrix_in_s=matrix), atol=1e-4, rtol=0)


@pytest.mark.parametrize("props, size, matrix", [
    ({}, (1920, 1080), "709"),
    ({}, (720, 480), "170m"),
    ({"_Matrix": 2}, (720, 480), "170m"),
    ({"_Matrix": 2, "_ColorSpace": 9}, (720, 480), "2020ncl"),
    ({"_ColorSpace": 5}, (1920, 1080), "170m"),
    ({"_Matrix": 4}, (720, 480), "fcc"),
    ({"_Matrix": 7}, (1920, 1080), "240m"),
])
def test_matrix_choice(props, size, matrix):
    clip = random_clip(vs.YUV420P8, *size, _Range=0, **props)
    assert ("_Matrix" in clip.get_frame(0).props) == ("_Matrix" in props)
    np.testing.assert_allclose(to_rgb(clip), zimg_rgb(clip, matrix_in_s=matrix), atol=1e-4, rtol=0)


def test_full_range_matches_zimg():
    clip = random_clip(vs.YUV420P10, _Matrix=1, _Range=1, _ChromaLocation=1)
    np.testing.assert_allclose(to_rgb(clip), zimg_rgb(clip, matrix_in_s="709"), atol=1e-4, rtol=0)


@pytest.mark.parametrize("n_luma, ss", [(32, 2), (18, 2), (2, 2), (40, 4), (24, 1)])
@pytest.mark.parametrize("offset_kind", ["low", "centre", "high"])
@pytest.mark.parametrize("up", [True, False])
def test_sparse_resampler_equals_dense(n_luma, ss, offset_kind, up):
    offset = {"low": 0.0, "centre": (ss - 1) / 2, "high": float(ss - 1)}[offset_kind]
    n_chroma = n_luma // ss
    n_out, n_in = (n_luma, n_chroma) if up else (n_chroma, n_luma)
    idx, w = resample_taps(n_out, n_in, ss, offset, up, CPU)
    assert idx.shape == w.shape and idx.shape[0] == n_out and idx.shape[1] <= (2 if up else 2 * ss)
    m = torch.from_numpy(dense(n_out, n_in, ss, offset, up)).float()
    x = torch.rand(2, n_in, 7)
    torch.testing.assert_close(resample(x, 1, (idx, w)), torch.einsum("oi,bic->boc", m, x), atol=1e-6, rtol=0)
    x = torch.rand(3, 5, n_in)
    torch.testing.assert_close(resample(x, 2, (idx, w)), x @ m.T, atol=1e-6, rtol=0)


@pytest.mark.parametrize("fmt", [vs.YUV420P10, vs.YUV422P8])
@pytest.mark.parametrize("loc", [0, 1, 2, 3, 4, 5])
def test_rgb_to_subsampled_yuv(fmt, loc):
    clip = random_clip(fmt, _Matrix=9, _ChromaLocation=loc)
    frame, ff = clip.get_frame(0), FrameFormat.of(clip)
    rgb = torch.rand(1, 3, ff.height, ff.width)
    kr, kb = 0.2627, 0.0593
    r, g, b = rgb[0].double().numpy()
    y = kr * r + (1 - kr - kb) * g + kb * b
    ss_h, ss_w = 1 << ff.ss_h, 1 << ff.ss_w
    off_x = 0.0 if loc in (0, 2, 4) else (ss_w - 1) / 2
    off_y = 0.0 if loc in (2, 3) else (ss_h - 1) if loc in (4, 5) else (ss_h - 1) / 2
    mh = dense(ff.height // ss_h, ff.height, ss_h, off_y, False)
    mw = dense(ff.width // ss_w, ff.width, ss_w, off_x, False)
    u = mh @ ((b - y) / (2 * (1 - kb))) @ mw.T
    v = mh @ ((r - y) / (2 * (1 - kr))) @ mw.T
    shift = 1 << (ff.bits - 8)
    centre = 1 << (ff.bits - 1)
    want = [y * 219 * shift + 16 * shift, u * 224 * shift + centre, v * 224 * shift + centre]
    got = planes(tensor_to_frame(rgb, frame, ff))
    for g_, w_ in zip(got, want):
        assert g_.shape == w_.shape
        assert np.abs(g_ - w_).max() <= 0.5 + 1e-3


def test_gray_is_luma():
    clip = random_clip(vs.RGB24)
    frame = clip.get_frame(0)
    r, g, b = (p / 255.0 for p in planes(frame))
    np.testing.assert_allclose(frame_to_gray(frame, FrameFormat.of(clip)), 0.2126 * r + 0.7152 * g + 0.0722 * b,
                               atol=1e-6)
