"""The files git tracks under a root, so that a .gitignore pattern never hides a file the repository holds.

A pattern such as ``venv/`` or ``include/`` also matches folders the project commits on purpose; git
itself lists those files, so they load. Git runs read-only, offline and bounded; without it the walk
falls back to the ignore files alone.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 10.0
"""A listing slower than this (a huge index on a slow disk) is given up: the ignore files alone decide."""

# --no-optional-locks: never write the index (GIT_OPTIONAL_LOCKS=0); core.fsmonitor off: a repository's
# own config must not make us run its hook; -z: names as raw bytes, unquoted.
_COMMAND = ("git", "--no-optional-locks", "-c", "core.fsmonitor=false", "-C")


def tracked_paths(root: Path) -> frozenset[str] | None:
    """Posix paths under ``root`` that git tracks, plus every folder holding one (``a/b/``); ``None`` without git."""
    try:
        listing = subprocess.run(
            [*_COMMAND, str(root), "ls-files", "-z", "--cached"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, not executable, or too slow
        return None
    if listing.returncode != 0:  # not a work tree, or one git refuses (another owner)
        return None
    paths: set[str] = set()
    for raw in listing.stdout.split(b"\0"):
        if not raw:
            continue
        path = os.fsdecode(raw)
        paths.add(path)
        folder, slash, _ = path.rpartition("/")
        while slash and folder + "/" not in paths:
            paths.add(folder + "/")
            folder, slash, _ = folder.rpartition("/")
    return frozenset(paths)
