"""Which device and dtype a filter computes in, from the user's ``device=`` and ``precision=``."""

from __future__ import annotations

import torch

__all__ = ["resolve_device", "resolve_dtype", "thread_count_independent_cpu"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` → CUDA when available, else the CPU; otherwise a checked 'cuda', 'cuda:N' or 'cpu'."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cuda", "cpu"):
        raise ValueError(f"device must be 'cuda', 'cuda:N' or 'cpu', not {str(device)!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} requested but CUDA is not available; use device='cpu'")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {str(device)!r} does not exist; {torch.cuda.device_count()} CUDA device(s) found")
    return dev


def resolve_dtype(precision: str | None, device: torch.device) -> torch.dtype:
    """``None`` → fp16 on CUDA, fp32 on the CPU (where fp16 convolutions are not supported)."""
    if precision is None:
        return torch.float16 if device.type == "cuda" else torch.float32
    table = {"fp16": torch.float16, "half": torch.float16, "fp32": torch.float32, "float": torch.float32}
    if precision not in table:
        raise ValueError(f"precision must be 'fp16' or 'fp32', not {precision!r}")
    if table[precision] == torch.float16 and device.type == "cpu":
        raise ValueError("precision='fp16' needs a CUDA device; use precision='fp32' on the CPU")
    return table[precision]


def thread_count_independent_cpu() -> None:
    """Make RIFE on the CPU give the same bits at any thread count, so a scale-out worker with 1
    thread and a process with 16 agree: oneDNN picks its convolution by the thread count, ATen's
    own does not (measurements and GMFSS's remaining differences: docs/cluster.md).

    Process-wide and never undone: toggling it around calls would race with concurrent calls.
    """
    torch.backends.mkldnn.enabled = False
