"""VapourSynth frames <-> tensors: the only code that knows plane layouts and colour matrices.

Source frames become (1, 3, H, W) float32 RGB tensors in [0, 1] on the compute device; chroma
resampling and the YUV matrix run there too (on a GPU the CPU only copies planes, one transfer
per frame each way). Rendered tensors go back to the clip's own format: RGB or YUV, 8–16 bit
integer (rounded, clamped) or half/single float.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import torch
import vapoursynth as vs


__all__ = ["FrameFormat", "FrameWindow", "KR_KB", "frame_to_tensor", "frame_to_gray", "tensor_to_frame",
           "resample_taps", "resample"]

#: (Kr, Kb) for the _Matrix (or legacy _ColorSpace) values we honour: 1 = BT.709, 4 = FCC,
#: 5/6 = BT.601 (470bg/170m), 7 = SMPTE 240M, 9/10 = BT.2020.
KR_KB = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 5: (0.299, 0.114), 6: (0.299, 0.114), 7: (0.212, 0.087),
         9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}
#: BT.709 luma weights of R, G, B, for the gray image of an RGB clip.
_LUMA_RGB = np.array([KR_KB[1][0], 1 - KR_KB[1][0] - KR_KB[1][1], KR_KB[1][1]], np.float32)


@dataclass(frozen=True)
class FrameFormat:
    """What the converter needs to know about a clip, fixed at filter construction."""

    color_family: int
    sample_type: int
    bits: int
    ss_w: int
    ss_h: int
    width: int
    height: int

    @classmethod
    def of(cls, clip: vs.VideoNode) -> "FrameFormat":
        f = clip.format
        return cls(f.color_family, f.sample_type, f.bits_per_sample, f.subsampling_w, f.subsampling_h,
                   clip.width, clip.height)

    @property
    def is_yuv(self) -> bool:
        return self.color_family == vs.YUV

    @property
    def is_float(self) -> bool:
        return self.sample_type == vs.FLOAT


def _matrix_of(props: Mapping[str, Any], fmt: FrameFormat) -> tuple[float, float]:
    """(Kr, Kb) from ``_Matrix``, else the legacy ``_ColorSpace``, else 709 for HD and 170m for SD."""
    m = int(props.get("_Matrix", 2))
    if m == 2:
        m = int(props.get("_ColorSpace", 2))
    if m in KR_KB:
        return KR_KB[m]
    hd = fmt.width > 1024 or fmt.height > 576
    return KR_KB[1] if hd else KR_KB[6]


def _full_range(props: Mapping[str, Any], fmt: FrameFormat) -> bool:
    """R81's ``_Range`` (1 = full, 0 = limited; note: the reverse of the old ``_ColorRange``)."""
    default = int(vs.RANGE_LIMITED if fmt.is_yuv else vs.RANGE_FULL)
    return int(props.get("_Range", default)) == int(vs.RANGE_FULL)


def _chroma_offsets(props: Mapping[str, Any], fmt: FrameFormat) -> tuple[float, float]:
    """(vertical, horizontal) luma position of chroma sample 0 per ``_ChromaLocation`` (default 0, left).

    Horizontal: 0 for left sitings (0, 2, 4), else centred at (ss−1)/2. Vertical: 0 for top (2, 3),
    ss−1 for bottom (4, 5), else centred. Chroma sample j then sits at ss·j + offset.
    """
    loc = int(props.get("_ChromaLocation", 0))
    ss_h, ss_w = 1 << fmt.ss_h, 1 << fmt.ss_w
    x = 0.0 if loc in (0, 2, 4) else (ss_w - 1) / 2
    y = 0.0 if loc in (2, 3) else float(ss_h - 1) if loc in (4, 5) else (ss_h - 1) / 2
    return y, x


@lru_cache(maxsize=64)
def _taps_cpu(n_out: int, n_in: int, ss: int, offset: float, up: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`resample_taps` on the host: int64 indices and float32 weights, both (n_out, K)."""
    if up:
        pos = np.clip((np.arange(n_out) - offset) / ss, 0, n_in - 1)
        lo = np.floor(pos).astype(np.int64)
        frac = pos - lo
        idx = np.stack([lo, np.minimum(lo + 1, n_in - 1)], axis=1)
        w = np.stack([1 - frac, frac], axis=1)
    else:
        centres = np.arange(n_out) * ss + offset
        idx = (np.floor(centres).astype(np.int64) - ss + 1)[:, None] + np.arange(2 * ss)
        w = np.clip(1 - np.abs(idx - centres[:, None]) / ss, 0, None)
        w[(idx < 0) | (idx >= n_in)] = 0
        keep = w.any(axis=0)
        idx, w = np.clip(idx[:, keep], 0, n_in - 1), w[:, keep]
        w /= w.sum(axis=1, keepdims=True)
    return idx, w.astype(np.float32)


@lru_cache(maxsize=64)
def resample_taps(n_out: int, n_in: int, ss: int, offset: float, up: bool,
                  device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Tap table (indices, weights), each (n_out, K), for linear resampling along one axis.

    The axis runs between luma samples and chroma subsampled by ss, chroma sample j at luma
    position ss·j + offset. Upsampling (chroma → luma, K = 2) interpolates linearly between chroma
    samples, replicating the edges; downsampling (luma → chroma, K ≤ 2·ss) averages the luma
    samples under a triangle of half-width ss around each chroma position, renormalised at edges.
    Each column (one tap for every output) is contiguous in memory.
    """
    idx, w = _taps_cpu(n_out, n_in, ss, offset, up)
    return (torch.from_numpy(np.ascontiguousarray(idx.T)).to(device).T,
            torch.from_numpy(np.ascontiguousarray(w.T)).to(device).T)


def resample(x: torch.Tensor, dim: int, taps: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """``x`` resampled along ``dim`` by a tap table from :func:`resample_taps`: K gathers and a weighted sum."""
    idx, w = taps
    dim %= x.dim()
    shape = [1] * x.dim()
    shape[dim] = -1
    size = list(x.shape)
    size[dim] = idx.shape[0]

    def pick(k: int) -> torch.Tensor:
        if dim == x.dim() - 1:
            return torch.gather(x, dim, idx[:, k].view(shape).expand(size))
        return x.index_select(dim, idx[:, k])

    out = pick(0).mul_(w[:, 0].view(shape))
    for k in range(1, idx.shape[1]):
        out.addcmul_(pick(k), w[:, k].view(shape))
    return out


def _resample_chroma(uv: torch.Tensor, fmt: FrameFormat, props: Mapping[str, Any], up: bool) -> torch.Tensor:
    """(2, h, w) chroma planes moved between the chroma and the luma grid.

    Rows are resampled on the larger grid and columns (the slower gather) on the smaller one.
    """
    off_y, off_x = _chroma_offsets(props, fmt)
    ch, cw = fmt.height >> fmt.ss_h, fmt.width >> fmt.ss_w
    axes = [(1, fmt.ss_h, fmt.height, ch, off_y), (2, fmt.ss_w, fmt.width, cw, off_x)]
    for dim, ss_log2, n_luma, n_chroma, offset in (reversed(axes) if up else axes):
        if ss_log2:
            n_out, n_in = (n_luma, n_chroma) if up else (n_chroma, n_luma)
            uv = resample(uv, dim, resample_taps(n_out, n_in, 1 << ss_log2, offset, up, uv.device))
    return uv


def _upload(frame: vs.VideoFrame, device: torch.device) -> torch.Tensor:
    """All three planes, flattened and concatenated, as one float32 tensor on ``device`` (one copy)."""
    buf = np.concatenate([np.asarray(frame[p]).ravel() for p in range(3)])
    if buf.dtype == np.uint16:
        t = torch.from_numpy(buf.view(np.int16)).to(device, non_blocking=True)
        return t.to(torch.int32).bitwise_and_(0xFFFF).float()
    return torch.from_numpy(buf).to(device, non_blocking=True).float()


def frame_to_tensor(frame: vs.VideoFrame, fmt: FrameFormat, device: torch.device) -> torch.Tensor:
    """A source frame as a (1, 3, H, W) float32 RGB tensor in [0, 1] (not clamped for float input)."""
    flat = _upload(frame, device)
    props = frame.props
    h, w = fmt.height, fmt.width
    n_y = h * w if fmt.is_yuv else 3 * h * w
    if not fmt.is_float:
        peak = (1 << fmt.bits) - 1
        if _full_range(props, fmt):
            scale_y, off_y, scale_c = 1.0 / peak, 0.0, 1.0 / peak
        else:
            shift = 1 << (fmt.bits - 8)
            scale_y, off_y, scale_c = 1.0 / (219 * shift), 16.0 * shift, 1.0 / (224 * shift)
        flat[:n_y].sub_(off_y).mul_(scale_y)
        flat[n_y:].sub_(float(1 << (fmt.bits - 1))).mul_(scale_c)
    if not fmt.is_yuv:
        return flat.view(1, 3, h, w)
    y = flat[:n_y].view(h, w)
    uv = flat[n_y:].view(2, h >> fmt.ss_h, w >> fmt.ss_w)
    if fmt.ss_w or fmt.ss_h:
        uv = _resample_chroma(uv, fmt, props, up=True)
    u, v = uv
    kr, kb = _matrix_of(props, fmt)
    kg = 1 - kr - kb
    rgb = torch.empty((1, 3, h, w), dtype=torch.float32, device=device)
    r, g, b = rgb[0]
    torch.add(y, v, alpha=2 * (1 - kr), out=r)
    torch.add(y, u, alpha=2 * (1 - kb), out=b)
    torch.add(y, v, alpha=-2 * kr * (1 - kr) / kg, out=g).add_(u, alpha=-2 * kb * (1 - kb) / kg)
    return rgb


def frame_to_gray(frame: vs.VideoFrame, fmt: FrameFormat) -> np.ndarray:
    """Luma-like gray (H, W) float32 for analysis: the Y plane of YUV, BT.709 luma of RGB.

    Cheaper than a full conversion; only relative changes between frames matter to its users.
    """
    if fmt.is_yuv:
        y = np.asarray(frame[0]).astype(np.float32)
        return y if fmt.is_float else y / ((1 << fmt.bits) - 1)
    r, g, b = (np.asarray(frame[p]).astype(np.float32) for p in range(3))
    gray = _LUMA_RGB[0] * r + _LUMA_RGB[1] * g + _LUMA_RGB[2] * b
    return gray if fmt.is_float else gray / ((1 << fmt.bits) - 1)


def _download(flat: torch.Tensor, out: vs.VideoFrame) -> None:
    """Quantise the concatenated planes to ``out``'s sample type on the device, copy once, fill ``out``."""
    dst = [np.asarray(out[p]) for p in range(out.format.num_planes)]
    dtype = dst[0].dtype
    if dtype.kind == "f":
        host = flat.to(torch.float16 if dtype == np.float16 else torch.float32).cpu().numpy()
    else:
        q = flat.round_().clamp_(0, np.iinfo(dtype).max)
        if dtype == np.uint8:
            host = q.to(torch.uint8).cpu().numpy()
        else:  # int32 → int16 wraps, so the host reads the bits back as uint16 (half the bytes of int32)
            host = q.to(torch.int32).to(torch.int16).cpu().numpy().view(dtype)
    start = 0
    for d in dst:
        d[...] = host[start:start + d.size].reshape(d.shape)
        start += d.size


def tensor_to_frame(rgb: torch.Tensor, template: vs.VideoFrame, fmt: FrameFormat) -> vs.VideoFrame:
    """Write a (1, 3, H, W) RGB tensor into a copy of ``template`` (format and props of the output)."""
    out = template.copy()
    props = template.props
    rgb = rgb[0].float()
    h, w = fmt.height, fmt.width
    if fmt.is_float:
        scale_y, off_y, scale_c, off_c = 1.0, 0.0, 1.0, 0.0
    else:
        peak = (1 << fmt.bits) - 1
        centre = float(1 << (fmt.bits - 1))
        if _full_range(props, fmt):
            scale_y, off_y, scale_c, off_c = peak, 0.0, peak, centre
        else:
            shift = 1 << (fmt.bits - 8)
            scale_y, off_y, scale_c, off_c = 219 * shift, 16.0 * shift, 224 * shift, centre
    if not fmt.is_yuv:
        flat = torch.empty(3 * h * w, dtype=torch.float32, device=rgb.device)
        torch.mul(rgb, scale_y, out=flat.view(3, h, w)).add_(off_y)
    else:
        kr, kb = _matrix_of(props, fmt)
        r, g, b = rgb
        y = torch.mul(r, kr).add_(g, alpha=1 - kr - kb).add_(b, alpha=kb)
        uv = torch.stack([b, r]).sub_(y)
        uv[0].div_(2 * (1 - kb))
        uv[1].div_(2 * (1 - kr))
        if fmt.ss_w or fmt.ss_h:
            uv = _resample_chroma(uv, fmt, props, up=False)
        flat = torch.empty(h * w + uv.numel(), dtype=torch.float32, device=rgb.device)
        torch.mul(y, scale_y, out=flat[:h * w].view(h, w)).add_(off_y)
        torch.mul(uv, scale_c, out=flat[h * w:].view(uv.shape)).add_(off_c)
    _download(flat, out)
    return out


class FrameWindow:
    """The source frames fetched for one output, as the engine reads them (``SourceFrames``):
    RGB tensors, gray images and props by source index, so the engine never sees a frame."""

    def __init__(self, frames: Mapping[int, vs.VideoFrame], fmt: FrameFormat) -> None:
        self.frames = frames
        self.fmt = fmt

    def rgb(self, i: int, device: torch.device) -> torch.Tensor:
        return frame_to_tensor(self.frames[i], self.fmt, device)

    def gray(self, i: int) -> np.ndarray:
        return frame_to_gray(self.frames[i], self.fmt)

    def props(self, i: int) -> Mapping[str, Any]:
        return self.frames[i].props
