"""A huge llm_batch costs the host a result slot per prompt, not a task, and stops at the budget.

Issue 11 item 3 and issue 16's bounded queue: `llm_batch(['p'] * 150_000)` used to start every
host task up front (about 1 GB of host memory for 4-byte prompts, budget or not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlm_mcp.llm import Broker, BrokerConfig, CallFailure, Completion, Outcome
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

ITEMS = 150_000
CONCURRENCY = 16
BUDGET = 100


@pytest.fixture
def broker(litellm_clients_closed: None, openai_server: OpenAIServer, tmp_path: Path) -> Iterator[Broker]:
    """A session's broker aimed at `openai_server`, with a calls budget well below the batch and a cache."""
    config = BrokerConfig(
        model="openai/test-model",
        api_base=f"{openai_server.url}/v1",
        api_key="test",
        concurrency=CONCURRENCY,
        max_calls=BUDGET,
        max_batch=ITEMS,
    )
    broker = Broker(config, cache_dir=tmp_path / "cache")
    yield broker
    broker.close()


async def test_a_150k_batch_runs_a_bounded_number_of_tasks_and_stops_at_the_budget(
    broker: Broker, openai_server: OpenAIServer
) -> None:
    """Peak tasks stay a small multiple of concurrency; exactly max_calls prompts reach the endpoint, the rest
    hold BudgetExceeded in their slots, in order."""
    baseline = len(asyncio.all_tasks())
    peak = 0

    def sample(index: int, outcome: Outcome) -> None:
        nonlocal peak
        # Counting is linear in the tasks alive, so sample every 500th item (and every early one).
        if index < 2 * BUDGET or index % 500 == 0:
            peak = max(peak, len(asyncio.all_tasks()) - baseline)

    results = await broker.batch([f"p{i}" for i in range(ITEMS)], on_item=sample)
    # litellm adds two or three logging tasks per call in flight.
    assert peak <= 4 * CONCURRENCY
    assert openai_server.requests == BUDGET
    assert len(results) == ITEMS
    assert all(isinstance(r, Completion) for r in results[:BUDGET])
    assert all(isinstance(r, CallFailure) and r.error == "BudgetExceeded" for r in results[BUDGET:])
    assert broker.usage()["budget"]["remaining_calls"] == 0
