"""GMFlow / GMFSS base and union against the upstream reference tensors (docs/fixtures.md §4, §5, §7).

Module level, CPU, float32, fed exactly the tensors the fixtures describe: pair ``a_256x448``
raw, pair ``b_270x480`` bilinearly resized to 320x512 and the output resized back.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import counting
from vsafi.models.gmfss.network import GMFSS, PairState, load_gmfss
from vsafi.models.gmfss.gmflow import forward_backward_occlusion
from vsafi.models.ops.softsplat import splat
from vsafi.weights import INSTALL_HINT, find_weights_dir

FIXTURES = Path(__file__).parent / "fixtures"
PAIRS = ("a_256x448", "b_270x480")
TIMES = {"t025": 0.25, "t050": 0.5, "t075": 0.75}
MODELS = ("base", "union")


def _weights(model: str) -> Path:
    try:
        return find_weights_dir(model)
    except FileNotFoundError:
        pytest.skip(f"{model} weights missing: run `{INSTALL_HINT}`")


def _fixture(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.npz") as data:
        return dict(data)


@pytest.fixture(scope="module", autouse=True)
def _precision():
    """The fixtures' numerics: upstream's code under torch's defaults, oneDNN's convolutions
    included. The filter turns oneDNN off process-wide (engine/device.py), so a test that ran a
    filter before these would otherwise compare another convolution's rounding (on an AVX-512
    CPU, union's p99.99 went from within 5e-4 to 2.4e-3)."""
    previous = torch.get_float32_matmul_precision(), torch.backends.mkldnn.enabled
    torch.set_float32_matmul_precision("highest")
    torch.backends.mkldnn.enabled = True
    with torch.inference_mode():
        yield
    torch.set_float32_matmul_precision(previous[0])
    torch.backends.mkldnn.enabled = previous[1]


@pytest.fixture(scope="module")
def models() -> dict[str, GMFSS]:
    return {
        "base": load_gmfss(_weights("gmfss"), "base"),
        "union": load_gmfss(_weights("gmfss_union"), "union"),
    }


@pytest.fixture(scope="module")
def refs() -> dict[str, dict[str, np.ndarray]]:
    return {"base": _fixture("gmfss_base"), "union": _fixture("gmfss_union"), "gmflow": _fixture("gmflow")}


def _model_inputs(ref: dict[str, np.ndarray], pair: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The frames as the module saw them: resized to ``model_hw`` when that differs."""
    size = tuple(int(v) for v in ref[f"{pair}_model_hw"])
    frames = []
    for key in ("I0", "I1"):
        x = torch.from_numpy(ref[f"{pair}_{key}"])[None].clamp(0, 1)
        if tuple(x.shape[2:]) != size:
            x = F.interpolate(x, size, mode="bilinear")
        frames.append(x)
    return frames[0], frames[1]


def _to_frame(out: torch.Tensor, ref: np.ndarray) -> np.ndarray:
    if tuple(out.shape[2:]) != ref.shape[1:]:
        out = F.interpolate(out, ref.shape[1:], mode="bilinear")
    return out[0].numpy()


@pytest.fixture(scope="module")
def states(models, refs) -> dict[tuple[str, str], PairState]:
    """One PairState per (model, pair), shared by every test; GMFlow must run twice for each."""
    out = {}
    for model_type in MODELS:
        model = models[model_type]
        for pair in PAIRS:
            with counting(model.flownet, "forward") as gmflow:
                out[model_type, pair] = model.pair(*_model_inputs(refs[model_type], pair))
            assert len(gmflow) == 2
    return out


@pytest.fixture(scope="module")
def outputs(models, states) -> dict[tuple[str, str, str], torch.Tensor]:
    """synth() results per (model, pair, timestep); synth must not call GMFlow."""
    out = {}
    for (model_type, pair), state in states.items():
        model = models[model_type]
        with counting(model.flownet, "forward") as gmflow:
            for suffix, t in TIMES.items():
                out[model_type, pair, suffix] = model.synth(state, torch.tensor([t], dtype=torch.float32))
        assert gmflow == []
    return out


def _assert_frame_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """docs/fixtures.md §7: mean abs < 5e-6, 99.99th percentile < 5e-4, max abs < 5e-3."""
    diff = np.abs(actual.astype(np.float64) - expected)
    mean, p9999, peak = diff.mean(), np.percentile(diff, 99.99), diff.max()
    summary = f"{what}: mean {mean:.2e}, p99.99 {p9999:.2e}, max {peak:.2e}"
    assert mean < 5e-6 and p9999 < 5e-4 and peak < 5e-3, summary


@pytest.mark.parametrize("pair", PAIRS)
def test_gmflow_flows_and_occlusion(states, refs, pair: str) -> None:
    ref = refs["gmflow"]
    state = states["base", pair]
    np.testing.assert_allclose(state.half0[0].numpy(), ref[f"{pair}_in0"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(state.half1[0].numpy(), ref[f"{pair}_in1"], atol=1e-6, rtol=0)
    for name in ("flow01", "flow10"):
        diff = np.abs(getattr(state, name)[0].numpy() - ref[f"{pair}_{name}"])
        assert diff.max() < 2e-3 and diff.mean() < 5e-5, f"{pair} {name}: max {diff.max():.2e} mean {diff.mean():.2e}"
    occ = forward_backward_occlusion(state.flow01, state.flow10)
    for mask, name in zip(occ, ("occ_fwd", "occ_bwd")):
        flipped = float((mask[0].numpy() != ref[f"{pair}_{name}"]).mean())
        assert flipped <= 1e-3, f"{pair} {name}: {flipped:.3%} of pixels differ"


def test_union_shares_the_flows(states) -> None:
    for pair in PAIRS:
        torch.testing.assert_close(states["union", pair].flow01, states["base", pair].flow01, atol=0, rtol=0)


@pytest.mark.parametrize("model_type", MODELS)
def test_metric(states, refs, model_type: str) -> None:
    state = states[model_type, "a_256x448"]
    for name in ("metric0", "metric1"):
        diff = np.abs(getattr(state, name)[0].numpy() - refs[model_type][f"a_256x448_{name}"])
        within = float((diff <= 1e-3).mean())
        summary = f"{model_type} {name}: mean {diff.mean():.2e}, {within:.4%} within 1e-3"
        assert diff.mean() < 1e-3 and within >= 0.99, summary


@pytest.mark.parametrize("model_type", MODELS)
def test_splatted_halves(states, refs, model_type: str) -> None:
    state = states[model_type, "a_256x448"]
    warped = {
        "I1t": splat(state.half0, 0.5 * state.flow01, 0.5 * state.metric0, "soft"),
        "I2t": splat(state.half1, 0.5 * state.flow10, 0.5 * state.metric1, "soft"),
    }
    for name, out in warped.items():
        diff = np.abs(out[0].numpy() - refs[model_type][f"a_256x448_t050_{name}"])
        assert diff.mean() < 1e-5, f"{model_type} {name}: mean {diff.mean():.2e}"


def test_union_rife_half(models, states, refs) -> None:
    state = states["union", "a_256x448"]
    out = models["union"].ifnet(state.half0, state.half1, torch.tensor([0.5]))
    diff = np.abs(out[0].numpy() - refs["union"]["a_256x448_t050_rife_half"])
    assert diff.mean() < 1e-5, f"rife_half: mean {diff.mean():.2e}"


@pytest.mark.parametrize("suffix", TIMES)
@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("model_type", MODELS)
def test_outputs(outputs, refs, model_type: str, pair: str, suffix: str) -> None:
    expected = refs[model_type][f"{pair}_out_{suffix}"]
    actual = _to_frame(outputs[model_type, pair, suffix], expected)
    _assert_frame_close(actual, expected, f"{model_type} {pair} {suffix}")


@pytest.mark.parametrize("model_type", MODELS)
def test_forward_equals_pair_then_synth(models, refs, outputs, model_type: str) -> None:
    model = models[model_type]
    img0, img1 = _model_inputs(refs[model_type], "a_256x448")
    with counting(model.flownet, "forward") as gmflow:
        for suffix, t in TIMES.items():
            out = model(img0, img1, torch.tensor([t], dtype=torch.float32))
            torch.testing.assert_close(out, outputs[model_type, "a_256x448", suffix], atol=0, rtol=0)
    assert len(gmflow) == 2 * len(TIMES)


def test_timestep_forms_agree(models, states, outputs) -> None:
    """A float, a (1,) tensor, a uniform half-size map and explicit t1 = 1 - t0 give one frame."""
    model = models["base"]
    state = states["base", "a_256x448"]
    expected = outputs["base", "a_256x448", "t025"]
    plane = torch.full((1, 1, *state.half0.shape[2:]), 0.25)
    for out in (model.synth(state, 0.25), model.synth(state, plane), model.synth(state, plane, 1 - plane)):
        torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


def test_union_replicate_padding_variant(models) -> None:
    ref = _fixture("padding_variants")
    inputs = _fixture("inputs")
    size = tuple(int(v) for v in ref["gmfss_union_b_270x480_replicate128_model_hw"])
    frames = []
    for key in ("I0", "I1"):
        x = torch.from_numpy(inputs[f"b_270x480_{key}"])[None]
        frames.append(F.pad(x, (0, size[1] - x.shape[3], 0, size[0] - x.shape[2]), mode="replicate"))
    out = models["union"](*frames, torch.tensor([0.5], dtype=torch.float32))[:, :, :270, :480]
    _assert_frame_close(out[0].numpy(), ref["gmfss_union_b_270x480_replicate128_out_t050"], "union replicate128")


@pytest.mark.slow
def test_half_precision_runs(models, refs) -> None:
    """After ``.half()`` the model runs (splats and samplers in float32) and stays near fp32.

    The smallest canvas (64x64) because CPU fp16 kernels are slow.
    """
    img0, img1 = (x[:, :, 96:160, 160:224] for x in _model_inputs(refs["union"], "a_256x448"))
    half = copy.deepcopy(models["union"]).half()
    out = half(img0.half(), img1.half(), 0.5)
    assert out.dtype == torch.float16 and bool(torch.isfinite(out).all())
    full = models["union"](img0, img1, 0.5)
    assert float((out.float() - full).abs().mean()) < 1e-2


class _ConstantFlow(torch.nn.Module):
    """Stands in for GMFlow: records its inputs and answers 1 px right, 0.5 px up everywhere."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        self.inputs.append((a, b))
        return torch.tensor([1.0, -0.5]).view(1, 2, 1, 1).expand(a.shape[0], 2, *a.shape[2:]).clone()


def test_flow_scale_half(models, refs) -> None:
    """scale=0.5 runs GMFlow on the half-size frames shrunk by 2 and scales the flow back up."""
    model = models["base"]
    img0, img1 = (x[:, :, :, :384] for x in _model_inputs(refs["base"], "a_256x448"))
    flownet = model.flownet
    model.scale = 0.5
    try:
        with pytest.raises(ValueError):
            model.pair(img0[:, :, :, :320], img1[:, :, :, :320])
        with counting(model.flownet, "forward") as gmflow:
            state = model.pair(img0, img1)
        assert len(gmflow) == 2
        out = model.synth(state, 0.5)
        model.flownet = _ConstantFlow()
        stub = model.pair(img0, img1)
        seen = model.flownet.inputs
    finally:
        model.scale = 1.0
        model.flownet = flownet
    assert state.flow01.shape == state.flow10.shape == (1, 2, 128, 192)
    assert out.shape == img0.shape and bool(torch.isfinite(out).all())
    quarter0, quarter1 = (F.avg_pool2d(x, 2) for x in (stub.half0, stub.half1))
    assert len(seen) == 2
    for (a, b), (want_a, want_b) in zip(seen, ((quarter0, quarter1), (quarter1, quarter0))):
        torch.testing.assert_close(a, want_a, atol=1e-6, rtol=0)
        torch.testing.assert_close(b, want_b, atol=1e-6, rtol=0)
    expected = torch.tensor([2.0, -1.0]).view(1, 2, 1, 1).expand(1, 2, 128, 192)
    for flow in (stub.flow01, stub.flow10):
        torch.testing.assert_close(flow, expected, atol=0, rtol=0)
