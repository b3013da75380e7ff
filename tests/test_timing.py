"""Timing layer alone (docs/timing.md): exact time maps, scene bookkeeping and the plans of
plain / forward / drba.

Source frames are numbers (an actor's drawn position). Plans are evaluated with an ideal VFI,
a linear blend VFI(a, b, t) = (1−t)·a + t·b, and pyramid nodes with the same blend at t = 1/2,
so motion quality can be measured exactly with Fractions.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction as Fr

import pytest

from vsafi.modes.drba.plan import DrbaStep, drba_plan, drba_window
from vsafi.modes.forward.plan import forward_plan, forward_region, forward_window
from vsafi.modes.plain.plan import plain_plan, plain_window
from vsafi.timing import (
    Interp,
    Node,
    as_fraction,
    cut_test_from_set,
    cuts_from_scene_starts,
    last_output_before,
    output_length,
    phase_offset,
    scene_bounds,
    source_time,
)

HALF = Fr(1, 2)
RATIOS = [Fr(5, 2), Fr(2), Fr(3), Fr(1001, 400)]


class CutLog:
    """is_cut over a known cut set that records every pair it was asked about."""

    def __init__(self, cuts=()):
        self.cuts = frozenset(cuts)
        self.calls: list[int] = []

    def __call__(self, i: int) -> bool:
        self.calls.append(i)
        return i in self.cuts


def node_value(frames, node: Node, memo=None):
    """Ideal pyramid: L[0][i] = F[i], L[l][i] = (L[l−1][i] + L[l−1][i+1]) / 2."""
    memo = {} if memo is None else memo
    key = (node.level, node.index)
    if key not in memo:
        if node.level == 0:
            memo[key] = Fr(frames[node.index])
        else:
            left = node_value(frames, Node(node.level - 1, node.index), memo)
            right = node_value(frames, Node(node.level - 1, node.index + 1), memo)
            memo[key] = (left + right) / 2
    return memo[key]


def render(frames, plan, memo=None):
    """Ideal VFI. A DrbaStep on linear motion has rho = 1/2 on both sides, so T1 = s."""
    if isinstance(plan, DrbaStep):
        a, b = Fr(frames[plan.center]), Fr(frames[plan.neighbour])
        return a + plan.s * (b - a)
    a = node_value(frames, plan.a, memo)
    if plan.b is None:
        return a
    return (1 - plan.t) * a + plan.t * node_value(frames, plan.b, memo)


def shown_time(plan: Interp) -> Fr:
    """Source time an Interp plan shows: its nodes' times blended by t."""
    if plan.b is None:
        return plan.a.time
    return plan.a.time + plan.t * (plan.b.time - plan.a.time)


def scenes_of(n: int, cuts) -> list[tuple[int, int]]:
    starts = [0] + [i + 1 for i in sorted(cuts) if i + 1 < n]
    ends = [s - 1 for s in starts[1:]] + [n - 1]
    return list(zip(starts, ends))


def scene_index(n: int, cuts) -> list[tuple[int, int]]:
    """Scene [S, E] of every source frame."""
    out = [None] * n
    for s, e in scenes_of(n, cuts):
        for i in range(s, e + 1):
            out[i] = (s, e)
    return out


def random_layout(rng: random.Random, n: int) -> frozenset[int]:
    """Cuts with a mix of scene lengths: 1, 2, short and long."""
    cuts = set()
    i = rng.choice([-1, 0, 1])
    while True:
        i += rng.choice([1, 1, 2, 2, 3, 4, 6, 9, 14])
        if i >= n - 1:
            return frozenset(cuts)
        if i >= 0:
            cuts.add(i)


def forward_time(j: int, ratio: Fr, n: int, phase: str) -> Fr:
    raw = source_time(j, ratio, phase)
    return raw if 0 <= raw < n else min(max(raw, Fr(0)), Fr(n - 1))


def reference_forward(j: int, ratio: Fr, n: int, N: int, cuts, phase: str) -> Interp:
    """docs/forward.md §5, written directly with the true scene bounds of the whole clip."""
    tau = forward_time(j, ratio, n, phase)
    S, E = scene_index(n, cuts)[math.floor(tau)]
    if S == E:
        return Interp.hold(Node(0, S))
    ne = min(N, E - S)
    h = Fr(ne, 2)

    def step(path, x):
        m = math.floor(x)
        w = x - m
        return Interp.hold(path[m]) if w == 0 else Interp(path[m], path[m + 1], w)

    if tau < S + h:
        return step([Node(l, S) for l in range(ne + 1)], 2 * (tau - S))
    if tau <= E - h:
        return step([Node(ne, s) for s in range(S, E - ne + 1)], tau - h - S)
    a = E - h
    j_last = max(i for i in range(output_length(n, ratio)) if source_time(i, ratio, phase) < E + 1)
    tau_last = forward_time(j_last, ratio, n, phase)
    c = Fr(E) if tau_last <= a else a + h * (tau - a) / (tau_last - a)
    return step([Node(ne - m, E - ne + m) for m in range(ne + 1)], 2 * (c - a))


# --------------------------------------------------------------------------- time map


@pytest.mark.parametrize(
    ("src", "dst", "ratio"),
    [
        (Fr(24000, 1001), Fr(60000, 1001), Fr(5, 2)),
        (Fr(24), Fr(60), Fr(5, 2)),
        (Fr(24), Fr(48), Fr(2)),
        (Fr(24000, 1001), Fr(72000, 1001), Fr(3)),
        (Fr(24000, 1001), Fr(60), Fr(1001, 400)),
    ],
)
def test_tau_map_is_exact(src, dst, ratio):
    assert dst / src == ratio
    n = 2003
    length = output_length(n, ratio)
    assert length - 1 < n * ratio <= length
    for j in range(length):
        tau = source_time(j, ratio)
        assert isinstance(tau, Fr)
        assert tau == Fr(j * ratio.denominator, ratio.numerator)
    integer_outputs = [j for j in range(length) if source_time(j, ratio).denominator == 1]
    assert len(integer_outputs) == n // ratio.denominator + (n % ratio.denominator > 0)
    for j in integer_outputs:
        k = int(source_time(j, ratio))
        hold = Interp.hold(Node(0, k))
        assert plain_plan(j, ratio, n, CutLog()) == hold
        assert forward_plan(j, ratio, n, 0, CutLog()) == hold
        assert drba_plan(j, ratio, n, CutLog()) == hold


def test_output_length_examples():
    assert as_fraction(59.94) / as_fraction(23.976) == Fr(5, 2)
    assert output_length(24, Fr(5, 2)) == 60
    assert output_length(25, Fr(5, 2)) == 63
    assert output_length(24, Fr(1001, 400)) == 61
    assert output_length(400, Fr(1001, 400)) == 1001
    assert output_length(7, Fr(2)) == 14
    assert output_length(1, Fr(3)) == 3
    assert source_time(1001, Fr(1001, 400)) == 400


def test_float_products_would_be_wrong():
    """The reason for Fractions: float seconds miss exact integers (23.976 -> 47.952)."""
    src, dst, ratio = 24000 / 1001, 48000 / 1001, Fr(2)
    assert math.floor((54 / dst) * src) == 26
    assert source_time(54, ratio) == 27
    assert math.ceil(25 / src * dst) == 51
    assert output_length(25, ratio) == 50


def test_centered_phase():
    assert phase_offset(Fr(2), "centered") == Fr(-1, 4)
    taus = [source_time(j, Fr(2), "centered") for j in range(4)]
    assert taus == [Fr(-1, 4), Fr(1, 4), Fr(3, 4), Fr(5, 4)]
    n = 5
    last = output_length(n, Fr(2)) - 1
    assert source_time(last, Fr(2), "centered") > n - 1
    for mode in (plain_plan, drba_plan):
        assert mode(0, Fr(2), n, CutLog(), "centered") == Interp.hold(Node(0, 0))
        assert mode(last, Fr(2), n, CutLog(), "centered") == Interp.hold(Node(0, n - 1))
    assert forward_plan(0, Fr(2), n, 1, CutLog(), "centered") == Interp.hold(Node(0, 0))
    assert forward_plan(last, Fr(2), n, 1, CutLog(), "centered") == Interp.hold(Node(0, n - 1))
    with pytest.raises(ValueError):
        source_time(0, Fr(2), "shifted")


def test_last_output_before():
    for ratio in RATIOS:
        for phase in ("standard", "centered"):
            for t in (Fr(1), Fr(3), Fr(7)):
                j = last_output_before(t, ratio, phase)
                assert source_time(j, ratio, phase) < t <= source_time(j + 1, ratio, phase)


def test_output_number_is_checked():
    for plan in (plain_plan, drba_plan):
        with pytest.raises(ValueError):
            plan(60, Fr(5, 2), 24, CutLog())
        with pytest.raises(ValueError):
            plan(-1, Fr(5, 2), 24, CutLog())
    with pytest.raises(ValueError):
        forward_plan(0, Fr(5, 2), 24, -1, CutLog())


# --------------------------------------------------------------------------- scenes


def test_scene_bounds_searches_only_its_range():
    is_cut = CutLog({2, 5, 9})
    assert scene_bounds(4, is_cut, 0, 12) == (3, 5)
    assert set(is_cut.calls) == {2, 3, 4, 5}
    assert scene_bounds(0, CutLog({2}), 0, 12) == (0, 2)
    assert scene_bounds(12, CutLog({9}), 0, 12) == (10, 12)
    assert scene_bounds(3, CutLog({3, 2}), 0, 12) == (3, 3)
    is_cut = CutLog({0, 11})
    assert scene_bounds(6, is_cut, 4, 8) == (4, 8)
    assert set(is_cut.calls) == set(range(4, 8))
    assert scene_bounds(4, CutLog(), 4, 4) == (4, 4)
    with pytest.raises(ValueError):
        scene_bounds(3, CutLog(), 4, 8)


def test_cuts_from_scene_starts():
    assert cuts_from_scene_starts([0, 5, 9]) == frozenset({4, 8})
    assert cuts_from_scene_starts([]) == frozenset()
    assert cuts_from_scene_starts((3, 3)) == frozenset({2})
    is_cut = cut_test_from_set(cuts_from_scene_starts([4]))
    assert is_cut(3) and not is_cut(4)
    with pytest.raises(ValueError):
        cuts_from_scene_starts([-1])
    with pytest.raises(TypeError):
        cuts_from_scene_starts([1.5])


# --------------------------------------------------------------------------- plain


def test_plain_plans_and_linear_motion():
    ratio, n = Fr(5, 2), 10
    frames = list(range(n))
    for j in range(output_length(n, ratio)):
        tau = min(source_time(j, ratio), Fr(n - 1))
        plan = plain_plan(j, ratio, n, CutLog())
        assert render(frames, plan) == tau
        k = math.floor(tau)
        assert plain_window(j, ratio, n) == range(k, min(k + 1, n - 1) + 1)
    assert plain_plan(3, ratio, n, CutLog()) == Interp(Node(0, 1), Node(0, 2), Fr(1, 5))
    assert plain_plan(3, ratio, n, CutLog({1})) == Interp.hold(Node(0, 1))
    assert plain_plan(3, ratio, n, CutLog({0, 2})) == Interp(Node(0, 1), Node(0, 2), Fr(1, 5))


# --------------------------------------------------------------------------- forward


def body_outputs(ratio, n, N, cuts=()):
    return [
        j
        for j in range(output_length(n, ratio))
        if forward_region(j, ratio, n, N, CutLog(cuts)).region == "body"
    ]


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("offset", [0, 1])
def test_forward_on_twos_is_linear(ratio, offset):
    n = 40
    frames = [2 * ((i + offset) // 2) for i in range(n)]
    body = body_outputs(ratio, n, 1)
    assert len(body) >= ratio * (n - 3)
    values = [render(frames, forward_plan(j, ratio, n, 1, CutLog())) for j in body]
    steps = {b - a for a, b in zip(values, values[1:])}
    assert steps == {1 / ratio}
    plain_values = [render(frames, plain_plan(j, ratio, n, CutLog())) for j in body]
    assert len({b - a for a, b in zip(plain_values, plain_values[1:])}) > 1


def smoothness(values):
    steps = [b - a for a, b in zip(values, values[1:])]
    return min(steps), max(steps) / (sum(steps) / len(steps))


@pytest.mark.parametrize("ratio", RATIOS)
def test_forward_on_threes_is_smoother_than_plain(ratio):
    n = 60
    frames = [3 * (i // 3) for i in range(n)]
    body = body_outputs(ratio, n, 2)
    forward_values = [render(frames, forward_plan(j, ratio, n, 2, CutLog())) for j in body]
    plain_values = [render(frames, plain_plan(j, ratio, n, CutLog())) for j in body]
    f_min, f_peak = smoothness(forward_values)
    p_min, p_peak = smoothness(plain_values)
    assert f_min > 0, "forward must move every output on threes"
    assert p_min == 0, "plain holds the drawing"
    assert f_peak <= Fr(3, 2) * Fr(105, 100)
    assert p_peak >= Fr(29, 10)


@pytest.mark.parametrize("seed", range(6))
def test_forward_n0_is_plain(seed):
    rng = random.Random(seed)
    for _ in range(20):
        n = rng.randint(1, 30)
        ratio = rng.choice(RATIOS)
        phase = rng.choice(["standard", "centered"])
        cuts = random_layout(rng, n)
        for j in range(output_length(n, ratio)):
            expected = plain_plan(j, ratio, n, CutLog(cuts), phase)
            assert forward_plan(j, ratio, n, 0, CutLog(cuts), phase) == expected


def test_forward_regions():
    ratio, n, cuts = Fr(2), 14, {4}
    regions = {}
    for j in range(output_length(n, ratio)):
        r = forward_region(j, ratio, n, 2, CutLog(cuts))
        regions.setdefault(r.region, []).append(r.tau)
    assert regions["head"] == [0, HALF, 5, Fr(11, 2)]
    assert regions["body"] == [t / 2 for t in range(2, 7)] + [t / 2 for t in range(12, 25)]
    assert regions["tail"] == [Fr(7, 2), 4, Fr(9, 2), Fr(25, 2), 13, Fr(27, 2)]
    single = forward_region(5, Fr(2), 6, 2, CutLog({1, 2}))
    assert single.region == "single" and (single.start, single.end) == (2, 2)
    assert forward_plan(5, Fr(2), 6, 2, CutLog({1, 2})) == Interp.hold(Node(0, 2))


def test_forward_small_scene_uses_fewer_passes():
    """A scene of 2 frames with N = 2: one pass, apex L1[S] at its midpoint, never L2."""
    ratio, n, cuts = Fr(4), 8, {2, 4}
    plans = [forward_plan(j, ratio, n, 2, CutLog(cuts)) for j in range(12, 22)]
    assert [str(p) for p in plans] == [
        "F[3]",
        "VFI(F[3], L1[3], 1/2)",
        "L1[3]",
        "VFI(L1[3], F[4], 1/5)",
        "VFI(L1[3], F[4], 2/5)",
        "VFI(L1[3], F[4], 3/5)",
        "VFI(L1[3], F[4], 4/5)",
        "F[4]",
        "F[5]",
        "VFI(F[5], L1[5], 1/2)",
    ]


def check_forward_clip(ratio, n, N, cuts, phase):
    """Every invariant of one clip: reference equality, scene isolation, windows, end slots."""
    scene = scene_index(n, cuts)
    length = output_length(n, ratio)
    plans = []
    for j in range(length):
        is_cut = CutLog(cuts)
        plan = forward_plan(j, ratio, n, N, is_cut, phase)
        window = forward_window(j, ratio, n, N, phase)
        expected = reference_forward(j, ratio, n, N, cuts, phase)
        assert plan == expected, (j, ratio, n, N, sorted(cuts), phase)
        assert all(i in window and i + 1 in window for i in is_cut.calls)
        assert plan.sources <= set(window)
        k0 = math.floor(forward_time(j, ratio, n, phase))
        assert plan.sources <= set(range(scene[k0][0], scene[k0][1] + 1))
        plans.append(plan)
    for S, E in scenes_of(n, cuts):
        slots = [j for j in range(length) if S <= forward_time(j, ratio, n, phase) < E + 1]
        if not slots:
            continue
        assert plans[slots[-1]] == Interp.hold(Node(0, E))
        assert plans[slots[0]].a == Node(0, S)
        if forward_time(slots[0], ratio, n, phase) == S:
            assert plans[slots[0]] == Interp.hold(Node(0, S))
        times = [shown_time(plans[j]) for j in slots]
        assert times == sorted(times)
        assert S <= times[0] and times[-1] == E
        for j in slots:
            r = forward_region(j, ratio, n, N, CutLog(cuts), phase)
            if r.region in ("head", "body"):
                assert shown_time(plans[j]) == r.tau


@pytest.mark.parametrize("seed", range(12))
def test_forward_random_layouts(seed):
    rng = random.Random(1000 + seed)
    for _ in range(8):
        n = rng.randint(1, 45)
        ratio, N = rng.choice(RATIOS), rng.randint(0, 4)
        phase = rng.choice(["standard", "centered"])
        check_forward_clip(ratio, n, N, random_layout(rng, n), phase)


def test_forward_edge_layouts():
    """Hand-picked layouts: 1-frame first/last scenes, scenes shorter than N+1, no cuts."""
    for cuts in ({0}, {0, 1}, {5}, {6, 7}, {0, 2, 3, 5, 6}, set(), set(range(7))):
        for N in range(5):
            for ratio in RATIOS:
                for phase in ("standard", "centered"):
                    check_forward_clip(ratio, 8, N, cuts, phase)
    check_forward_clip(Fr(5, 2), 1, 2, set(), "standard")


@pytest.mark.parametrize("N", range(5))
def test_forward_cold_seek_cost(N):
    """A body output between two apexes needs N(N+3)/2 midpoints (docs/forward.md §5.6)."""
    ratio, n = Fr(5, 2), 40
    for j in body_outputs(ratio, n, N):
        plan = forward_plan(j, ratio, n, N, CutLog())
        if plan.b is None:
            continue
        needed = set()
        stack = [plan.a, plan.b]
        while stack:
            node = stack.pop()
            if node.level and node not in needed:
                needed.add(node)
                stack += [Node(node.level - 1, node.index), Node(node.level - 1, node.index + 1)]
        assert len(needed) == N * (N + 3) // 2


# --------------------------------------------------------------------------- drba


def test_drba_linear_motion():
    ratio, n = Fr(5, 2), 12
    frames = [7 * i for i in range(n)]
    for j in range(output_length(n, ratio)):
        tau = min(source_time(j, ratio), Fr(n - 1))
        plan = drba_plan(j, ratio, n, CutLog())
        k = math.floor(tau + HALF)
        u = tau - k
        assert render(frames, plan) == 7 * tau
        if u == 0:
            assert plan == Interp.hold(Node(0, k))
        elif 0 < k < n - 1:
            assert plan == DrbaStep(k, k - 1 if u < 0 else k + 1, abs(u))
    assert drba_plan(3, ratio, n, CutLog()) == DrbaStep(1, 2, Fr(1, 5))
    assert drba_plan(4, ratio, n, CutLog()) == DrbaStep(2, 1, Fr(2, 5))
    assert drba_window(4, ratio, n) == range(1, 4)


def test_drba_centered_is_symmetric():
    ratio, n = Fr(2), 8
    plans = [drba_plan(j, ratio, n, CutLog(), "centered") for j in range(output_length(n, ratio))]
    for k in range(1, n - 1):
        assert plans[2 * k] == DrbaStep(k, k - 1, Fr(1, 4))
        assert plans[2 * k + 1] == DrbaStep(k, k + 1, Fr(1, 4))


def test_drba_cuts():
    ratio, n = Fr(4), 10
    before, after = 4 * 5 - 1, 4 * 5 + 1
    assert drba_plan(before, ratio, n, CutLog()) == DrbaStep(5, 4, Fr(1, 4))
    assert drba_plan(after, ratio, n, CutLog()) == DrbaStep(5, 6, Fr(1, 4))
    assert drba_plan(before, ratio, n, CutLog({4})) == Interp.hold(Node(0, 5))
    assert drba_plan(after, ratio, n, CutLog({4})) == Interp(Node(0, 5), Node(0, 6), Fr(1, 4))
    assert drba_plan(before, ratio, n, CutLog({5})) == Interp(Node(0, 4), Node(0, 5), Fr(3, 4))
    assert drba_plan(after, ratio, n, CutLog({5})) == Interp.hold(Node(0, 5))
    for j in (before, after):
        assert drba_plan(j, ratio, n, CutLog({4, 5})) == Interp.hold(Node(0, 5))
    assert drba_plan(20, ratio, n, CutLog({4, 5})) == Interp.hold(Node(0, 5))


def test_drba_first_and_last_frame():
    ratio, n = Fr(4), 6
    assert drba_plan(1, ratio, n, CutLog()) == Interp(Node(0, 0), Node(0, 1), Fr(1, 4))
    assert drba_plan(1, ratio, n, CutLog({0})) == Interp.hold(Node(0, 0))
    last = 4 * (n - 1)
    blend = Interp(Node(0, n - 2), Node(0, n - 1), Fr(3, 4))
    assert drba_plan(last - 1, ratio, n, CutLog()) == blend
    assert drba_plan(last - 1, ratio, n, CutLog({n - 2})) == Interp.hold(Node(0, n - 1))
    for j in range(last, output_length(n, ratio)):
        assert drba_plan(j, ratio, n, CutLog()) == Interp.hold(Node(0, n - 1))
    assert drba_plan(2, Fr(3), 1, CutLog()) == Interp.hold(Node(0, 0))


@pytest.mark.parametrize("seed", range(6))
def test_drba_and_plain_random_layouts(seed):
    rng = random.Random(2000 + seed)
    for _ in range(15):
        n = rng.randint(1, 40)
        ratio = rng.choice(RATIOS)
        phase = rng.choice(["standard", "centered"])
        cuts = random_layout(rng, n)
        scene = scene_index(n, cuts)
        for j in range(output_length(n, ratio)):
            for plan_fn, window_fn in ((drba_plan, drba_window), (plain_plan, plain_window)):
                is_cut = CutLog(cuts)
                plan = plan_fn(j, ratio, n, is_cut, phase)
                window = window_fn(j, ratio, n, phase)
                assert all(i in window and i + 1 in window for i in is_cut.calls)
                if isinstance(plan, DrbaStep):
                    S, E = scene[plan.center]
                    assert S < plan.center < E
                    assert window == range(plan.center - 1, plan.center + 2)
                else:
                    assert plan.sources <= set(window)
                    S, E = scene[plan.a.index]
                assert plan.sources <= set(range(S, E + 1))
