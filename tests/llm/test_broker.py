"""The broker's calls end to end through litellm to a real local server: answers, order, fan-out."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from rlm_mcp.errors import LLMError, ModelNotConfigured
from rlm_mcp.llm import Broker, BrokerConfig, CallFailure, Completion, Outcome
from tests.llm.conftest import TEST_MODEL
from tests.support.openai_server import OpenAIServer, answer_for

pytestmark = pytest.mark.anyio


async def test_query_returns_the_answer_with_its_usage(make_broker: Callable[..., Broker]) -> None:
    """A bare prompt becomes one user message; the answer carries its token counts and model."""
    completion = await make_broker().query("what is two plus two")
    assert completion.text == answer_for("what is two plus two")
    assert (completion.prompt_tokens, completion.completion_tokens) == (5, 6)
    assert completion.model == TEST_MODEL
    assert (completion.cached, completion.attempts) == (False, 1)


async def test_query_accepts_a_whole_chat(make_broker: Callable[..., Broker]) -> None:
    """A list of messages is sent as is; the last user message is answered."""
    chat = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}]
    completion = await make_broker().query(chat)
    assert completion.text == answer_for("hello there")
    assert completion.prompt_tokens == 4


async def test_batch_answers_in_prompt_order(make_broker: Callable[..., Broker]) -> None:
    """Answers come back in prompt order even when later prompts finish first."""
    prompts = [f"item {i} [[sleep={0.05 * (5 - i):.2f}]]" for i in range(6)]
    results = await make_broker().batch(prompts)
    assert [r.text for r in results if isinstance(r, Completion)] == [answer_for(p) for p in prompts]


async def test_one_failure_stays_in_its_slot(make_broker: Callable[..., Broker]) -> None:
    """A failed item holds a CallFailure at its index; the others are answered."""
    results = await make_broker().batch(["first", "second [[400]]", "third"])
    assert [type(r) for r in results] == [Completion, CallFailure, Completion]
    failure = results[1]
    assert isinstance(failure, CallFailure)
    assert (failure.error, failure.attempts) == ("BadRequestError", 1)


async def test_on_item_reports_every_item_sync_or_async(make_broker: Callable[..., Broker]) -> None:
    """on_item is called once per item with its index; a coroutine callback is awaited."""
    seen_sync: dict[int, Outcome] = {}
    seen_async: dict[int, Outcome] = {}

    async def record_async(index: int, outcome: Outcome) -> None:
        await anyio.sleep(0)
        seen_async[index] = outcome

    broker = make_broker(cache=False)
    sync_results = await broker.batch(["a", "b [[401]]"], on_item=seen_sync.__setitem__)
    async_results = await broker.batch(["c", "d"], on_item=record_async)
    assert [seen_sync[i] for i in range(2)] == sync_results
    assert [seen_async[i] for i in range(2)] == async_results


async def test_concurrency_is_bounded(make_broker: Callable[..., Broker], openai_server: OpenAIServer) -> None:
    """No more than ``concurrency`` requests are in flight at once."""
    await make_broker(concurrency=3).batch([f"slow {i} [[sleep=0.05]]" for i in range(12)])
    assert openai_server.peak_in_flight == 3


async def test_cancelled_batch_stops_its_calls_promptly(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """Cancelling the scope around a batch abandons its outstanding calls at once and records none."""
    broker = make_broker()
    async with anyio.create_task_group() as group:
        group.start_soon(broker.batch, [f"long {i} [[sleep=30]]" for i in range(8)])
        while openai_server.requests < 8:
            await anyio.sleep(0.01)
        cancelled_at = anyio.current_time()
        group.cancel_scope.cancel()
    assert anyio.current_time() - cancelled_at < 0.5
    assert broker.usage()["total"]["calls"] == 0
    assert broker.budget.calls_used == 0


async def test_params_reserved_to_the_broker_are_refused(make_broker: Callable[..., Broker]) -> None:
    """Parameters that would bypass retries or the parser are rejected before any call."""
    with pytest.raises(LLMError, match="stream"):
        await make_broker().query("hi", stream=True)


async def test_without_model_or_sampler_says_how_to_configure_one() -> None:
    """With neither a model nor a sampling client, the error tells how to set a model."""
    broker = Broker(BrokerConfig(), cache_dir=None)
    with pytest.raises(ModelNotConfigured) as raised:
        await broker.batch(["hi"])
    for hint in ("--model", "RLM_MODEL", "anthropic/claude-haiku-4-5", "--api-base"):
        assert hint in str(raised.value)


async def test_sub_model_is_the_default_for_calls(make_broker: Callable[..., Broker]) -> None:
    """sub_model, when set, is what calls use unless they name a model."""
    broker = make_broker(model="openai/root-model", sub_model="openai/sub-model")
    assert (await broker.query("x")).model == "openai/sub-model"
    assert (await broker.query("y", model="openai/other")).model == "openai/other"
