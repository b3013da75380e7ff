"""The compiled model path (``compile=``): every frame compiled under "wait", eager frames until
the graph is ready under "background", a compiler failure that leaves the eager model working,
and graphs kept in a cache folder that a later process (or ``vsafi prebuild``) fills.

RIFE compiles on the CPU here (about 40 s per graph on 2 cores, cold); the GPU's numbers belong
to ``benchmarks/speed.py --compile``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from fractions import Fraction

import numpy as np
import pytest
import torch
import vapoursynth as vs
from torch._dynamo.utils import counters

import vsafi
from vsafi.cli import build_parser, filter_kwargs, main
from vsafi.engine.backends import get_backend
from vsafi.models import compiled
from vsafi.models.backend import ModuleBackend
from vsafi.models.compiled import (COMPILE_POLICIES, CompiledNetwork, compile_cache_dir, compile_mode,
                                   use_compile_cache)
from vsafi.prebuild import parse_size
from vsafi.synthetic import AnimeClip, mixed_scene, to_vs_clip

from conftest import assert_seek_equals_playback, needs_weights, planes

#: Inductor builds CPU kernels with g++ (torch._inductor.config.cpp.cxx); without one, compiling
#: falls back to eager, which test_a_compiler_failure_leaves_the_eager_model_working covers.
needs_cxx = pytest.mark.skipif(shutil.which("g++") is None, reason="inductor needs g++ to compile for the CPU")

#: speed.py --quick's size, so that its compiled run finds these tests' graphs in the cache.
SIZE = (128, 64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The least PSNR a compiled model's frames may have against the eager model's (docs/compile.md §5).
MIN_PSNR_DB = 50.0


def _clip() -> vs.VideoNode:
    w, h = SIZE
    return to_vs_clip(AnimeClip(w, h, [mixed_scene(w, h, (1, 2), length=6)]))


@pytest.fixture(scope="module", autouse=True)
def compile_cache(tmp_path_factory):
    """One cache folder for the whole module, so that later tests reuse earlier graphs and no
    test writes to the user's cache folder."""
    folder = tmp_path_factory.mktemp("compiled")
    patch = pytest.MonkeyPatch()
    patch.setenv("VSAFI_COMPILE_CACHE", str(folder))
    patch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    yield folder
    patch.undo()


def _clean_env(folder) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TORCHINDUCTOR_CACHE_DIR"}
    return env | {"VSAFI_COMPILE_CACHE": str(folder)}


_SECOND_PROCESS = """
import json, sys
from fractions import Fraction
import torch._dynamo.utils
import vsafi
from vsafi.synthetic import AnimeClip, mixed_scene, to_vs_clip
w, h = {size}
clip = to_vs_clip(AnimeClip(w, h, [mixed_scene(w, h, (1, 2), length=6)]))
out = vsafi.interpolate(clip, factor=Fraction(5, 2), mode="drba", device="cpu", compile="wait", scene_ratio=None)
for n in range(out.num_frames):
    out.get_frame(n)
c = torch._dynamo.utils.counters["inductor"]
print(json.dumps({{"hit": c["fxgraph_cache_hit"], "miss": c["fxgraph_cache_miss"]}}))
"""


@needs_weights("rife")
@pytest.mark.slow
@needs_cxx
def test_prebuild_fills_the_cache_that_a_later_process_compiles_from(compile_cache):
    """``vsafi prebuild`` for plain and DRBA compiles RIFE's three graphs (one time, a time map,
    the flow pass); a fresh process rendering DRBA at that size then finds all of them."""
    size = f"{SIZE[0]}x{SIZE[1]}"
    run = subprocess.run([sys.executable, "-m", "vsafi.cli", "prebuild", "--size", size, "--mode", "plain", "drba",
                          "--device", "cpu"], env=_clean_env(compile_cache), capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(compile_cache.rglob("*")), "prebuild wrote nothing to the cache folder"
    second = subprocess.run([sys.executable, "-c", _SECOND_PROCESS.format(size=SIZE)],
                            env=_clean_env(compile_cache), capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr[-2000:]
    counts = json.loads(second.stdout.strip().splitlines()[-1])
    assert counts["hit"] >= 3 and counts["miss"] == 0, counts


@needs_weights("rife")
@pytest.mark.slow
@needs_cxx
def test_wait_serves_every_call_compiled_and_seek_equals_playback(compile_cache):
    """Under "wait" no frame comes from the eager model, so a shuffled, threaded fetch with
    constant eviction equals playback bit for bit; and the compiled frames are within
    MIN_PSNR_DB of the eager ones."""
    clip = _clip()
    kw = dict(factor=Fraction(5, 2), mode="drba", device="cpu", scene_ratio=None)
    assert_seek_equals_playback(clip, evict=True, compile="wait", **kw)
    (net,) = get_backend("rife", device="cpu", compile="wait").compiled_networks()
    assert net.compiled_calls > 0 and net.eager_calls == 0 and net.failed is None
    compiled_out = vsafi.interpolate(clip, compile="wait", **kw)
    eager_out = vsafi.interpolate(clip, **kw)
    for n in range(compiled_out.num_frames):
        a = np.stack(planes(compiled_out.get_frame(n)))
        b = np.stack(planes(eager_out.get_frame(n)))
        mse = float(np.mean((a.astype(np.float64) - b) ** 2))
        assert mse == 0 or 10 * np.log10(1 / mse) >= MIN_PSNR_DB, n


@needs_weights("rife")
@pytest.mark.slow
@needs_cxx
def test_background_plays_eager_frames_first_then_exactly_the_frames_wait_gives(compile_cache):
    """A player's first frames come from the eager model while the graphs build; once they are
    ready, every frame is the one ``compile="wait"`` renders, bit for bit."""
    clip = _clip()
    kw = dict(factor=Fraction(5, 2), mode="drba", device="cpu", scene_ratio=None)

    def play(policy: str) -> list[list[np.ndarray]]:
        out = vsafi.interpolate(clip, compile=policy, **kw)
        return [planes(out.get_frame(n)) for n in range(out.num_frames)]

    play("background")
    (net,) = get_backend("rife", device="cpu", compile="background").compiled_networks()
    assert net.eager_calls > 0, "the first call of each kind must not wait for its graph"
    net.wait_ready(600)
    served = net.compiled_calls
    later, waited = play("background"), play("wait")
    assert net.compiled_calls > served and net.failed is None
    for n, (a, b) in enumerate(zip(later, waited)):
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), f"output {n} differs from compile='wait'"


@needs_weights("rife")
@pytest.mark.slow
@needs_cxx
def test_speed_benchmark_compares_compiled_with_eager(compile_cache):
    """The GPU table's compiled rows, at the CI size: built before the clock, within
    MIN_PSNR_DB of eager, seeking equal to playback."""
    run = subprocess.run([sys.executable, "benchmarks/speed.py", "--quick", "--json", "--models", "rife",
                          "--modes", "plain", "--compile", "off,wait", "--device", "cpu"], cwd=ROOT,
                         env=_clean_env(compile_cache), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    eager, compiled = (json.loads(line) for line in run.stdout.splitlines() if line.startswith("{"))
    assert (eager["compile"], compiled["compile"]) == ("off", "wait")
    assert eager["compile_s"] == 0 and compiled["compile_s"] > 0 and compiled["fps"] > 0
    assert compiled["identical_to_eager"] or compiled["min_psnr_vs_eager_db"] >= MIN_PSNR_DB
    assert eager["seek_equals_playback"] is True and compiled["seek_equals_playback"] is True


class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.conv(x))


@pytest.mark.slow
@needs_cxx
def test_background_serves_eager_results_until_its_graph_is_ready(compile_cache):
    eager = _Tiny().eval()
    said: list[str] = []
    net = CompiledNetwork(eager, "tiny", "background", say=said.append)
    release = threading.Event()
    graph = net._graph

    def held_graph(*args):
        release.wait(60)
        return graph(*args)

    net._graph = held_graph
    x = torch.rand(1, 3, 16, 24)
    with torch.inference_mode():
        first = net(x)
        second = net(x)
        assert (net.eager_calls, net.compiled_calls) == (2, 0), "a pending graph must not block"
        release.set()
        net.wait_ready(120)
        graphs = counters["stats"]["unique_graphs"]
        third = net(x)
        assert (net.eager_calls, net.compiled_calls) == (2, 1)
        assert counters["stats"]["unique_graphs"] == graphs, "the ready graph was rebuilt in the caller"
        other = net(torch.rand(1, 3, 32, 24))
        assert (net.eager_calls, net.compiled_calls) == (3, 1), "a new shape is a new graph: eager meanwhile"
        net.wait_ready(120)
        reference = eager(x)
    assert torch.equal(first, reference) and torch.equal(second, reference)
    assert torch.allclose(third, reference, atol=1e-5)
    assert other.shape == (1, 3, 32, 24)
    assert len([m for m in said if "tiny" in m]) >= 2, said


def test_a_compiler_failure_leaves_the_eager_model_working():
    eager = _Tiny().eval()
    said: list[str] = []
    net = CompiledNetwork(eager, "tiny", "wait", say=said.append)
    attempts = []

    def broken(*args):
        attempts.append(1)
        raise RuntimeError("no C++ compiler")

    net._graph = broken
    x = torch.rand(1, 3, 8, 8)
    with torch.inference_mode():
        assert torch.equal(net(x), eager(x))
        assert torch.equal(net(x), eager(x))
    assert isinstance(net.failed, RuntimeError) and len(attempts) == 1
    assert net.eager_calls == 2 and net.compiled_calls == 0
    assert any("no C++ compiler" in m for m in said), "the user is told why frames stay eager"


def test_a_network_reached_by_two_paths_is_compiled_once():
    """Union's IFNet renders its picture and measures DRBA's flows: one graph cache, not two."""

    class TwoPaths(ModuleBackend):
        networks = ("module", "alias")

    net = _Tiny().eval()
    backend = TwoPaths("tiny", 8, "replicate", net, torch.device("cpu"), torch.float32, 1.0)
    backend.alias = net
    backend.compile("wait")
    assert isinstance(backend.module, CompiledNetwork) and backend.alias is backend.module
    assert backend.compiled_networks() == [backend.module]


def test_compile_cache_folder_is_the_users_and_a_chosen_one_is_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("VSAFI_COMPILE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compile_cache_dir() == tmp_path / "xdg" / "vsafi" / "compiled"
    monkeypatch.setenv("VSAFI_COMPILE_CACHE", str(tmp_path / "mine"))
    assert compile_cache_dir() == tmp_path / "mine"
    # torch.compile writes its temporary default into the variable; that is not a choice.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", compiled._torch_default_cache())
    assert use_compile_cache() == tmp_path / "mine"
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "mine")
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "users-own"))
    assert use_compile_cache() == tmp_path / "users-own"


def test_unknown_compile_policy_is_refused_with_the_choices():
    clip = _clip()
    with pytest.raises(vs.Error, match="interpolate: compile must be one of off, wait, background, not 'fast'"):
        vsafi.interpolate(clip, factor=2, compile="fast", device="cpu")
    with pytest.raises(ValueError, match="compile must be one of"):
        get_backend("rife", device="cpu", compile="fast")


def test_cli_compile_choices_are_the_policies_and_reach_the_filter():
    actions = {a.dest: a for a in build_parser()._actions}
    assert actions["compile"].choices == list(COMPILE_POLICIES) and actions["compile"].default == "off"
    args = build_parser().parse_args(["-i", "a.mkv", "-o", "b.mkv", "--compile", "background"])
    assert filter_kwargs(args)["compile"] == "background"


def test_prebuild_refuses_a_bad_size(capsys):
    assert parse_size("1920x1080") == (1920, 1080)
    for bad in ("1920", "axb", "8x8"):
        with pytest.raises(ValueError, match="size must be"):
            parse_size(bad)
    assert main(["prebuild", "--size", "1080p"]) == 2
    assert "size must be WIDTHxHEIGHT" in capsys.readouterr().err


@pytest.mark.slow
@needs_cxx
def test_gmflow_propagation_compiles_to_what_eager_computes():
    """GMFlow's windowed flow propagation (radius 1), compiled: inductor once computed its
    query-key product wrong from a permuted view (GMFSS flows off by 7 px, its frames at 18 dB
    against eager); the module now hands it a contiguous tensor."""
    from vsafi.models.gmfss.gmflow import _FlowPropagation

    torch.manual_seed(0)
    prop = _FlowPropagation(128).eval()
    feat, flow = torch.randn(1, 128, 8, 16), torch.randn(1, 2, 8, 16)
    graph = torch.compile(prop, dynamic=False)
    with torch.inference_mode():
        assert torch.allclose(graph(feat, flow, 1), prop(feat, flow, 1), atol=1e-5)


def test_inductor_mode_autotunes_on_cuda_unless_the_user_says_otherwise(monkeypatch):
    monkeypatch.delenv("VSAFI_COMPILE_MODE", raising=False)
    assert compile_mode(torch.device("cuda")) == "max-autotune-no-cudagraphs"
    assert compile_mode(torch.device("cpu")) is None
    monkeypatch.setenv("VSAFI_COMPILE_MODE", "default")
    assert compile_mode(torch.device("cuda")) is None
    monkeypatch.setenv("VSAFI_COMPILE_MODE", "reduce-overhead")
    assert compile_mode(torch.device("cpu")) == "reduce-overhead"


@needs_weights("rife")
def test_prebuild_that_cannot_compile_says_so_and_fails(monkeypatch, capsys):
    """No C++ compiler, say: the filter would run eager, and prebuild must not claim success."""

    def no_compiler(module, **_):
        def graph(*args, **kwargs):
            raise RuntimeError("no working C++ compiler found")
        return graph

    monkeypatch.setattr(torch, "compile", no_compiler)
    # scale 0.5: a backend no other test has loaded, so this one is built with the broken compiler
    assert main(["prebuild", "--size", "64x64", "--mode", "plain", "--device", "cpu", "--scale", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "no working C++ compiler found" in err and "ready" not in err
