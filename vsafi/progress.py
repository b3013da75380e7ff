"""What the command tells its user on stderr: one status line (frames done, fps, ETA, for single
process and scale-out jobs alike) and one-line messages."""

from __future__ import annotations

import sys
import time

__all__ = ["ProgressLine", "say", "say_interrupted"]

#: Seconds between redraws: often enough to look alive, rarely enough to cost nothing.
REDRAW_S = 0.5


def say(text: str) -> None:
    """One message line on stderr, prefixed with the command's name."""
    print(f"vsafi: {text}", file=sys.stderr)


def say_interrupted(what_is_left: str) -> None:
    """After Ctrl-C: end the progress line the terminal is on, then say what is left."""
    sys.stderr.write("\n")
    say(f"interrupted; {what_is_left}")


class ProgressLine:
    """``[####....] done/total fps ETA``. Frames that were already done when it started (resumed
    segments) count towards done and ETA but not towards fps."""

    def __init__(self, total: int, quiet: bool = False, already: int = 0) -> None:
        self.total = total
        self.quiet = quiet
        self.already = already
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        """Frames done in all; ``total`` is accepted (and ignored) for VapourSynth's callback."""
        now = time.monotonic()
        finished = done >= self.total
        if self.quiet or (now - self.last < REDRAW_S and not finished):
            return
        self.last = now
        rate = max(done - self.already, 0) / max(now - self.start, 1e-9)
        eta = time.strftime("%H:%M:%S", time.gmtime((self.total - done) / rate)) if rate > 0 else "--:--:--"
        width = 30
        fill = int(width * min(done, self.total) / max(self.total, 1))
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} {rate:6.2f} fps ETA {eta}")
        if finished:
            sys.stderr.write("\n")
        sys.stderr.flush()
