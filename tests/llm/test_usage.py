"""The usage ledger: tokens, cost, cache hits, retries and failures, per session and per model."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from rlm_mcp.llm import Broker
from tests.llm.conftest import PRICED_MODEL, PRICED_OTHER_MODEL

pytestmark = pytest.mark.anyio


async def test_ledger_totals_every_kind_of_outcome(make_broker: Callable[..., Broker]) -> None:
    """Answered, retried, failed and cached calls each land in their own counter."""
    broker = make_broker()
    await broker.query("one two three")
    await broker.query("one two three")
    await broker.batch(["busy [[429]]", "bad [[400]]"])
    total = broker.usage()["total"]
    assert (total["calls"], total["cache_hits"], total["failures"], total["retries"]) == (2, 1, 1, 1)
    assert total["total_tokens"] == 7 + 5


async def test_unpriced_model_costs_nothing_and_says_so(make_broker: Callable[..., Broker]) -> None:
    """A model litellm has no price for is counted at $0 and flagged as such."""
    broker = make_broker()
    completion = await broker.query("how much")
    assert (completion.cost_usd, completion.cost_known) == (0.0, False)
    assert broker.usage()["total"]["unpriced_calls"] == 1


async def test_priced_calls_add_up_per_model(
    make_broker: Callable[..., Broker], priced_models: tuple[str, str]
) -> None:
    """litellm's cost for each call is summed, in total and on its model's line."""
    broker = make_broker(model=PRICED_MODEL, allowed_models=(PRICED_OTHER_MODEL,))
    await broker.query("hello world")
    await broker.query("hello world", model=PRICED_OTHER_MODEL)
    usage = broker.usage()
    assert usage["total"]["cost_usd"] == pytest.approx(0.016)
    assert usage["by_model"][PRICED_MODEL]["cost_usd"] == pytest.approx(0.008)
    assert set(usage["by_model"]) == {PRICED_MODEL, PRICED_OTHER_MODEL}


async def test_usage_snapshot_is_json(make_broker: Callable[..., Broker]) -> None:
    """The snapshot crosses the MCP boundary as JSON."""
    broker = make_broker(max_cost_usd=1.0)
    await broker.query("hi")
    assert json.loads(json.dumps(broker.usage())) == broker.usage()
