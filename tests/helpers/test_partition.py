"""partition filters: a kind or language as a string works, an unknown one is an error listing the valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.conftest import Workspace

pytestmark = pytest.mark.anyio


@pytest.fixture
def big_class_repo(tmp_path: Path) -> Path:
    """A class too big for one 50-token chunk, so each of its methods is a chunk of kind 'method'."""
    repo = tmp_path / "big"
    repo.mkdir()
    body = "".join(f"    def step_{n}(self):\n        return {'+'.join(['self.value'] * 12)}\n\n" for n in range(4))
    (repo / "engine.py").write_text(f"class Engine:\n{body}")
    (repo / "notes.md").write_text("# Notes\n\nNothing here.\n")
    return repo


async def test_kinds_as_a_string_selects_that_kind(workspace: Workspace, big_class_repo: Path) -> None:
    """kinds='method' means ['method']: the methods of the split class, nothing else."""
    await workspace.load(big_class_repo)
    found = await workspace.value("sorted({(c.kind, c.symbol) for c in partition(budget=50, kinds='method')})")
    assert found == [("method", f"Engine.step_{n}") for n in range(4)]


async def test_unknown_kind_is_an_error_listing_the_valid_ones(workspace: Workspace, big_class_repo: Path) -> None:
    """A misspelt kind is refused with the kinds this context has, instead of silently giving []."""
    await workspace.load(big_class_repo)
    message = await workspace.error("partition(kinds=['methods'])")
    assert "unknown ['methods']" in message
    assert all(kind in message for kind in ("'class'", "'method'", "'module'", "'section'"))


async def test_unknown_language_is_an_error_listing_the_loaded_ones(workspace: Workspace, big_class_repo: Path) -> None:
    """languages='py' is refused, naming the languages of the loaded files ('python', 'markdown')."""
    await workspace.load(big_class_repo)
    message = await workspace.error("partition(languages='py')")
    assert "unknown ['py']" in message and "['markdown', 'python']" in message
    assert await workspace.value("{c.language for c in partition(languages='markdown')}") == {"markdown"}
