"""Resources before and after a load: a clear refusal, and a list of the sessions' own resources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from rlm_mcp.config import Settings
from rlm_mcp.http_auth import http_access
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call

pytestmark = pytest.mark.anyio


async def test_reading_a_manifest_before_any_load_says_what_to_do(client: Client) -> None:
    """rlm://default/manifest with no session yet: an invalid-params error naming rlm_load_context."""
    with pytest.raises(MCPError, match=r"unknown session 'default'.*rlm_load_context") as raised:
        await client.read_resource("rlm://default/manifest")
    assert raised.value.error.code == -32602


async def test_resources_list_names_each_live_sessions_manifest_and_chunks(client: Client, sample_repo: Path) -> None:
    """None before a load; after loading two sessions, both resources of each, and each one reads."""
    assert (await client.list_resources()).resources == []
    for session in ("alpha", "beta"):
        await call(client, "rlm_load_context", source=str(sample_repo), session=session)
    listed = {str(resource.uri): resource.mime_type for resource in (await client.list_resources()).resources}
    assert listed == {
        "rlm://alpha/manifest": "application/json",
        "rlm://alpha/chunks": "text/tab-separated-values",
        "rlm://beta/manifest": "application/json",
        "rlm://beta/chunks": "text/tab-separated-values",
    }
    for uri in listed:
        assert getattr((await client.read_resource(uri)).contents[0], "text", "")


async def test_over_http_no_session_resources_are_listed(
    litellm_clients_closed: None, server_settings: Callable[..., Settings], sample_repo: Path
) -> None:
    """Over HTTP sessions are private handles: resources/list shows none of them, even to their owner."""
    settings = server_settings()
    async with Client(build_server(settings, http_access(settings, "127.0.0.1", 8765))) as client:
        await call(client, "rlm_load_context", source=str(sample_repo))
        assert (await client.list_resources()).resources == []
