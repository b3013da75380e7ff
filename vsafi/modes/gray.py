"""Small gray images of source frames, for the measurements modes make between frames (the
forward mode's cadence, the drop mode's duplicate test). NumPy only."""

from __future__ import annotations

import numpy as np

__all__ = ["LUMA_709", "analysis_image"]

#: BT.709 luma weights of R, G, B.
LUMA_709 = np.array([0.2126, 0.7152, 0.0722], np.float32)


def analysis_image(frame_rgb: np.ndarray) -> np.ndarray:
    """Small gray image for ``measure_cadence``: BT.709 luma box-downscaled by the integer
    factor that brings the short side to 128–255 px (factor 1 for smaller frames).

    Accepts ``(H, W, 3)`` RGB (float in [0, 1], or integer scaled by its dtype's maximum) or an
    ``(H, W)`` gray image; returns ``float32 (h, w)`` in [0, 1].
    """
    img = np.asarray(frame_rgb)
    gray = img.astype(np.float32, copy=False)
    if gray.ndim == 3:
        gray = np.einsum("hwc,c->hw", gray[..., :3], LUMA_709)
    if np.issubdtype(img.dtype, np.integer):
        gray = gray * np.float32(1.0 / np.iinfo(img.dtype).max)
    f = max(1, min(gray.shape) // 128)
    if f > 1:
        h, w = gray.shape[0] // f, gray.shape[1] // f
        gray = gray[:h * f, :w * f].reshape(h, f, w, f).mean(axis=(1, 3), dtype=np.float32)
    return np.ascontiguousarray(gray, np.float32)
