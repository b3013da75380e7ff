"""DRBA (docs/drba.md): the distance-ratio map on hand-made flows, then the mode end to end on
synthetic clips.

Centroids are measured on the actors' flat fill colour, in pixels; "drawing step" is how far an
actor jumps between two of its drawings.
"""

from __future__ import annotations

import math
import threading
import time
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import vapoursynth as vs

import vsafi
from conftest import assert_seek_equals_playback, counting, needs_weights, rgb_of
from vsafi.engine.backends import get_backend
from vsafi.engine.cache import OnceCache
from vsafi.engine.canvas import Canvas
from vsafi.engine.render import MAP_SLOTS, Renderer
from vsafi.frames import FrameWindow, FrameFormat
from vsafi.models.gmfss.network import prefer_near_side
from vsafi.models.gmfss.backend import swap_pair
from vsafi.models.ops.grids import endpoint_flow, neighbour_time, output_grid_time
from vsafi.modes.drba.mode import SIDE_DOMINANCE, DrbaMode
from vsafi.modes.drba.plan import DrbaStep
from vsafi.modes.drba.ratio import (EVIDENCE_RADIUS, MIN_FILL, distance_ratio, held_ratio,
                                    keep_where_still, read_fills, spread_evidence, step_time, structure, unchanged,
                                    with_outline)
from vsafi.modes.drba.regions import region_count, region_labels
from vsafi.synthetic import FILLS, Actor, AnimeClip, Scene, cadence_scene, centroid_of_colour, to_vs_clip
from vsafi.timing.plan import Interp

core = vs.core


def uniform_flow(h: int, w: int, fx: float, fy: float) -> torch.Tensor:
    flow = torch.empty(1, 2, h, w)
    flow[:, 0], flow[:, 1] = fx, fy
    return flow


# ---- the map on synthetic flows (no model) ----


def test_linear_motion_gives_half_ratio_and_the_plain_timestep():
    f12 = uniform_flow(6, 10, 3.0, -1.5)
    rho0, rho2 = distance_ratio(-f12, f12)
    assert torch.allclose(rho0, torch.full_like(rho0, 0.5)) and torch.allclose(rho2, torch.full_like(rho2, 0.5))
    for s in (0.1, 1 / 3, 0.5):
        for towards_previous in (True, False):
            t1 = step_time(rho0, rho2, towards_previous, s)
            assert torch.allclose(t1, torch.full_like(t1, s)), "linear motion must move like plain VFI (T1 = s)"


def test_region_static_on_one_side_is_held_on_the_other():
    h, w = 8, 12
    f10, f12 = torch.zeros(1, 2, h, w), torch.zeros(1, 2, h, w)
    f12[:, 0, 2:5] = 4.0  # rows 2-4: held with the previous frame, then moves
    f10[:, 0, 5:8] = -4.0  # rows 5-7: moved from the previous frame, then held
    rho0, rho2 = distance_ratio(f10, f12)
    towards_next = step_time(rho0, rho2, False, 0.5)
    towards_prev = step_time(rho0, rho2, True, 0.5)
    assert towards_next[..., 2:5, :].max() < 1e-4
    assert towards_prev[..., 5:8, :].max() < 1e-4
    # The other side of each region moves with T1 up to 2·s·1: its neighbour shows the same drawing.
    assert torch.allclose(towards_prev[..., 2:5, :], torch.ones(1), atol=1e-4)
    assert torch.allclose(towards_next[..., 0:2, :], torch.full((1,), 0.5))


def test_a_hold_takes_time_zero_towards_its_own_side_too():
    """Points held_ratio holds exactly (rho 0 or 1) have nowhere to go towards the neighbour they
    are held with; at time 0 keep_where_still shows the centre's own pixels there, where 2·s
    let GMFSS-union render the drawing from its identical neighbour up to 0.14 px off."""
    rho0 = torch.tensor([0.0, 0.3, 1.0]).view(1, 1, 1, 3)
    rho2 = 1.0 - rho0
    towards_prev = step_time(rho0, rho2, True, 0.4).flatten().tolist()
    towards_next = step_time(rho0, rho2, False, 0.4).flatten().tolist()
    assert towards_prev == pytest.approx([0.0, 0.56, 0.0])
    assert towards_next == pytest.approx([0.0, 0.24, 0.0])


def test_ratio_is_bounded_and_finite_everywhere():
    g = torch.Generator().manual_seed(3)
    f10 = torch.randn(2, 2, 16, 16, generator=g) * 5
    f12 = torch.randn(2, 2, 16, 16, generator=g) * 5
    f10[..., :4, :] = 0.0
    f12[..., :4, :] = 0.0  # static on both sides
    f12[..., 4:6, :] = 0.0  # static on one side only
    f10[..., 8:10, :] = 16.0  # hole value
    rho0, rho2 = distance_ratio(f10, f12)
    for rho in (rho0, rho2):
        assert torch.isfinite(rho).all() and rho.min() >= 0 and rho.max() <= 1
    assert torch.allclose(rho0 + rho2, torch.ones_like(rho0))
    assert torch.allclose(rho0[..., :4, :], torch.full((1,), 0.5))
    for s in (0.0, 0.25, 0.5):
        t1 = step_time(rho0, rho2, False, s)
        assert t1.min() >= 0 and t1.max() <= 1


def test_endpoint_flow_doubles_the_half_way_flow_and_marks_holes():
    h, w = 8, 16
    # Every mid pixel samples frame a 5 px to its right: a's content moves −5 px by mid, −10 by b.
    ends = endpoint_flow(uniform_flow(h, w, 5.0, 0.0))
    assert torch.allclose(ends[..., 5:], uniform_flow(h, w - 5, -10.0, 0.0))
    assert torch.equal(ends[..., :5], torch.full((1, 2, h, 5), float(max(h, w)))), "unseen pixels are holes"
    assert torch.equal(endpoint_flow(torch.zeros(1, 2, h, w)), torch.zeros(1, 2, h, w))


def test_output_grid_time_moves_the_map_and_keeps_it_in_holes():
    h, w = 2, 16
    t1 = torch.full((1, 1, h, w), 0.5)
    t1[..., :8] = 0.25
    # Flow 4 px towards the neighbour: columns < 8 move by 1 px, the others by 2 px.
    t_out = output_grid_time(t1, uniform_flow(h, w, 4.0, 0.0))
    expected = torch.full((w,), 0.5)
    expected[:9] = 0.25  # 1..8 come from 0..7; 0 is a hole keeping its own 0.25
    assert torch.allclose(t_out[0, 0, 0], expected), "column 9 is a hole and keeps 0.5"


def test_neighbour_time_lets_the_foreground_win_and_fills_holes():
    h, w = 2, 16
    t1 = torch.full((1, 1, h, w), 0.2)
    t1[..., :4] = 0.6
    metric = torch.full((1, 1, h, w), -5.0)
    metric[..., :4] = 5.0
    flow = torch.zeros(1, 2, h, w)
    flow[:, 0, :, :4] = 4.0  # columns 0-3 land on 4-7, on top of static background
    t_nb = neighbour_time(t1, flow, metric)[0, 0, 0]
    assert torch.allclose(t_nb[4:8], torch.full((4,), 0.4), atol=1e-3), "the foreground's 1 − T1 wins"
    assert torch.allclose(t_nb[:4], torch.full((4,), 0.4)), "holes keep 1 − T1"
    assert torch.allclose(t_nb[8:], torch.full((8,), 0.8), atol=1e-4)


def test_a_side_far_from_the_output_shows_the_near_side():
    x0, x1 = torch.zeros(1, 1, 1, 4), torch.ones(1, 1, 1, 4)
    t0 = torch.tensor([0.01, 0.3, 0.5, 0.99]).view(1, 1, 1, 4)
    side0, side1 = prefer_near_side(x0, x1, t0, 1 - t0, SIDE_DOMINANCE)
    assert side0.flatten().tolist() == [0, 0, 0, 1], "t0 = 0.99 > 25 × 0.01: side 0 shows side 1"
    assert side1.flatten().tolist() == [0, 1, 1, 1], "t1 = 0.99 > 25 × 0.01: side 1 shows side 0"


def test_unchanged_marks_only_regions_that_did_not_change_nearby():
    a = torch.zeros(1, 3, 16, 16)
    b = a.clone()
    b[:, :, 8, 8] = 0.5
    still = unchanged(a, b, (16, 16))[0, 0]
    assert not still[6:11, 6:11].any(), "a change marks its whole neighbourhood as moving"
    assert still[:5].all() and still[:, :5].all()
    assert unchanged(a, a + 1.5 / 255, (8, 8)).all(), "changes within the tolerance are still"
    assert unchanged(a, b, (8, 8)).shape == (1, 1, 8, 8)


def test_keep_where_still_returns_the_centre_exactly_at_t_zero():
    centre, out = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    t_out = torch.full((1, 1, 4, 4), 0.3)
    t_out[..., :2, :2] = 0.0
    kept = keep_where_still(out, centre, t_out)
    assert torch.equal(kept[..., :4, :4], centre[..., :4, :4])
    assert torch.equal(kept[..., 4:, :], out[..., 4:, :]) and torch.equal(kept[..., :, 4:], out[..., :, 4:])


def test_swap_pair_makes_the_second_frame_frame_zero():
    from vsafi.models.gmfss.network import PairState

    t = [torch.full((1, 1, 2, 2), float(v)) for v in range(14)]
    state = PairState(t[0], t[1], t[2], t[3], (t[4], t[5], t[6]), (t[7], t[8], t[9]), t[10], t[11], t[12], t[13])
    swapped = swap_pair(state)
    assert swapped.img0 is state.img1 and swapped.img1 is state.img0
    assert swapped.half0 is state.half1 and swapped.half1 is state.half0
    assert swapped.feat0 is state.feat1 and swapped.feat1 is state.feat0
    assert swapped.flow01 is state.flow10 and swapped.flow10 is state.flow01
    assert swapped.metric0 is state.metric1 and swapped.metric1 is state.metric0
    twice = swap_pair(swapped)
    assert all(getattr(twice, f) is getattr(state, f) for f in state.__dataclass_fields__)


# ---- the mode with RIFE on synthetic clips ----

W, H = 160, 96
FACTOR = 3


def centroid_x(frame: vs.VideoFrame, fill) -> float:
    c = centroid_of_colour(rgb_of(frame).transpose(1, 2, 0), fill)
    assert c is not None, "actor not found"
    return c[1]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * math.log10(1 / max(float(((a - b) ** 2).mean()), 1e-12))


@pytest.fixture(scope="module")
def cadence_mix():
    """Three lanes: an ellipse on twos, a box on ones with acceleration, a star on threes, over a
    still background; DRBA outputs for source times 1..4 at 3×, plus the sources' centroids."""
    scene = Scene(6, (
        Actor("ellipse", FILLS[0], (11, 13), (16, 24), (0, 5.0), cadence=2),
        Actor("box", FILLS[1], (11, 13), (48, 24), (0, 1.0), accel=(0, 1.5)),
        Actor("star", FILLS[2], (12, 12), (80, 30), (0, 5.0), cadence=3),
    ), seed=3)
    src = to_vs_clip(AnimeClip(W, H, [scene]))
    out = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="rife", device="cpu")
    fills = [a.fill for a in scene.actors]
    outputs = {j: [centroid_x(out.get_frame(j), f) for f in fills] for j in range(FACTOR, 4 * FACTOR + 1)}
    sources = {i: [centroid_x(src.get_frame(i), f) for f in fills] for i in range(6)}
    return src, fills, outputs, sources


@needs_weights("rife")
def test_drawings_on_twos_and_threes_stay_held(cadence_mix):
    src, fills, outputs, sources = cadence_mix
    for actor in (0, 2):
        for j, xs in outputs.items():
            k = math.floor(Fraction(j, FACTOR) + Fraction(1, 2))
            assert abs(xs[actor] - sources[k][actor]) <= 0.5, (actor, j, xs[actor], sources[k][actor])
    # Forward dedup with one pass makes the same twos drawing move linearly: in-between positions.
    fwd = vsafi.interpolate(src, factor=FACTOR, mode="forward", n_forward=1, model="rife", device="cpu")
    drawings = {s[0] for s in sources.values()}
    off = [min(abs(centroid_x(fwd.get_frame(j), fills[0]) - d) for d in drawings) for j in (4, 5)]
    assert max(off) > 0.3 * 10.0, off


@needs_weights("rife")
def test_no_overshoot_past_the_next_drawing(cadence_mix):
    _, _, outputs, sources = cadence_mix
    tol = 0.75
    for j, xs in outputs.items():
        tau = Fraction(j, FACTOR)
        lo_i, hi_i = math.floor(tau), math.ceil(tau)
        for actor, x in enumerate(xs):
            a, b = sources[lo_i][actor], sources[hi_i][actor]
            assert min(a, b) - tol <= x <= max(a, b) + tol, (actor, j, x, a, b)


@needs_weights("rife")
def test_linear_motion_on_ones_matches_plain():
    clip = AnimeClip(W, H, [cadence_scene(W, H, 1, length=5, speed=4.0, seed=5)])
    src = to_vs_clip(clip)
    drba = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="rife", device="cpu")
    plain = vsafi.interpolate(src, factor=FACTOR, mode="plain", model="rife", device="cpu")
    for j in (4, 5, 7, 8):
        f = drba.get_frame(j)
        assert f.props["vsafi_plan"].startswith("DRBA"), f.props["vsafi_plan"]
        assert psnr(rgb_of(f), rgb_of(plain.get_frame(j))) >= 35.0, j


def test_points_without_evidence_take_the_ratio_observed_around_them():
    rho = torch.full((1, 1, 20, 40), 0.9)  # what a flow estimator guesses inside a flat fill
    observed = torch.zeros(1, 1, 20, 40, dtype=torch.bool)
    observed[..., 4:16, 10] = True  # an edge whose flows say linear motion
    rho[..., 4:16, 10] = 0.5
    out = spread_evidence(rho, observed)
    assert torch.equal(out[observed], rho[observed])
    assert torch.allclose(out[..., 10, 11:10 + EVIDENCE_RADIUS + 1], torch.tensor(0.5))
    assert torch.allclose(out[..., 10, 10 + EVIDENCE_RADIUS + 1:], torch.tensor(0.5)), "no evidence near: plain"
    flat = torch.full((1, 3, 20, 40), 0.4)
    flat[..., 10:] = 0.6  # one vertical edge
    edges = structure(flat, (20, 40))
    assert edges[..., 9:11].all() and not edges[..., :9].any() and not edges[..., 11:].any()


def test_points_moving_on_neither_side_take_half():
    """The strip a drawing is about to cover is unchanged on one side only: a hold, kept there.
    The still background around it moves on neither side and takes ½, not that hold."""
    g = torch.Generator().manual_seed(0)
    centre = torch.rand(1, 3, 32, 64, generator=g)  # textured: structure everywhere
    nxt = centre.clone()
    nxt[..., 30:36] = 0.2  # a fill arrives over columns 30–35
    f10 = torch.zeros(1, 2, 32, 64)
    f12 = torch.zeros(1, 2, 32, 64)
    f12[:, 0, :, 28:38] = 1.5  # the flow estimator smears the fill's motion onto the strip
    rho0, rho2 = held_ratio(f10, f12, centre.clone(), centre, nxt)
    assert torch.all(rho0[..., 8:24, 28:38] < 1e-3), "the changed strip is held on its unchanged side"
    still = torch.ones(32, 64, dtype=torch.bool)
    still[:, 28:38] = False
    assert torch.all(rho0[0, 0][still] == 0.5) and torch.all(rho2[0, 0][still] == 0.5)


def test_region_labels_follow_4_connected_regions_to_their_smallest_index():
    rows = ["##..#",
            "#...#",
            ".#.##",
            "#.#..",
            "#.##."]
    fill = torch.tensor([[c == "#" for c in r] for r in rows]).view(1, 1, 5, 5)
    label = region_labels(fill)[0, 0]
    expected = [[0, 0, -1, -1, 4],
                [0, -1, -1, -1, 4],
                [-1, 11, -1, 4, 4],
                [15, -1, 17, -1, -1],
                [15, -1, 17, 17, -1]]  # (2, 1) touches (1, 0) and (3, 2) only at corners
    assert label.tolist() == expected
    sizes = region_count(region_labels(fill), fill)[0, 0]
    assert [sizes[0, 0], sizes[0, 4], sizes[2, 1], sizes[4, 0], sizes[4, 3], sizes[1, 1]] == [3, 4, 1, 2, 3, 0]
    snake = torch.zeros(1, 1, 9, 9, dtype=torch.bool)  # one region whose far end is 48 steps away
    snake[..., ::2, :] = True
    snake[..., 1::4, -1] = snake[..., 3::4, 0] = True
    assert set(region_labels(snake)[snake].tolist()) == {0}
    two = torch.stack([fill[0], ~fill[0]])  # a batch: labels never cross frames
    assert (region_labels(two)[1][~fill[0]] >= 25).all()


def band_fill(h: int, w: int, band10: int, band12: int) -> tuple[torch.Tensor, torch.Tensor]:
    """only10, only12 of an (h, w) fill unchanged on both sides but for a column band at each
    end: unchanged only on the previous side (left, ``band10`` wide) or only on the next side
    (right, ``band12`` wide)."""
    only10 = torch.zeros(1, 1, h, w, dtype=torch.bool)
    only12 = only10.clone()
    only10[..., :band10] = True
    if band12:
        only12[..., -band12:] = True
    return only10, only12


def test_a_fill_is_read_whole_from_its_bands():
    h, w = 20, 30
    fill = torch.ones(1, 1, h, w, dtype=torch.bool)
    moving = fill.clone()
    moving[..., 8:12, 10:20] = False  # the flows vanish in a patch of the fill: held all the same
    held0, held2, swept = read_fills(*band_fill(h, w, 4, 0), fill, moving)
    assert held0.all() and not held2.any() and not swept.any()
    held0, held2, swept = read_fills(*band_fill(h, w, 0, 4), fill, moving)
    assert held2.all() and not held0.any() and not swept.any(), "the mirror case holds on the next side"
    held0, held2, swept = read_fills(*band_fill(h, w, 4, 4), fill, moving)
    assert swept.all() and not held0.any() and not held2.any(), "equal bands on both sides: moving on ones"
    small = int(MIN_FILL ** 0.5) - 1
    square = torch.ones(1, 1, small, small, dtype=torch.bool)
    assert not any(m.any() for m in read_fills(*band_fill(small, small, 4, 4), square, square)), \
        "a fill within reach of its outline's evidence is left to it"


def test_a_held_fill_takes_what_reads_its_hold_with_it():
    held = torch.zeros(1, 1, 12, 12, dtype=torch.bool)
    held[..., 3:9, 3:9] = True
    reads = torch.zeros_like(held)
    reads[..., 2:10, 2:10] = True  # the ink line around the fill reads the hold
    reads[..., 3:9, 3:9] = False
    reads[..., 0, :] = True  # so does a strip elsewhere, not touching it
    grown = with_outline(held, reads)
    assert grown[..., 2:10, 2:10].all() and not grown[..., 0, :].any() and grown.sum() == 64


def box_over_texture(xs: tuple[int, int, int], jumps: tuple[float, float]):
    """prev, centre, next and the flows out of the centre: a flat box 24x30 at columns xs over a
    textured still background, its flows smeared 4 px onto the background around it."""
    bg = torch.rand(1, 3, 48, 96, generator=torch.Generator().manual_seed(0))
    frames = []
    for x in xs:
        f = bg.clone()
        f[..., 12:36, x:x + 30] = 0.3
        frames.append(f)
    f10, f12 = torch.zeros(1, 2, 48, 96), torch.zeros(1, 2, 48, 96)
    f10[:, 0, 10:38, xs[1] - 4:xs[1] + 34] = jumps[0]
    f12[:, 0, 10:38, xs[1] - 4:xs[1] + 34] = jumps[1]
    return frames, f10, f12


def test_the_strip_a_box_on_ones_is_about_to_cover_moves_like_it():
    """Ahead of a moving box the still background is unchanged on the side before and covered on
    the side after: one side alone changed, which reads as a hold. Next to a fill that moves on
    ones it is the box's motion, not a hold; RIFE rendered the box's leading edge 0.14 px
    behind where the strip held (0.9 dB against plain at 480x272)."""
    (prev, centre, nxt), f10, f12 = box_over_texture((30, 34, 38), (-4.0, 4.0))
    rho0, _ = held_ratio(f10, f12, prev, centre, nxt)
    assert torch.all(rho0[..., 14:34, 66:68] == 0.5), rho0[0, 0, 20, 60:72]
    (prev, centre, nxt), f10, f12 = box_over_texture((34, 34, 42), (0.0, 8.0))
    rho0, _ = held_ratio(f10, f12, prev, centre, nxt)
    assert torch.all(rho0[..., 14:34, 34:66] == 0.0), "held on twos: the box, its edges and the strip hold"


def flat_box_on_ones(w: int, h: int, pan: float) -> AnimeClip:
    return AnimeClip(w, h, [Scene(12, (Actor("box", FILLS[1], (40, 50), (h / 2, 100), (0, 5.0)),),
                                  pan=(0, pan), seed=7)])


@needs_weights("rife")
@pytest.mark.parametrize("pan", [-2.0, 0.0], ids=["counter-pan", "still background"])
def test_flat_box_on_ones_moves_like_plain(pan):
    """A flat box moving 5 px a frame. Over a background panning the other way the flows inside
    the fill and along its edges are ambiguous, which gave the box a judder of 0.22 (plain 0.056)
    and cost 2 dB against the truth. Over a still background the strip the box is about to
    cover is unchanged on one side only, a hold, which reached the box's edge through the time
    map: 0.104 against plain's 0.035, −2.2 dB."""
    clip = flat_box_on_ones(320, 176, pan)
    src = to_vs_clip(clip)
    fill = clip.scenes[0].actors[0].fill
    ratio = Fraction(5, 2)
    judder, quality = {}, {}
    for mode in ("plain", "drba"):
        out = vsafi.interpolate(src, factor=ratio, mode=mode, model="rife", device="cpu", scene_ratio=None)
        xs, db = [], []
        for j in range(5, 23):
            f = out.get_frame(j)
            xs.append(centroid_x(f, fill))
            db.append(psnr(rgb_of(f), clip.truth(Fraction(j) / ratio).transpose(2, 0, 1)))
        steps = np.diff(xs)
        judder[mode] = float(np.std(steps) / np.mean(np.abs(steps)))
        quality[mode] = float(np.mean(db))
    assert judder["drba"] <= 1.5 * judder["plain"], judder
    assert quality["drba"] >= quality["plain"] - 0.5, quality


@needs_weights("rife")
def test_cut_never_blends_two_scenes():
    first = cadence_scene(W, H, 1, length=3, actors=1, speed=4.0, seed=0)
    second = cadence_scene(W, H, 1, length=3, actors=1, speed=4.0, seed=4)
    src = to_vs_clip(AnimeClip(W, H, [first, second]))
    fills = (first.actors[0].fill, second.actors[0].fill)
    out = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="rife", device="cpu", scenes=[3])
    for j in range(FACTOR, 4 * FACTOR + 1):
        tau = Fraction(j, FACTOR)
        f = out.get_frame(j)
        if 2 <= tau <= 3:
            k = math.floor(tau + Fraction(1, 2))
            assert np.array_equal(rgb_of(f), rgb_of(src.get_frame(k))), f"output {j} is not F[{k}]"
        other = fills[1] if tau < Fraction(5, 2) else fills[0]
        assert centroid_of_colour(rgb_of(f).transpose(1, 2, 0), other) is None, f"output {j} shows the other scene"


@needs_weights("rife")
@pytest.mark.parametrize("evict", [False, True])
def test_shuffled_threaded_fetch_equals_sequential(evict):
    src = to_vs_clip(AnimeClip(128, 64, [cadence_scene(128, 64, 2, length=5, speed=4.0, seed=1)]),
                     format=vs.YUV420P10)
    assert_seek_equals_playback(src, seed=11, evict=evict, fps=Fraction(60000, 1001), mode="drba", model="rife",
                                device="cpu")


@needs_weights("rife")
def test_ratio_maps_run_one_at_a_time_under_many_threads(monkeypatch):
    """A ratio map's temporaries are many frames' worth (docs/drba.md §10): threads rendering
    outputs around different centre frames take turns, and each centre's map is made once."""
    import vsafi.modes.drba.mode as drba_mode

    real, lock = drba_mode.held_ratio, threading.Lock()
    running, most, calls = 0, 0, 0

    def watched(*args):
        nonlocal running, most, calls
        with lock:
            running, calls = running + 1, calls + 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # a wider window for another thread to come in, if it may
            return real(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(drba_mode, "held_ratio", watched)
    n = 8
    src = to_vs_clip(AnimeClip(128, 64, [cadence_scene(128, 64, 1, length=n, speed=3.0, seed=3)]))
    before = core.num_threads
    core.num_threads = 8
    try:
        out = vsafi.interpolate(src, fps=Fraction(60000, 1001), mode="drba", model="rife", device="cpu")
        assert sum(1 for _ in out.frames(prefetch=8)) == out.num_frames
    finally:
        core.num_threads = before
    assert calls == n - 2
    assert most == MAP_SLOTS == 1


@needs_weights("rife")
def test_scene_change_props_sit_where_the_picture_changes_scene():
    """DRBA shows F[round(tau)]: at 4x with a cut before F[4], output 13 (tau 3.25) still holds F[3]
    and output 14 (tau 3.5) already holds F[4], so the props go on 13 and 14."""
    src = to_vs_clip(AnimeClip(128, 64, [cadence_scene(128, 64, 1, length=4, seed=1),
                                         cadence_scene(128, 64, 1, length=4, seed=2)]))
    out = vsafi.interpolate(src, factor=4, mode="drba", device="cpu", scenes=[4])
    assert np.array_equal(rgb_of(out.get_frame(13)), rgb_of(src.get_frame(3)))
    assert np.array_equal(rgb_of(out.get_frame(14)), rgb_of(src.get_frame(4)))
    flagged = [(j, out.get_frame(j).props.get("_SceneChangeNext", 0), out.get_frame(j).props.get("_SceneChangePrev", 0))
               for j in range(out.num_frames)]
    assert [j for j, nxt, _ in flagged if nxt] == [13]
    assert [j for j, _, prev in flagged if prev] == [14]


def play(mode: DrbaMode, renderer: Renderer, src: vs.VideoNode, order) -> dict[int, torch.Tensor]:
    """Render outputs in ``order`` the way the filter does, without VapourSynth threads."""
    out = {}
    for j in order:
        job = renderer.job(FrameWindow({i: src.get_frame(i) for i in mode.window(j)}, FrameFormat.of(src)))
        plan = mode.plan(j, lambda i: False, job)
        if isinstance(plan, Interp) and plan.b is None:
            continue
        out[j] = mode.render(plan, job)
    return out


@needs_weights("rife")
def test_one_flow_pass_per_source_pair_and_seek_equals_playback():
    n = 5
    src = to_vs_clip(AnimeClip(128, 64, [cadence_scene(128, 64, 1, length=n, speed=3.0, seed=2)]))
    ratio = Fraction(5, 2)
    backend = get_backend("rife", device="cpu")
    mode = DrbaMode(ratio, n, "standard")
    n_out = math.ceil(n * ratio)
    plans = [mode.plan(j, lambda i: False, None) for j in range(n_out)]
    steps = [p for p in plans if isinstance(p, DrbaStep)]
    renders = [p for p in plans if not (isinstance(p, Interp) and p.b is None)]

    renderer = Renderer(backend, src.height, src.width, OnceCache(1 << 30))
    calls = backend.calls
    played = play(mode, renderer, src, range(n_out))
    stats = renderer.cache.stats
    assert stats["flows"] == n - 1, stats
    assert stats["drm"] == len({p.center for p in steps}) == n - 2, stats
    assert backend.calls - calls == (n - 1) + len(renders)
    assert all(out.shape == (1, 3, 64, 128) and out.dtype == torch.float32 for out in played.values())

    cold = Renderer(backend, src.height, src.width, OnceCache(1 << 30))
    seeked = play(mode, cold, src, reversed(range(n_out)))
    assert seeked.keys() == played.keys()
    assert all(torch.equal(seeked[j], played[j]) for j in played), "seek order changed a picture"


# ---- GMFSS: flows from the shared pair state, centre as frame 0 on both sides ----

GW, GH = 384, 192  # GMFlow matches at 1/16 of this; smaller frames give it too few cells.


@pytest.fixture(scope="module")
def twos_for_gmfss():
    scene = cadence_scene(GW, GH, 2, length=4, actors=1, speed=8.0, seed=2)
    return to_vs_clip(AnimeClip(GW, GH, [scene])), scene.actors[0].fill


@needs_weights("gmfss")
def test_gmfss_drba_holds_twos_from_the_shared_pair_state(twos_for_gmfss):
    src, fill = twos_for_gmfss
    module = get_backend("gmfss", device="cpu").module
    out = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="gmfss", device="cpu")
    drawn = [centroid_x(src.get_frame(i), fill) for i in range(4)]
    # Output 4 moves F[1] towards F[2] (side 2, pair state as is); output 5 moves F[2] towards
    # F[1] (side 0, swapped pair state). Plain VFI puts the drawing 1/3 of its 16 px step along;
    # GMFlow's spurious flow on the unchanged side alone used to let it drift 1.4–2.3 px.
    with counting(module.flownet, "forward") as gmflow:
        for j, k in ((4, 1), (5, 2)):
            f = out.get_frame(j)
            assert f.props["vsafi_plan"].startswith("DRBA"), f.props["vsafi_plan"]
            assert abs(centroid_x(f, fill) - drawn[k]) < 0.5, (j, centroid_x(f, fill), drawn[k])
    assert len(gmflow) == 2 * 3, "GMFlow ran more than once per pair and direction"


@needs_weights("gmfss_union")
def test_gmfss_union_drba_with_its_own_rife_map(twos_for_gmfss):
    src, fill = twos_for_gmfss
    out = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="gmfss_union", device="cpu")
    f = out.get_frame(5)
    assert f.props["vsafi_plan"] == "DRBA(F[2] -> F[1], s=1/3)"
    assert abs(centroid_x(f, fill) - centroid_x(src.get_frame(2), fill)) < 0.5


@needs_weights("rife")
@pytest.mark.parametrize("size", [(192, 96), (384, 192)])
def test_fast_drawings_on_twos_stay_held(size):
    """A flat fill whose old and new positions overlap is pixel-identical there on both sides;
    only a side unchanged alone marks a hold, so the drawing holds to a fraction of a pixel
    (it drifted 1.3 px at 192x96 and 2.8 px at 384x192 on 16 and 32 px steps before)."""
    w, h = size
    scene = cadence_scene(w, h, 2, length=6, actors=1, speed=w / 24, seed=2)
    src = to_vs_clip(AnimeClip(w, h, [scene]))
    fill = scene.actors[0].fill
    out = vsafi.interpolate(src, factor=FACTOR, mode="drba", model="rife", device="cpu")
    drawn = [centroid_x(src.get_frame(i), fill) for i in range(6)]
    for j in range(FACTOR, 4 * FACTOR + 1):
        k = math.floor(Fraction(j, FACTOR) + Fraction(1, 2))
        assert abs(centroid_x(out.get_frame(j), fill) - drawn[k]) < 0.5, j


@needs_weights("rife")
def test_wide_drawing_on_twos_over_a_pan_stays_held():
    """A flat box on twos, wider than twice EVIDENCE_RADIUS, over a background panning on ones.
    Its outline's evidence reached only EVIDENCE_RADIUS into the fill and the ink line held only
    nearly, so the box crept towards its next drawing: up to 2.1 px at this size, 1 px at 480x272
    (benchmarks/quality.py, `pan under twos`: held 0.48 like plain, now 0.83 like the source)."""
    w, h = 240, 136
    actor = Actor("box", FILLS[3], (h / 7, h / 6), (h / 2, w / 4), (0.0, w / 96), cadence=2, outline=2.5)
    assert 2 * actor.size[1] > 2 * EVIDENCE_RADIUS + 10
    src = to_vs_clip(AnimeClip(w, h, [Scene(8, (actor,), pan=(0.0, -w / 240), seed=4)]))
    ratio = Fraction(5, 2)
    out = vsafi.interpolate(src, factor=ratio, mode="drba", model="rife", device="cpu")
    drawn = [centroid_x(src.get_frame(i), actor.fill) for i in range(8)]
    assert drawn[2] - drawn[1] > 4.0, "the drawing jumps"
    for j in range(3, 16):
        k = math.floor(Fraction(j) / ratio + Fraction(1, 2))
        assert abs(centroid_x(out.get_frame(j), actor.fill) - drawn[k]) < 0.2, j


@pytest.mark.parametrize("model", [pytest.param(m, marks=needs_weights(m)) for m in ("gmfss", "gmfss_union")])
@pytest.mark.parametrize("pan", [-2.0, 0.0], ids=["counter-pan", "still background"])
def test_gmfss_reads_linear_motion_of_a_flat_box_as_linear(model, pan):
    """Both GMFSS models take DRBA's endpoint flows from an IFNet at full size (union its own,
    base one from rife.pkl). GMFlow's, matched at 1/16 of the frame, blend a thin outline's
    motion with the background's: inside a flat box on ones union's ratio was off ½ by 0.24
    (counter-pan) and 0.16 (still background) on average, which cost DRBA 1.6 and 2.1 dB
    against plain at 480x272 (benchmarks/RESULTS.md)."""
    w, h = 480, 272
    actor = Actor("box", FILLS[1], (h / 7, h / 6), (h / 2, 0.3 * w), (0.0, 5.0), outline=2.5)
    clip = AnimeClip(w, h, [Scene(3, (actor,), pan=(0.0, pan), seed=6)])
    backend = get_backend(model, device="cpu")
    canvas = Canvas(h, w, backend.unit, backend.canvas_mode)
    prev, centre, nxt = (canvas.pad(torch.from_numpy(np.ascontiguousarray(clip.frame(i))).permute(2, 0, 1)[None])
                         for i in range(3))
    before, after = backend.pair(prev, centre), backend.pair(centre, nxt)
    calls = backend.calls
    f10, f12 = backend.flows(before)[1], backend.flows(after)[0]
    assert backend.calls - calls == 2, "one flow pass per pair"
    with torch.inference_mode():
        rho0, _ = held_ratio(f10, f12, prev, centre, nxt)
    grid = rho0.shape[2:]
    fill = torch.tensor(actor.fill, dtype=torch.float32).view(1, 3, 1, 1)
    inside = (F.adaptive_avg_pool2d(centre, grid) - fill).abs().amax(1, keepdim=True) < 0.05
    assert inside.sum() > 1000
    assert float((rho0 - 0.5).abs()[inside].mean()) <= 0.05
