"""A network compiled with ``torch.compile`` standing in for its eager module.

Compiling RIFE 4.6 for one 1080p canvas took 193 s on an H200 (``max-autotune``) and 41–62 s
for a 64×96 or 64×128 canvas on 2 CPU cores; a player cannot stall that long, and an encode should not
silently run slower. So the policy is the user's (:data:`COMPILE_POLICIES`): ``"wait"``
compiles on first use with progress on stderr, ``"background"`` keeps serving eager results
until the compiled graph for that call is ready. Either way the graphs land in a cache
folder, and the next process with the same model, canvas, precision, GPU and library versions
finds them there (inductor keys its cache by the graph, the input shapes and dtypes, the device
and the versions): 2.6 s instead of 62 s for the first frame at 64×128 on the CPU.

Warps stay in float32 inside the compiled graph, as in the eager model (:mod:`.ops.warp` casts
explicitly; inductor keeps the casts). Splats are not part of any compiled network.

Seek == playback holds for ``"wait"`` (every call compiled) and ``"off"``; under
``"background"`` the frames computed before a graph is ready come from the eager model and
differ from the compiled ones by rounding (RIFE on the CPU: 134 dB PSNR or more).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ..progress import say as _say
from ..user_cache import user_cache_dir

__all__ = ["COMPILE_POLICIES", "DEFAULT_COMPILE", "CompiledNetwork", "compile_cache_dir", "compile_mode",
           "use_compile_cache"]

#: Every compile policy, once: the filter's checks, the CLI's choices and the README read it.
COMPILE_POLICIES: dict[str, str] = {
    "off": "eager PyTorch, nothing compiled",
    "wait": "compile each network on first use, printing progress on stderr; every frame comes from the "
            "compiled graph, so seeking gives the frames playback gives (encodes)",
    "background": "compile in a background thread and serve eager frames until the graph is ready; "
                  "never stalls (players), but frames before that differ by rounding",
}
DEFAULT_COMPILE = "off"

#: Seconds between "still compiling" lines on stderr.
PROGRESS_INTERVAL_S = 15.0

# Dynamo is not safe for two compiles at once; every network in the process compiles in turn.
_compile_lock = threading.Lock()


def compile_mode(device: torch.device) -> str | None:
    """Inductor's mode: ``$VSAFI_COMPILE_MODE`` when set ("default" for torch's own, which builds
    faster and autotunes nothing), else ``max-autotune-no-cudagraphs`` on CUDA (RIFE 4.6 at
    1080p on an H200: 2.9 ms a pass against 5.3 eager, after 193 s of building) and torch's
    default on the CPU. CUDA graphs are left out: outputs are rendered from several threads
    with tensors that do not keep their addresses."""
    chosen = os.environ.get("VSAFI_COMPILE_MODE")
    if chosen:
        return None if chosen == "default" else chosen
    return "max-autotune-no-cudagraphs" if device.type == "cuda" else None


def compile_cache_dir() -> Path:
    """Where compiled graphs are kept: ``$VSAFI_COMPILE_CACHE``, else the user cache folder
    (``$XDG_CACHE_HOME/vsafi/compiled``, default ``~/.cache/vsafi/compiled``)."""
    env = os.environ.get("VSAFI_COMPILE_CACHE")
    if env:
        return Path(env)
    return user_cache_dir("compiled")


def _torch_default_cache() -> str | None:
    """The folder inductor picks when nobody chose one (a temporary folder, lost at reboot);
    ``torch.compile`` writes it into ``TORCHINDUCTOR_CACHE_DIR`` as soon as it is called."""
    try:
        from torch._inductor.runtime.cache_dir_utils import default_cache_dir
    except ImportError:
        return None
    return os.path.abspath(default_cache_dir())


def use_compile_cache() -> Path:
    """Point inductor's cache at :func:`compile_cache_dir`, unless the user already chose one
    with ``TORCHINDUCTOR_CACHE_DIR``; returns the folder in use."""
    chosen = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if chosen and os.path.abspath(chosen) != _torch_default_cache():
        return Path(chosen)
    folder = compile_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)
    return folder


def _signature(args: tuple, kwargs: dict) -> tuple:
    """What decides whether a call needs its own graph: tensor shapes, dtypes, devices and
    whether they are inference tensors (dynamo guards on that too), and the values of
    everything else (block scales, flags)."""

    def one(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return ("tensor", tuple(x.shape), x.dtype, x.device, x.is_inference())
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, tuple(one(v) for v in x))
        if isinstance(x, (int, float, bool, str, type(None))):
            return x
        return type(x).__name__

    return one(args), tuple(sorted((k, one(v)) for k, v in kwargs.items()))


def _copy(x: Any) -> Any:
    """A tensor argument copied for the compile thread, an inference tensor only if the original
    is one: a graph built for the other kind would be rebuilt, in the caller, at its first use."""
    if not isinstance(x, torch.Tensor):
        return x
    with torch.inference_mode(x.is_inference()):
        return x.clone()


def _describe(args: tuple) -> str:
    shapes = [tuple(a.shape) for a in args if isinstance(a, torch.Tensor)]
    dtypes = {str(a.dtype).removeprefix("torch.") for a in args if isinstance(a, torch.Tensor)}
    shape = "×".join(map(str, shapes[0][2:])) if shapes and len(shapes[0]) == 4 else str(shapes[:1])
    return f"{shape} {'/'.join(sorted(dtypes))}"


class CompiledNetwork(nn.Module):
    """Calls ``eager`` or its compiled graph, per call signature, by ``policy``.

    An ``nn.Module`` so that it can replace a submodule in place (``GMFSS.fusionnet``).
    ``compiled_calls`` / ``eager_calls`` count which path served each call (for tests);
    ``failed`` holds the first compile error, after which every call is eager.
    """

    def __init__(self, eager: nn.Module, label: str, policy: str, mode: str | None = None,
                 say: Callable[[str], None] = _say) -> None:
        super().__init__()
        if policy not in ("wait", "background"):
            raise ValueError(f"CompiledNetwork: policy must be 'wait' or 'background', not {policy!r}")
        self.eager = eager
        self.label = label
        self.policy = policy
        self.say = say
        self.compiled_calls = 0
        self.eager_calls = 0
        self.failed: BaseException | None = None
        use_compile_cache()
        # A plain attribute, not a second registration of ``eager`` as a submodule.
        object.__setattr__(self, "_graph", torch.compile(eager, mode=mode, dynamic=False))
        self._ready: set[tuple] = set()
        self._pending: dict[tuple, threading.Thread] = {}
        self._state_lock = threading.Lock()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        key = _signature(args, kwargs)
        with self._state_lock:
            ready = key in self._ready
            start = not ready and self.failed is None and key not in self._pending
            if start and self.policy == "background":
                copies = tuple(_copy(a) for a in args)
                worker = threading.Thread(target=self._compile, args=(key, copies, kwargs), daemon=True,
                                          name=f"vsafi-compile-{self.label}")
                self._pending[key] = worker
                worker.start()
        if start and self.policy == "wait":
            ready = self._compile(key, args, kwargs)
        if ready:
            self.compiled_calls += 1
            return self._graph(*args, **kwargs)
        self.eager_calls += 1
        return self.eager(*args, **kwargs)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until every background compile started so far has ended (tests, prebuilds)."""
        with self._state_lock:
            workers = list(self._pending.values())
        for worker in workers:
            worker.join(timeout)

    def _compile(self, key: tuple, args: tuple, kwargs: dict) -> bool:
        """Compile the graph for ``key`` by running it once on ``args``; True when it is ready."""
        what = f"{self.label} for {_describe(args)}"
        with _compile_lock:
            folder = use_compile_cache()
            self.say(f"compiling {what} ({'eager frames meanwhile' if self.policy == 'background' else 'first use'}; "
                     f"cached in {folder})")
            started = time.monotonic()
            done = threading.Event()
            ticker = threading.Thread(target=self._tick, args=(what, started, done), daemon=True)
            ticker.start()
            try:
                with torch.inference_mode():
                    self._graph(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any compiler failure leaves the eager model working
                self.failed = exc
                self.say(f"compiling {what} failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                         f"continuing with the eager model")
                return False
            finally:
                done.set()
            self.say(f"compiled {what} in {time.monotonic() - started:.0f} s")
        with self._state_lock:
            self._ready.add(key)
            self._pending.pop(key, None)
        return True

    def _tick(self, what: str, started: float, done: threading.Event) -> None:
        while not done.wait(PROGRESS_INTERVAL_S):
            self.say(f"still compiling {what} ({time.monotonic() - started:.0f} s)")
