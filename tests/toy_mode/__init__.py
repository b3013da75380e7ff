"""A toy mode, registered only by tests: every output between two source frames sits at one
fixed time ``lean`` between them, whatever its own time. It is what adding a mode with an option
takes: this folder (its spec here, its half of the work in ``mode.py``) and one registry entry."""

from vsafi.modes.spec import ModeSpec, Option


def _lean(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"lean must be None or a number in (0, 1), not {value!r}")
    return float(value)


SPEC = ModeSpec("lean", "every in-between output at one fixed time between its two source frames", ".mode:LeanMode",
                __name__, (Option("lean", "the fixed time (default None: 1/2)", _lean, float),))
