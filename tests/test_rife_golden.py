"""IFNet v4.6 against the upstream golden outputs (docs/fixtures.md §3, §5, §7), CPU float32.

Each case feeds the module exactly the tensors the fixtures were made from: pair a raw,
pair b zero-padded right/bottom to 288×480 (or replicate-padded for the variant), output
cropped back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vsafi.models.rife.ifnet import IFNet, load_ifnet
from vsafi.weights import INSTALL_HINT, weight_path

FIXTURES = Path(__file__).parent / "fixtures"
PAIRS = ("a_256x448", "b_270x480")
TIMES = (("t025", 0.25), ("t050", 0.5), ("t075", 0.75))


@pytest.fixture(scope="module")
def model() -> IFNet:
    try:
        path = weight_path("rife.pkl", "rife")
    except FileNotFoundError:
        pytest.skip(f"weights/rife.pkl missing; run `{INSTALL_HINT}`")
    return load_ifnet(path)


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "rife.npz") as f:
        return dict(f)


def _pair(golden: dict, pair: str, mode: str = "constant") -> tuple[torch.Tensor, torch.Tensor]:
    """The pair's frames padded right/bottom to the stored model size."""
    ph, pw = (int(v) for v in golden[f"{pair}_model_hw"])
    frames = []
    for key in ("I0", "I1"):
        img = torch.from_numpy(golden[f"{pair}_{key}"])[None]
        pad = (0, pw - img.shape[3], 0, ph - img.shape[2])
        frames.append(F.pad(img, pad, mode=mode) if any(pad) else img)
    return frames[0], frames[1]


def _errors(got: torch.Tensor, want: np.ndarray) -> tuple[float, float]:
    h, w = want.shape[-2:]
    diff = (got[0, :, :h, :w] - torch.from_numpy(want)).abs()
    return diff.max().item(), diff.mean().item()


@pytest.mark.parametrize("tag,t", TIMES)
@pytest.mark.parametrize("pair", PAIRS)
def test_output_matches_golden(model: IFNet, golden: dict, pair: str, tag: str, t: float) -> None:
    img0, img1 = _pair(golden, pair)
    with torch.inference_mode():
        out = model(img0, img1, torch.tensor([t], dtype=torch.float32))
    max_abs, mean_abs = _errors(out, golden[f"{pair}_out_{tag}"])
    assert max_abs < 1e-4 and mean_abs < 1e-6, (max_abs, mean_abs)


def test_flow_and_mask_match_golden(model: IFNet, golden: dict) -> None:
    img0, img1 = _pair(golden, "a_256x448")
    with torch.inference_mode():
        _, flow, mask = model(img0, img1, 0.5, return_flow=True)
    assert _errors(flow, golden["a_256x448_t050_flow"])[0] < 5e-3
    assert _errors(mask, golden["a_256x448_t050_mask"])[0] < 1e-3


def test_replicate_padding_variant(model: IFNet, golden: dict) -> None:
    with np.load(FIXTURES / "padding_variants.npz") as f:
        want = f["rife_b_270x480_replicate32_out_t050"]
        assert tuple(f["rife_b_270x480_replicate32_model_hw"]) == (288, 480)
    img0, img1 = _pair(golden, "b_270x480", mode="replicate")
    with torch.inference_mode():
        out = model(img0, img1, 0.5)
    max_abs, mean_abs = _errors(out, want)
    assert max_abs < 1e-4 and mean_abs < 1e-6, (max_abs, mean_abs)


def test_timestep_plane_equals_scalar(model: IFNet, golden: dict) -> None:
    img0, img1 = _pair(golden, "b_270x480")
    plane = torch.full((1, 1, *img0.shape[2:]), 0.25)
    with torch.inference_mode():
        assert torch.equal(model(img0, img1, plane), model(img0, img1, 0.25))
