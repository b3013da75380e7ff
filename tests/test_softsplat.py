"""The vectorised torch splat against a plain float64 per-pixel scatter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vsafi.models.ops.softsplat import splat, splat_weight, splat_with_weight

H, W = 12, 16


def reference_splat(inp: np.ndarray, flow: np.ndarray, metric: np.ndarray | None, mode: str):
    """Per-pixel scatter in float64: returns (normalised output, splatted weight)."""
    n, c, h, w = inp.shape
    acc = np.zeros((n, c, h, w))
    norm = np.zeros((n, 1, h, w))
    for b in range(n):
        for y in range(h):
            for x in range(w):
                tx = x + float(flow[b, 0, y, x])
                ty = y + float(flow[b, 1, y, x])
                if not (math.isfinite(tx) and math.isfinite(ty)):
                    continue
                weight = math.exp(float(metric[b, 0, y, x])) if mode == "soft" else 1.0
                x0, y0 = math.floor(tx), math.floor(ty)
                fx, fy = tx - x0, ty - y0
                for cx, cy, bw in (
                    (x0, y0, (1 - fx) * (1 - fy)),
                    (x0 + 1, y0, fx * (1 - fy)),
                    (x0, y0 + 1, (1 - fx) * fy),
                    (x0 + 1, y0 + 1, fx * fy),
                ):
                    if 0 <= cx < w and 0 <= cy < h:
                        acc[b, :, cy, cx] += bw * weight * inp[b, :, y, x].astype(np.float64)
                        norm[b, 0, cy, cx] += bw * weight
    return acc / (norm + 1e-7), norm


def make_case(seed: int, n: int = 2, c: int = 3):
    """Random inputs with collisions, out-of-frame targets and non-finite flow entries."""
    rng = np.random.default_rng(seed)
    inp = rng.uniform(0, 1, (n, c, H, W)).astype(np.float32)
    flow = rng.normal(0, 3, (n, 2, H, W)).astype(np.float32)
    # Collisions: a block of sources converging on one target pixel (5, 7).
    ys, xs = np.mgrid[2:6, 3:8]
    flow[0, 0, ys, xs] = 7.25 - xs
    flow[0, 1, ys, xs] = 5.5 - ys
    # Far out of frame on every side.
    flow[:, 0, 0, :4] = -40.0
    flow[:, 0, 1, :4] = 40.0
    flow[:, 1, 2, :4] = 1e30
    # Non-finite entries.
    flow[0, 0, 8, 2] = np.nan
    flow[1, 1, 9, 9] = np.inf
    flow[1, 0, 10, 10] = -np.inf
    metric = rng.uniform(-9, 9, (n, 1, H, W)).astype(np.float32)
    return inp, flow, metric


@pytest.mark.parametrize("mode", ["soft", "avg"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_splat_matches_reference(mode: str, seed: int) -> None:
    inp, flow, metric = make_case(seed)
    ref, ref_norm = reference_splat(inp, flow, metric, mode)
    out, norm = splat_with_weight(
        torch.from_numpy(inp), torch.from_numpy(flow), torch.from_numpy(metric) if mode == "soft" else None, mode
    )
    assert out.dtype == torch.float32 and out.shape == inp.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(norm.numpy(), ref_norm, rtol=1e-4, atol=1e-5)
    # The collision target really receives several sources.
    assert ref_norm[0, 0, 5, 7] > 3


def test_splat_weight_and_plain_splat_agree() -> None:
    inp, flow, metric = make_case(3)
    t_inp, t_flow, t_metric = map(torch.from_numpy, (inp, flow, metric))
    _, ref_norm = reference_splat(inp, flow, metric, "avg")
    np.testing.assert_allclose(splat_weight(t_flow).numpy(), ref_norm, rtol=1e-5, atol=1e-5)
    _, soft_norm = splat_with_weight(t_inp, t_flow, t_metric, "soft")
    torch.testing.assert_close(splat_weight(t_flow, t_metric, "soft"), soft_norm)
    ref_soft, _ = reference_splat(inp, flow, metric, "soft")
    np.testing.assert_allclose(splat(t_inp, t_flow, t_metric).numpy(), ref_soft, rtol=0, atol=1e-5)


def test_zero_flow_is_identity_and_half_computes_in_float32() -> None:
    inp, _, metric = make_case(4)
    t_inp = torch.from_numpy(inp)
    zero = torch.zeros(2, 2, H, W)
    # Each pixel keeps only itself; the 1e-7 in the normaliser is relative to exp(metric).
    torch.testing.assert_close(splat(t_inp, zero, torch.from_numpy(metric) / 9), t_inp, atol=1e-6, rtol=0)
    torch.testing.assert_close(splat(t_inp, zero, None, "avg"), t_inp, atol=1e-6, rtol=0)
    _, flow, metric = make_case(5)
    half = splat(t_inp.half(), torch.from_numpy(flow).half(), torch.from_numpy(metric).half())
    assert half.dtype == torch.float16
    ref = splat(t_inp.half().float(), torch.from_numpy(flow).half().float(), torch.from_numpy(metric).half().float())
    torch.testing.assert_close(half.float(), ref, atol=1e-3, rtol=0)


def test_bad_arguments() -> None:
    x = torch.zeros(1, 3, H, W)
    with pytest.raises(ValueError):
        splat(x, torch.zeros(1, 2, H, W), None, "soft")
    with pytest.raises(ValueError):
        splat(x, torch.zeros(1, 2, H, W), None, "sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        splat(x, torch.zeros(1, 2, H + 1, W), None, "avg")
