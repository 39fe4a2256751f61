"""Fixtures for the sub-LLM broker tests: brokers aimed at the real local server of ``openai_server``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from rlm_mcp.llm import Broker, BrokerConfig
from tests.support.openai_server import OpenAIServer

TEST_MODEL = "openai/test-model"


@pytest.fixture
async def make_broker(openai_server: OpenAIServer, tmp_path: Path) -> AsyncIterator[Callable[..., Broker]]:
    """Build brokers aimed at ``openai_server`` with fast retries; keyword arguments override the config."""
    brokers: list[Broker] = []

    def make(*, cache_dir: Path | None = tmp_path / "cache", sampler: Any = None, **overrides: Any) -> Broker:
        settings: dict[str, Any] = {
            "model": TEST_MODEL,
            "api_base": f"{openai_server.url}/v1",
            "api_key": "test",
            "backoff_base_s": 0.01,
            "timeout_s": 10.0,
            **overrides,
        }
        broker = Broker(BrokerConfig(**settings), cache_dir=cache_dir, sampler=sampler)
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        broker.close()
    await close_litellm_clients()


async def close_litellm_clients() -> None:
    """Close the HTTP clients litellm cached for this test's event loop.

    litellm keeps one client per event loop for the life of the process; each test runs its own
    loop, so without this the dead loops' sockets are reclaimed by the garbage collector in some
    later test, whose ``ResourceWarning`` pytest turns into an error.
    """
    from litellm.llms.custom_httpx.async_client_cleanup import close_litellm_async_clients

    await close_litellm_async_clients()  # type: ignore[no-untyped-call]
