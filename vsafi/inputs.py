"""Which files a command line names and where each one's output goes (paths only, no I/O
beyond looking). Every problem is found here, before any work starts or any file is written."""

from __future__ import annotations

from pathlib import Path

__all__ = ["VIDEO_EXTENSIONS", "expand_inputs", "output_paths"]

#: What a folder given as input contributes: files with these extensions, in name order.
VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".m4v", ".mov", ".avi", ".webm", ".ts", ".m2ts", ".mts", ".flv",
                              ".wmv", ".mpg", ".mpeg", ".vob", ".ogv", ".y4m"})
#: Container of outputs named after their inputs (it keeps subtitles and fonts).
BATCH_SUFFIX = ".mkv"


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files and folders (their video files, not recursing) to the list of input files."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise ValueError(f"input {missing[0]} does not exist{more}; nothing was started")
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS)
            if not found:
                raise ValueError(f"folder {p} holds no video files ({' '.join(sorted(VIDEO_EXTENSIONS))})")
            files += found
        else:
            files.append(p)
    first: dict[Path, Path] = {}
    for f in files:
        first.setdefault(f.resolve(), f)  # a file named twice (also through its folder) runs once
    return list(first.values())


def output_paths(inputs: list[Path], output: Path, batch: bool) -> list[Path]:
    """One input to the file ``output``; a batch (several inputs or a folder) into the folder
    ``output``, each named after its input with ``BATCH_SUFFIX``."""
    if not batch:
        outs = [output]
    else:
        if output.exists() and not output.is_dir():
            raise ValueError(f"with several inputs -o names a folder, but {output} is a file")
        outs = [output / (p.stem + BATCH_SUFFIX) for p in inputs]
        seen: dict[Path, Path] = {}
        for src, dst in zip(inputs, outs):
            if dst in seen:
                raise ValueError(f"{seen[dst]} and {src} would both write {dst}; rename one or run them separately")
            seen[dst] = src
    sources = {p.resolve() for p in inputs}
    for dst in outs:
        if dst.resolve() in sources:
            raise ValueError(f"output {dst} is also an input; choose another output name")
    return outs
