"""MCP clients on the backend under test (local, and docker when an engine is there)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.support.openai_server import OpenAIServer


@pytest.fixture
def fault_settings(
    backend_name: str, make_settings: Callable[..., Settings], openai_server: OpenAIServer
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "backend": backend_name,
            "model": "openai/test-model",
            "api_base": f"{openai_server.url}/v1",
            "api_key": "test",
            "llm_retries": 2,
            "llm_backoff_base_s": 0.01,
            "llm_timeout_s": 2.0,
            "interrupt_grace_s": 2.0,
        }
        return make_settings(**{**base, **overrides})

    return make


@pytest.fixture
async def fault_client(litellm_clients_closed: None, fault_settings: Callable[..., Settings]) -> AsyncIterator[Client]:
    async with Client(build_server(fault_settings()), raise_exceptions=True) as client:
        yield client
