"""The installed `rlm-mcp serve` command, driven by the SDK's client over stdio and streamable HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.mcp.test_tools import call
from tests.support.served import http_server, server_environment, stored_token, token_client

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


async def exercise(client: Client) -> None:
    """Load this repository, run code over it in the session the load named, and read a result back."""
    manifest = json.loads(await call(client, "rlm_load_context", source=str(REPO / "rlm_mcp")))
    code = "[s.where for s in symbols if s.name == 'build_server']"
    out = await call(client, "rlm_exec", code=code, session=manifest["session"])
    assert "server.py:" in out


async def test_stdio_server_loads_this_repository_and_runs_code(tmp_path: Path) -> None:
    """`rlm-mcp serve` over stdio: the way Claude Code and Claude Desktop launch it."""
    params = StdioServerParameters(command="rlm-mcp", args=["serve"], env=server_environment(tmp_path))
    with anyio.fail_after(120):
        async with Client(params) as client:
            await exercise(client)


async def test_streamable_http_server_loads_this_repository_and_runs_code(tmp_path: Path) -> None:
    """`rlm-mcp serve --transport http`: the same tools over streamable HTTP, with the token the server made."""
    with http_server(tmp_path) as (_, url), anyio.fail_after(120):
        async with token_client(url, stored_token(tmp_path)) as client:
            await exercise(client)
