"""RIFE's frames on the CPU do not depend on torch's thread count: a scale-out worker with 1
thread and a single process with all cores give the same bits (docs/cluster.md). GMFSS's do,
by a few ulps; that is documented, not promised.

Each count runs in a fresh process, as a worker does; the output is float RGB, so a difference
in the last bit shows (in 8-bit YUV most are rounded away: 1 frame of 96 differed).
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import needs_weights

RENDER = """
import hashlib
from fractions import Fraction
import numpy as np
import vapoursynth as vs
import vsafi
from vsafi.synthetic import AnimeClip, cadence_scene, to_vs_clip
W, H = 160, 96
anime = AnimeClip(W, H, [cadence_scene(W, H, 2, length=24, seed=9), cadence_scene(W, H, 3, length=24, seed=4)])
clip = to_vs_clip(anime, fps=Fraction(24000, 1001), format=vs.RGBS)  # float out: every ulp shows
for f in vsafi.interpolate(clip, factor=2, mode="plain", device="cpu").frames():
    print(hashlib.sha256(b"".join(np.asarray(f[p]).tobytes() for p in range(3))).hexdigest())
"""


def _frame_hashes(threads: int) -> list[str]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", RENDER], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


@needs_weights("rife")
def test_rife_frames_are_the_same_at_one_and_two_threads():
    # With oneDNN's convolutions every in-between frame differed between 1 and 2 threads.
    one, two = _frame_hashes(1), _frame_hashes(2)
    assert len(one) == len(two) == 96
    assert [j for j, (a, b) in enumerate(zip(one, two)) if a != b] == []
