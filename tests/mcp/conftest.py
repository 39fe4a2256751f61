"""An in-memory MCP client connected to a real server (local backend, real local LLM server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.support.openai_server import OpenAIServer

TEST_MODEL = "openai/test-model"


@pytest.fixture
def server_settings(make_settings: Callable[..., Settings], openai_server: OpenAIServer) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        llm = {
            "model": TEST_MODEL,
            "api_base": f"{openai_server.url}/v1",
            "api_key": "test",
            "backend": "local",
        }
        return make_settings(**{**llm, **overrides})

    return make


@pytest.fixture
async def client(litellm_clients_closed: None, server_settings: Callable[..., Settings]) -> AsyncIterator[Client]:
    async with Client(build_server(server_settings()), raise_exceptions=True) as connected:
        yield connected
