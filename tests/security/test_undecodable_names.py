"""A folder holding names that are not UTF-8 loads through the MCP tools, and the sandbox reads none of those files."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.corpus.test_odd_names import make_odd_tree
from tests.mcp.test_tools import call
from tests.security.test_mounts import look_around, readable

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(os.name != "posix", reason="only POSIX file names can be arbitrary bytes"),
]


async def test_odd_names_are_listed_as_skipped_and_unreadable_in_the_sandbox(
    make_settings: Callable[..., Settings], backend_name: str, tmp_path: Path
) -> None:
    """The manifest counts the odd names as ``undecodable_name``; in Docker only the loaded files can be read."""
    repo = make_odd_tree(tmp_path / "repo")
    async with Client(build_server(make_settings(backend=backend_name)), raise_exceptions=True) as client:
        manifest = json.loads(await call(client, "rlm_load_context", source=str(repo)))
        assert manifest["files"] == 2
        assert manifest["skipped"]["by_reason"] == {"undecodable_name": 3}
        assert "'keep/k.py', 'ok.py'" in await call(client, "rlm_exec", code="sorted(files)")
        if backend_name == "docker":
            inside = manifest["sandbox"]["context_path"]
            assert set(readable(await look_around(client))) == {f"{inside}/ok.py", f"{inside}/keep/k.py"}
