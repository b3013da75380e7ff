"""The fixed-point scatter (the CUDA default): as close to the float scatter as its precision
promises, the same bits whatever the order of the additions, and no overflow at the extremes."""

from __future__ import annotations

import numpy as np
import torch

from test_splat_triton import make_case, make_cases
from vsafi.models.ops.fixed_point import HEADROOM_BITS, plane_scales
from vsafi.models.ops.softsplat import splat_sum_fixed, splat_sum_float


def test_fixed_point_equals_the_float_scatter_within_its_rounding():
    for exact in (True, False):
        for name, (values, flow) in make_cases(exact).items():
            v, f = torch.from_numpy(values), torch.from_numpy(flow)
            fixed, ref = splat_sum_fixed(v, f), splat_sum_float(v, f)
            assert fixed.dtype == torch.float32 and fixed.shape == ref.shape
            if exact:  # every partial sum is exact in float32 and on the fixed-point grid
                assert torch.equal(fixed, ref), name
            else:
                torch.testing.assert_close(fixed, ref, rtol=1e-6, atol=1e-6 * float(ref.abs().max()), msg=name)


def test_fixed_point_sums_do_not_depend_on_the_order_of_the_sources():
    """Transposing frame and flow (x and y swapped) gives every source the same contributions,
    bit for bit (the bilinear weights only trade factors), but visits them column by column:
    the float sum changes in its last bits, the fixed-point sum does not change at all."""
    values, flow = make_cases(exact=False)["soft"]
    v, f = torch.from_numpy(values), torch.from_numpy(flow)
    tv, tf = v.transpose(2, 3).contiguous(), f.flip(1).transpose(2, 3).contiguous()
    float_t = splat_sum_float(tv, tf).transpose(2, 3)
    assert not torch.equal(float_t, splat_sum_float(v, f)), "premise: the float sum depends on the order"
    torch.testing.assert_close(float_t, splat_sum_float(v, f), rtol=1e-5, atol=1e-5)
    assert torch.equal(splat_sum_fixed(tv, tf).transpose(2, 3), splat_sum_fixed(v, f))
    assert torch.equal(splat_sum_fixed(v, f), splat_sum_fixed(v, f))


def test_every_source_piled_on_one_pixel_does_not_overflow():
    """The worst case for the headroom: all of a plane's mass lands on one target, at e^10."""
    h, w = 64, 96
    values = torch.full((1, 2, h, w), float(np.exp(10.0)))
    values[:, 1] = -values[:, 1]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    flow = torch.stack((7.0 - xs, 5.0 - ys))[None]
    out = splat_sum_fixed(values, flow)
    total = float(np.exp(10.0)) * h * w
    assert abs(float(out[0, 0, 5, 7]) - total) <= total * 1e-6
    assert abs(float(out[0, 1, 5, 7]) + total) <= total * 1e-6
    scale, _ = plane_scales(values)
    assert float(values.abs().sum() / 2 * scale[0, 0]) < 2.0**HEADROOM_BITS


def test_precision_of_a_soft_splat_with_extreme_weights():
    """Softmax weights from e^-10 to e^10 in one plane: the normalised result stays within 1e-4
    (0.03 of an 8-bit code value) of the float scatter's."""
    values, flow = make_case(9, 2, 3, 40, 56)
    rng = np.random.default_rng(10)
    weight = np.exp(rng.uniform(-10, 10, (2, 1, 40, 56))).astype(np.float32)
    stacked = torch.from_numpy(np.concatenate([np.abs(values) * weight, weight], 1))
    f = torch.from_numpy(flow)
    fixed, ref = splat_sum_fixed(stacked, f), splat_sum_float(stacked, f)
    hit = ref[:, -1:] > 1e-7
    norm_fixed = (fixed[:, :-1] / (fixed[:, -1:] + 1e-7))[hit.expand(-1, 3, -1, -1)]
    norm_ref = (ref[:, :-1] / (ref[:, -1:] + 1e-7))[hit.expand(-1, 3, -1, -1)]
    assert float((norm_fixed - norm_ref).abs().max()) < 1e-4
