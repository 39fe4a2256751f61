"""Where the real repositories some sections measure live: one folder of extracted trees, by name.

Nothing is downloaded: a section whose repositories are absent reports itself skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORIES_DIR = Path(os.environ.get("RLM_BENCH_REPOS", "/tmp/repos"))


def find_repository(name: str) -> Path | None:
    """Extract a repository (e.g. vue-core as `core`) under $RLM_BENCH_REPOS (default /tmp/repos)."""
    folder = REPOSITORIES_DIR / name
    return folder if folder.is_dir() else None
