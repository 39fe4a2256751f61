"""Fixtures for the corpus tests: the multi-language sample tree and a writer for small repos."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A copy of the sample files (one per supported language, plus Markdown) in a fresh folder."""
    target = tmp_path / "repo"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write ``{relative path: content}`` under a fresh folder and return that folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "made"
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make
