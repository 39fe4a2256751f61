"""Per-session budgets: calls, tokens and cost stop further calls; answers already obtained are kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rlm_mcp.errors import BudgetExceeded
from rlm_mcp.llm import Broker, CallFailure, Completion
from tests.llm.conftest import PRICED_MODEL
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio


async def test_calls_budget_holds_under_concurrency(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """With 5 prompts all in flight at once and max_calls=3, exactly 3 reach the server."""
    broker = make_broker(max_calls=3, concurrency=16)
    results = await broker.batch([f"q{i} [[sleep=0.05]]" for i in range(5)])
    assert [type(r) for r in results] == [Completion] * 3 + [CallFailure] * 2
    assert {r.error for r in results if isinstance(r, CallFailure)} == {"BudgetExceeded"}
    assert openai_server.requests == 3


async def test_exceeded_budget_message_names_budget_spend_and_setting(
    make_broker: Callable[..., Broker],
) -> None:
    """Once spent, query raises BudgetExceeded saying which budget, how much, and how to raise it."""
    broker = make_broker(max_calls=1)
    await broker.query("only one")
    with pytest.raises(BudgetExceeded) as raised:
        await broker.query("one more")
    message = str(raised.value)
    for part in ("1 of max_calls=1", "RLM_MAX_CALLS", "answers already obtained are kept"):
        assert part in message


async def test_tokens_budget_stops_calls_once_spent(make_broker: Callable[..., Broker]) -> None:
    """Each call here uses 7 tokens: with max_tokens=10 the third call is refused."""
    broker = make_broker(max_tokens=10)
    await broker.query("one two three")
    await broker.query("four five six")
    with pytest.raises(BudgetExceeded, match="14 of max_tokens=10 tokens"):
        await broker.query("seven eight nine")


async def test_cost_budget_stops_calls_once_spent(
    make_broker: Callable[..., Broker], priced_models: tuple[str, str]
) -> None:
    """A call costing $0.008 (2 prompt + 3 completion tokens) exhausts a $0.01 budget on the second."""
    broker = make_broker(model=PRICED_MODEL, max_cost_usd=0.01)
    first = await broker.query("hello world")
    assert first.cost_usd == pytest.approx(0.008)
    await broker.query("hello again")
    with pytest.raises(BudgetExceeded, match=r"\$0\.0160 of max_cost_usd=\$0\.0100"):
        await broker.query("and again")


async def test_failed_calls_count_against_the_calls_budget(make_broker: Callable[..., Broker]) -> None:
    """A call that reached the provider and failed still used a call."""
    broker = make_broker(max_calls=1)
    await broker.batch(["rejected [[400]]"])
    with pytest.raises(BudgetExceeded):
        await broker.query("next")


async def test_usage_reports_remaining_budget(make_broker: Callable[..., Broker]) -> None:
    """The snapshot shows each limit and what is left of it; unlimited budgets show None."""
    broker = make_broker(max_calls=5, max_tokens=100)
    await broker.query("one two three")
    budget = broker.usage()["budget"]
    assert (budget["remaining_calls"], budget["remaining_tokens"]) == (4, 93)
    assert (budget["max_cost_usd"], budget["remaining_cost_usd"]) == (None, None)
