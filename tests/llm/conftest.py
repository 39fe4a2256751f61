"""Fixtures for the sub-LLM broker tests: brokers aimed at the real local server of ``openai_server``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from rlm_mcp.llm import Broker, BrokerConfig
from rlm_mcp.llm.litellm_client import load_litellm
from tests.support.openai_server import OpenAIServer

TEST_MODEL = "openai/test-model"
PRICED_MODEL = "openai/priced-test-model"
PRICED_OTHER_MODEL = "openai/priced-other-model"
"""Models litellm prices at $0.001 per prompt token and $0.002 per completion token (``priced_models``)."""


@pytest.fixture(scope="session")
def priced_models() -> tuple[str, str]:
    """Give litellm per-token prices for the two priced test models, as a user's custom price entries would."""
    prices = {"input_cost_per_token": 0.001, "output_cost_per_token": 0.002, "litellm_provider": "openai"}
    load_litellm().register_model({name: {**prices, "mode": "chat"} for name in (PRICED_MODEL, PRICED_OTHER_MODEL)})
    return PRICED_MODEL, PRICED_OTHER_MODEL


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
