"""RLM_TEXT_CACHE reaches the sandbox: within it a second scan reuses decoded texts, below a file's size it does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.helpers.conftest import Workspace

pytestmark = pytest.mark.anyio

SAME_TEXT_TWICE = "all(f.text is f.text for f in files.values())"


async def _reused(settings: Settings, repo: Path) -> bool:
    async with Client(build_server(settings), raise_exceptions=True) as client:
        workspace = Workspace(client)
        await workspace.load(repo)
        return bool(await workspace.value(SAME_TEXT_TWICE))


async def test_the_text_cache_setting_bounds_what_the_sandbox_keeps(
    litellm_clients_closed: None, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """With the default budget texts are kept; with a budget smaller than the file, each read decodes afresh."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "big.py").write_text("x = 1\n" * 2_000)
    assert await _reused(make_settings(backend="local"), repo)
    assert not await _reused(make_settings(backend="local", text_cache="1k"), repo)
