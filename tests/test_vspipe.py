"""The example script runs under vspipe and pipes y4m into ffmpeg, as the README shows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_weights
from vsafi.cli import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
VSPIPE = shutil.which("vspipe", path=str(Path(sys.executable).parent)) or shutil.which("vspipe")


@needs_weights("rife")
@pytest.mark.skipif(VSPIPE is None, reason="vspipe not installed")
def test_vspipe_example_to_ffmpeg(tmp_path):
    out = tmp_path / "out.mkv"
    pipe = subprocess.Popen([VSPIPE, "-c", "y4m", "-a", "frames=6", "-a", "mode=plain", "-a", "device=cpu",
                             str(ROOT / "scripts" / "example.vpy"), "-"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    enc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", "-",
                          "-c:v", "ffv1", str(out)], stdin=pipe.stdout, capture_output=True)
    pipe.stdout.close()
    assert pipe.wait() == 0, pipe.stderr.read().decode()
    assert enc.returncode == 0, enc.stderr.decode()
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out), "-map", "0:v", "-f", "null", "-"],
                           capture_output=True, text=True)
    frames = [line for line in probe.stderr.splitlines() if "frame=" in line]
    assert "frame=   15" in frames[-1] or "frame=15" in frames[-1].replace(" ", ""), probe.stderr
    assert "60000/1001" in probe.stderr or "59.94" in probe.stderr
