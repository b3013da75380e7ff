"""The Triton scatter against the torch scatter, float and fixed point: under Triton's interpreter
on CPU, and on CUDA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vsafi.models.ops import softsplat
from vsafi.models.ops.softsplat import splat_sum, splat_sum_fixed, splat_with_weight

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: TRITON_INTERPRET must be set before triton is first imported.
CHILD = """
import sys
import numpy as np
import torch
from vsafi.models.ops.splat_triton import splat_sum_triton

cases = np.load(sys.argv[1])
names = sorted({k.rsplit("_", 1)[0] for k in cases.files})
out = {}
for name in names:
    values = torch.from_numpy(cases[name + "_values"])
    flow = torch.from_numpy(cases[name + "_flow"])
    out[name] = splat_sum_triton(values, flow).numpy()
    out[name + "_fixed"] = splat_sum_triton(values, flow, fixed=True).numpy()
np.savez(sys.argv[2], **out)
"""


def make_case(seed: int, n: int, c: int, h: int, w: int, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Values and flow with collisions, edge and out-of-frame targets and non-finite flow.

    ``exact``: values on a 1/64 grid in [-1, 1] and flows on a 1/4 pixel grid, so every bilinear
    weight is a multiple of 1/16, every contribution a multiple of 2**-10 and every partial sum
    exactly representable in float32: the result is the same in any order of the additions, and
    two correct scatters must agree bit for bit.
    """
    rng = np.random.default_rng(seed)
    if exact:
        values = (rng.integers(-64, 65, (n, c, h, w)) / 64).astype(np.float32)
        flow = (rng.integers(-12, 13, (n, 2, h, w)) / 4).astype(np.float32)
    else:
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


def make_cases(exact: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Several channel counts, batch 2, a frame spanning several kernel programs, a soft-splat input."""
    cases = {
        "c3": make_case(0, 2, 3, 13, 17, exact),
        "c1": make_case(1, 2, 1, 13, 17, exact),
        "c5": make_case(2, 2, 5, 13, 17, exact),
        "wide": make_case(3, 2, 2, 20, 31, exact),
    }
    # Soft-splat style input: values scaled by a per-pixel weight, plus the weight channel itself.
    # Exact cases use powers of two in [1/8, 8] (contributions stay on a 2**-17 grid below 2**9).
    values, flow = make_case(4, 2, 3, 13, 17, exact)
    rng = np.random.default_rng(5)
    if exact:
        weight = np.exp2(rng.integers(-3, 4, (2, 1, 13, 17))).astype(np.float32)
    else:
        weight = np.exp(rng.uniform(-9, 9, (2, 1, 13, 17))).astype(np.float32)
    cases["soft"] = (np.concatenate([values * weight, weight], 1), flow)
    return cases


def torch_scatter(values: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The torch path's scatter (CPU tensors never dispatch to Triton)."""
    return splat_sum(torch.from_numpy(values), torch.from_numpy(flow)).numpy()


def assert_matches_torch(got: dict[str, np.ndarray], exact: dict, inexact: dict) -> None:
    """Bit for bit on the exact cases; within float32 rounding of the sums on the others."""
    for name, (values, flow) in exact.items():
        ref = torch_scatter(values, flow)
        assert got["exact_" + name].dtype == np.float32
        np.testing.assert_array_equal(got["exact_" + name], ref, err_msg=name)
    for name, (values, flow) in inexact.items():
        ref = torch_scatter(values, flow)
        assert got[name].shape == ref.shape and got[name].dtype == np.float32
        np.testing.assert_allclose(got[name], ref, rtol=1e-5, atol=1e-6 * np.abs(ref).max(), err_msg=name)


def test_exact_cases_are_order_independent() -> None:
    """The premise of the bit-for-bit checks: summing the exact cases in another order changes nothing."""
    for name, (values, flow) in make_cases(exact=True).items():
        ref = torch_scatter(values, flow)
        flipped = torch_scatter(values[..., ::-1, ::-1].copy(), -flow[..., ::-1, ::-1].copy())
        h, w = values.shape[2:]
        # Mirroring the frame and the flow visits the sources in reverse order; mirror back to compare.
        np.testing.assert_array_equal(flipped[..., ::-1, ::-1], ref, err_msg=name)
        assert np.count_nonzero(ref) > h * w // 2


def test_cases_exercise_collisions_and_dropped_targets() -> None:
    ones = np.ones((2, 1, 13, 17), np.float32)
    for exact in (False, True):
        hits = torch_scatter(ones, make_cases(exact)["c3"][1])
        assert hits[0, 0, 4, 5] > 5 and hits[1, 0, 3, 2] >= 35
        assert hits.sum() < 2 * 13 * 17 - 20


def test_interpreted_kernel_matches_torch_scatter(tmp_path: Path) -> None:
    exact, inexact = make_cases(exact=True), make_cases(exact=False)
    named = {**{"exact_" + k: v for k, v in exact.items()}, **inexact}
    arrays = {f"{name}_{part}": a for name, pair in named.items() for part, a in zip(("values", "flow"), pair)}
    np.savez(tmp_path / "in.npz", **arrays)
    env = {**os.environ, "TRITON_INTERPRET": "1", "CUDA_VISIBLE_DEVICES": ""}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = dict(np.load(tmp_path / "out.npz"))
    assert_matches_torch({k: v for k, v in got.items() if not k.endswith("_fixed")}, exact, inexact)
    # Fixed point: the kernel adds block by block, torch corner by corner over the whole frame;
    # integer sums make the order irrelevant, so the two agree bit for bit on every case.
    for name, (values, flow) in named.items():
        ref = splat_sum_fixed(torch.from_numpy(values), torch.from_numpy(flow)).numpy()
        np.testing.assert_array_equal(got[name + "_fixed"], ref, err_msg=name)


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
    from vsafi.models.ops.splat_triton import splat_sum_triton

    assert softsplat._triton_scatter() is splat_sum_triton


@pytest.mark.parametrize("capability", [80, 90])
def test_kernel_compiles_for_cuda_without_a_device(capability: int) -> None:
    """The real compiler (not the interpreter) accepts the kernel for Ampere and Hopper: a GPU-only
    type or lowering error shows up in CI, which has no GPU. Only that a binary exists is checked."""
    from triton import compile as triton_compile
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from vsafi.models.ops.splat_triton import _BLOCK, _FLT_MAX, _splat_sum_kernel

    for fixed, out, scale in ((False, "*fp32", "*fp32"), (True, "*i64", "*fp64")):
        signature = {"val_ptr": "*fp32", "flow_ptr": "*fp32", "out_ptr": out, "scale_ptr": scale, "C": "i32",
                     "H": "i32", "W": "i32", "BLOCK": "constexpr", "FLT_MAX": "constexpr", "FIXED": "constexpr"}
        constexprs = {"BLOCK": _BLOCK, "FLT_MAX": _FLT_MAX, "FIXED": fixed}
        src = ASTSource(_splat_sum_kernel, signature, constexprs=constexprs)
        kernel = triton_compile(src, target=GPUTarget("cuda", capability, 32), options={"enable_fp_fusion": False})
        assert len(kernel.asm["cubin"]) > 0, fixed


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_kernel_matches_torch_scatter(monkeypatch: pytest.MonkeyPatch) -> None:
    from vsafi.models.ops.splat_triton import splat_sum_triton

    monkeypatch.delenv("VSAFI_SPLAT", raising=False)
    assert softsplat._triton_scatter() is splat_sum_triton
    exact, inexact = make_cases(exact=True), make_cases(exact=False)
    exact["big"] = make_case(7, 2, 4, 270, 480, exact=True)
    inexact["big"] = make_case(7, 2, 4, 270, 480)
    named = {**{"exact_" + k: v for k, v in exact.items()}, **inexact}
    fixed = {}
    for via in ("triton", "torch"):
        if via == "torch":
            monkeypatch.setenv("VSAFI_SPLAT", "torch")
        got = {name: splat_sum(*(torch.from_numpy(a).cuda() for a in pair)).cpu().numpy()
               for name, pair in named.items()}
        assert_matches_torch(got, exact, inexact)
        again = {name: splat_sum(*(torch.from_numpy(a).cuda() for a in pair)).cpu().numpy()
                 for name, pair in named.items()}
        fixed[via] = got
        for name in named:
            np.testing.assert_array_equal(again[name], got[name], err_msg=f"{via} {name}: run to run")
    monkeypatch.delenv("VSAFI_SPLAT")
    for name in named:
        np.testing.assert_array_equal(fixed["triton"][name], fixed["torch"][name], err_msg=name)
    values, flow = inexact["c3"]
    metric = np.random.default_rng(8).uniform(-9, 9, (2, 1, 13, 17)).astype(np.float32)
    args = [torch.from_numpy(a) for a in (values, flow, metric)]
    out_cpu, norm_cpu = splat_with_weight(*args)
    out_gpu, norm_gpu = splat_with_weight(*(a.cuda() for a in args))
    torch.testing.assert_close(out_gpu.cpu(), out_cpu, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(norm_gpu.cpu(), norm_cpu, rtol=1e-5, atol=1e-5)
    half = splat_with_weight(*(a.cuda().half() for a in args))[0]
    assert half.dtype == torch.float16
