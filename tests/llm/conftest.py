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
async def make_broker(
    litellm_clients_closed: None, openai_server: OpenAIServer, tmp_path: Path
) -> AsyncIterator[Callable[..., Broker]]:
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
