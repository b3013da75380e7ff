"""The Triton scatter against the torch scatter: under Triton's interpreter on CPU, and on CUDA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vsafi.models import softsplat
from vsafi.models.softsplat import splat_sum, splat_with_weight

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: TRITON_INTERPRET must be set before triton is first imported.
CHILD = """
import sys
import numpy as np
import torch
from vsafi.models.splat_triton import splat_sum_triton

cases = np.load(sys.argv[1])
names = sorted({k.rsplit("_", 1)[0] for k in cases.files})
out = {}
for name in names:
    values = torch.from_numpy(cases[name + "_values"])
    flow = torch.from_numpy(cases[name + "_flow"])
    out[name] = splat_sum_triton(values, flow).numpy()
np.savez(sys.argv[2], **out)
"""


def make_case(seed: int, n: int, c: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Random values and flow with collisions, edge and out-of-frame targets and non-finite flow."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1, 1, (n, c, h, w)).astype(np.float32)
    flow = rng.normal(0, 3, (n, 2, h, w)).astype(np.float32)
    ys, xs = np.mgrid[0:h, 0:w]
    # Collisions: a block of sources converging on (5.5, 4.25) in item 0, on (2, 3) exactly in item 1.
    sel = (slice(1, 6), slice(2, 9))
    flow[0, 0][sel] = 5.5 - xs[sel]
    flow[0, 1][sel] = 4.25 - ys[sel]
    flow[1, 0][sel] = 2.0 - xs[sel]
    flow[1, 1][sel] = 3.0 - ys[sel]
    # Targets straddling the borders: only some neighbours are inside.
    flow[:, 0, h - 1, :3] = -0.5 - xs[h - 1, :3]
    flow[:, 0, h - 2, :3] = (w - 1.5) - xs[h - 2, :3]
    flow[:, 1, h - 3, :3] = -0.75 - ys[h - 3, :3]
    flow[:, 1, h - 4, :3] = (h - 1.25) - ys[h - 4, :3]
    # Far out of frame on every side, and too large to convert to an integer.
    flow[:, 0, 0, -4:] = -40.0
    flow[:, 0, 0, -8:-4] = 40.0
    flow[:, 1, h - 1, -4:] = 40.0
    flow[:, 1, h - 1, -8:-4] = -40.0
    flow[:, 1, h // 2, -3:] = 1e30
    flow[:, 0, h // 2 + 1, -3:] = -3e38
    # Non-finite flow.
    flow[0, 0, h - 5, w - 2] = np.nan
    flow[0, 1, h - 6, w - 3] = np.nan
    flow[1, 1, h - 5, w - 4] = np.inf
    flow[1, 0, h - 6, w - 5] = -np.inf
    return values, flow


def make_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Several channel counts, batch 2, and a frame spanning several kernel programs."""
    cases = {
        "c3": make_case(0, 2, 3, 13, 17),
        "c1": make_case(1, 2, 1, 13, 17),
        "c5": make_case(2, 2, 5, 13, 17),
        "wide": make_case(3, 2, 2, 20, 31),
    }
    # Soft-splat style input: values scaled by exp(metric), plus the weight channel itself.
    values, flow = make_case(4, 2, 3, 13, 17)
    weight = np.exp(np.random.default_rng(5).uniform(-9, 9, (2, 1, 13, 17))).astype(np.float32)
    cases["soft"] = (np.concatenate([values * weight, weight], 1), flow)
    return cases


def torch_scatter(values: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The torch path's scatter (CPU tensors never dispatch to Triton)."""
    return splat_sum(torch.from_numpy(values), torch.from_numpy(flow)).numpy()


def test_interpreted_kernel_matches_torch_scatter(tmp_path: Path) -> None:
    cases = make_cases()
    arrays = {f"{name}_{part}": a for name, pair in cases.items() for part, a in zip(("values", "flow"), pair)}
    np.savez(tmp_path / "in.npz", **arrays)
    env = {**os.environ, "TRITON_INTERPRET": "1", "CUDA_VISIBLE_DEVICES": ""}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = np.load(tmp_path / "out.npz")
    for name, (values, flow) in cases.items():
        ref = torch_scatter(values, flow)
        assert got[name].shape == ref.shape and got[name].dtype == np.float32
        scale = np.abs(ref).max()
        np.testing.assert_allclose(got[name], ref, rtol=1e-5, atol=1e-6 * scale, err_msg=name)
    # The collision targets really receive many sources, and the border/out-of-frame cases drop weight.
    ones = np.ones((2, 1, 13, 17), np.float32)
    hits = torch_scatter(ones, cases["c3"][1])
    assert hits[0, 0, 4, 5] > 5 and hits[1, 0, 3, 2] >= 35
    assert hits.sum() < 2 * 13 * 17 - 20


def test_cpu_never_dispatches_and_env_var_forces_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    values, flow = make_case(6, 2, 3, 13, 17)
    ref = splat_sum(torch.from_numpy(values), torch.from_numpy(flow))

    def refuse() -> None:
        raise AssertionError("CPU tensors must not reach the Triton dispatch")

    monkeypatch.setattr(softsplat, "_triton_scatter", refuse)
    assert torch.equal(splat_sum(torch.from_numpy(values), torch.from_numpy(flow)), ref)
    monkeypatch.undo()
    monkeypatch.setenv("VSAFI_SPLAT", "torch")
    assert softsplat._triton_scatter() is None
    monkeypatch.delenv("VSAFI_SPLAT")
    from vsafi.models.splat_triton import splat_sum_triton

    assert softsplat._triton_scatter() is splat_sum_triton


@pytest.mark.parametrize("capability", [80, 90])
def test_kernel_compiles_for_cuda_without_a_device(capability: int) -> None:
    """Lower the kernel to PTX and cubin ahead of time: predicated float32 reductions, no FMA."""
    from triton import compile as triton_compile
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from vsafi.models.splat_triton import _BLOCK, _FLT_MAX, _splat_sum_kernel

    signature = {"val_ptr": "*fp32", "flow_ptr": "*fp32", "out_ptr": "*fp32", "C": "i32", "H": "i32", "W": "i32",
                 "BLOCK": "constexpr", "FLT_MAX": "constexpr"}
    src = ASTSource(_splat_sum_kernel, signature, constexprs={"BLOCK": _BLOCK, "FLT_MAX": _FLT_MAX})
    kernel = triton_compile(src, target=GPUTarget("cuda", capability, 32), options={"enable_fp_fusion": False})
    ptx = kernel.asm["ptx"]
    assert kernel.asm["cubin"]
    assert "red.global.gpu.relaxed.add.f32" in ptx and "fma" not in ptx


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_kernel_matches_torch_scatter(monkeypatch: pytest.MonkeyPatch) -> None:
    from vsafi.models.splat_triton import splat_sum_triton

    monkeypatch.delenv("VSAFI_SPLAT", raising=False)
    assert softsplat._triton_scatter() is splat_sum_triton
    cases = make_cases()
    cases["big"] = make_case(7, 2, 4, 270, 480)
    for name, (values, flow) in cases.items():
        v, f = torch.from_numpy(values).cuda(), torch.from_numpy(flow).cuda()
        ref = torch_scatter(values, flow)
        scale = np.abs(ref).max()
        got = splat_sum(v, f)
        np.testing.assert_allclose(got.cpu().numpy(), ref, rtol=1e-5, atol=1e-6 * scale, err_msg=name)
        monkeypatch.setenv("VSAFI_SPLAT", "torch")
        forced = splat_sum(v, f)
        monkeypatch.delenv("VSAFI_SPLAT")
        np.testing.assert_allclose(forced.cpu().numpy(), ref, rtol=1e-5, atol=1e-6 * scale, err_msg=name)
    values, flow = cases["c3"]
    metric = np.random.default_rng(8).uniform(-9, 9, (2, 1, 13, 17)).astype(np.float32)
    args = [torch.from_numpy(a) for a in (values, flow, metric)]
    out_cpu, norm_cpu = splat_with_weight(*args)
    out_gpu, norm_gpu = splat_with_weight(*(a.cuda() for a in args))
    torch.testing.assert_close(out_gpu.cpu(), out_cpu, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(norm_gpu.cpu(), norm_cpu, rtol=1e-5, atol=1e-5)
    half = splat_with_weight(*(a.cuda().half() for a in args))[0]
    assert half.dtype == torch.float16
