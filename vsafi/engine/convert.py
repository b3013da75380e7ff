"""Frame <-> tensor conversion: the only code that knows plane layouts and colour matrices.

Source frames become (1, 3, H, W) float32 RGB tensors in [0, 1] on the compute device; chroma
upsampling and the YUV matrix run there too (on a GPU the CPU only copies planes). Rendered
tensors go back to the clip's own format: RGB or YUV, 8–16 bit integer (rounded, clamped) or
half/single float.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import vapoursynth as vs

__all__ = ["FrameFormat", "KR_KB", "frame_to_tensor", "frame_to_gray", "tensor_to_frame", "resample_matrix"]

#: (Kr, Kb) for the _Matrix values we honour: 1 = BT.709, 5/6 = BT.601 (470bg/170m), 9/10 = BT.2020.
KR_KB = {1: (0.2126, 0.0722), 5: (0.299, 0.114), 6: (0.299, 0.114), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}


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


def _matrix_of(props, fmt: FrameFormat) -> tuple[float, float]:
    m = int(props.get("_Matrix", 2))
    if m in KR_KB:
        return KR_KB[m]
    hd = fmt.width > 1024 or fmt.height > 576
    return KR_KB[1] if hd else KR_KB[6]


def _full_range(props, fmt: FrameFormat) -> bool:
    """R81's ``_Range`` (1 = full, 0 = limited; note: the reverse of the old ``_ColorRange``)."""
    default = int(vs.RANGE_LIMITED if fmt.is_yuv else vs.RANGE_FULL)
    return int(props.get("_Range", default)) == int(vs.RANGE_FULL)


def _chroma_left(props) -> bool:
    """MPEG-2 style (left) siting is the default for subsampled chroma."""
    return int(props.get("_ChromaLocation", 0)) in (0, 2, 4)


@lru_cache(maxsize=64)
def _resample_matrix_cpu(n_out: int, n_in: int, ss: int, left: bool, up: bool) -> torch.Tensor:
    """Linear resampling between a luma axis of n_luma samples and a chroma axis subsampled by ss.

    Chroma sample j sits at luma position ss·j (left) or ss·j + (ss−1)/2 (centred). Upsampling
    interpolates linearly between chroma samples; downsampling averages luma samples with a
    triangle of half-width ss around each chroma position. Edges replicate.
    """
    offset = 0.0 if left else (ss - 1) / 2
    m = np.zeros((n_out, n_in), dtype=np.float64)
    if up:
        pos = (np.arange(n_out) - offset) / ss
        pos = np.clip(pos, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = pos - lo
        np.add.at(m, (np.arange(n_out), lo), 1 - frac)
        np.add.at(m, (np.arange(n_out), hi), frac)
    else:
        centres = np.arange(n_out) * ss + offset
        x = np.arange(n_in)
        w = np.clip(1 - np.abs(x[None, :] - centres[:, None]) / ss, 0, None)
        m = w / w.sum(axis=1, keepdims=True)
    return torch.from_numpy(m.astype(np.float32))


def resample_matrix(n_out: int, n_in: int, ss: int, left: bool, up: bool, device: torch.device) -> torch.Tensor:
    return _resample_matrix_cpu(n_out, n_in, ss, left, up).to(device)


def _plane_to_float(frame: vs.VideoFrame, p: int, fmt: FrameFormat, device: torch.device) -> torch.Tensor:
    arr = np.asarray(frame[p])
    if arr.dtype == np.uint16:
        arr = arr.astype(np.int32)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    else:
        arr = arr.copy()
    return torch.from_numpy(arr).to(device, non_blocking=True).float()


def frame_to_tensor(frame: vs.VideoFrame, fmt: FrameFormat, device: torch.device) -> torch.Tensor:
    """A source frame as a (1, 3, H, W) float32 RGB tensor in [0, 1] (not clamped for float input)."""
    planes = [_plane_to_float(frame, p, fmt, device) for p in range(3)]
    props = frame.props
    full = _full_range(props, fmt)
    if fmt.is_float:
        scale_y, off_y, scale_c = 1.0, 0.0, 1.0
    else:
        peak = (1 << fmt.bits) - 1
        if full:
            scale_y, off_y, scale_c = 1.0 / peak, 0.0, 1.0 / peak
        else:
            shift = 1 << (fmt.bits - 8)
            scale_y, off_y, scale_c = 1.0 / (219 * shift), 16.0 * shift, 1.0 / (224 * shift)
    if not fmt.is_yuv:
        rgb = torch.stack([(p - off_y) * scale_y for p in planes])
        return rgb.unsqueeze(0)
    y = (planes[0] - off_y) * scale_y
    centre = 0.0 if fmt.is_float else float(1 << (fmt.bits - 1))
    u, v = ((p - centre) * scale_c for p in planes[1:])
    if fmt.ss_w or fmt.ss_h:
        left = _chroma_left(props)
        mh = resample_matrix(fmt.height, u.shape[0], 1 << fmt.ss_h, False, True, device)
        mw = resample_matrix(fmt.width, u.shape[1], 1 << fmt.ss_w, left, True, device)
        u = mh @ u @ mw.T
        v = mh @ v @ mw.T
    kr, kb = _matrix_of(props, fmt)
    kg = 1 - kr - kb
    r = y + 2 * (1 - kr) * v
    b = y + 2 * (1 - kb) * u
    g = (y - kr * r - kb * b) / kg
    return torch.stack([r, g, b]).unsqueeze(0)


def frame_to_gray(frame: vs.VideoFrame, fmt: FrameFormat) -> np.ndarray:
    """Luma-like gray (H, W) float32 for analysis: the Y plane of YUV, BT.709 luma of RGB.

    Cheaper than a full conversion; only relative changes between frames matter to its users.
    """
    if fmt.is_yuv:
        y = np.asarray(frame[0]).astype(np.float32)
        return y if fmt.is_float else y / ((1 << fmt.bits) - 1)
    r, g, b = (np.asarray(frame[p]).astype(np.float32) for p in range(3))
    gray = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return gray if fmt.is_float else gray / ((1 << fmt.bits) - 1)


def _float_to_plane(t: torch.Tensor, dst: np.ndarray) -> None:
    if dst.dtype.kind == "f":
        dst[...] = t.to(torch.float32).cpu().numpy().astype(dst.dtype, copy=False)
    else:
        peak = np.iinfo(dst.dtype).max
        dst[...] = t.round().clamp_(0, peak).to(torch.int32).cpu().numpy().astype(dst.dtype, copy=False)


def tensor_to_frame(rgb: torch.Tensor, template: vs.VideoFrame, fmt: FrameFormat) -> vs.VideoFrame:
    """Write a (1, 3, H, W) RGB tensor into a copy of ``template`` (format and props of the output)."""
    out = template.copy()
    props = template.props
    rgb = rgb[0].float()
    full = _full_range(props, fmt)
    if not fmt.is_yuv:
        planes = list(rgb)
        if not fmt.is_float:
            peak = (1 << fmt.bits) - 1
            if full:
                planes = [p * peak for p in planes]
            else:
                shift = 1 << (fmt.bits - 8)
                planes = [p * (219 * shift) + 16 * shift for p in planes]
    else:
        kr, kb = _matrix_of(props, fmt)
        kg = 1 - kr - kb
        r, g, b = rgb
        y = kr * r + kg * g + kb * b
        u = (b - y) / (2 * (1 - kb))
        v = (r - y) / (2 * (1 - kr))
        if fmt.ss_w or fmt.ss_h:
            left = _chroma_left(props)
            ch, cw = fmt.height >> fmt.ss_h, fmt.width >> fmt.ss_w
            mh = resample_matrix(ch, fmt.height, 1 << fmt.ss_h, False, False, rgb.device)
            mw = resample_matrix(cw, fmt.width, 1 << fmt.ss_w, left, False, rgb.device)
            u = mh @ u @ mw.T
            v = mh @ v @ mw.T
        if fmt.is_float:
            planes = [y, u, v]
        else:
            centre = float(1 << (fmt.bits - 1))
            if full:
                peak = (1 << fmt.bits) - 1
                planes = [y * peak, u * peak + centre, v * peak + centre]
            else:
                shift = 1 << (fmt.bits - 8)
                planes = [y * (219 * shift) + 16 * shift, u * (224 * shift) + centre, v * (224 * shift) + centre]
    for p, t in enumerate(planes):
        _float_to_plane(t, np.asarray(out[p]))
    return out
