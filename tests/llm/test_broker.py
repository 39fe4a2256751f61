"""The broker's calls end to end through litellm to a real local server: answers, order, fan-out."""

from __future__ import annotations

import asyncio
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


async def test_a_batch_over_the_cap_is_refused_with_how_to_split_it(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """More prompts than max_batch: refused before any call, naming the setting and the loop that splits it."""
    with pytest.raises(LLMError) as raised:
        await make_broker(max_batch=3).batch(["a", "b", "c", "d"])
    for part in ("4 prompts", "limit of 3", "RLM_LLM_MAX_BATCH", "llm_batch(prompts[start:start + 3])"):
        assert part in str(raised.value)
    assert openai_server.requests == 0


async def test_a_batch_runs_concurrency_workers_not_one_task_per_prompt(make_broker: Callable[..., Broker]) -> None:
    """While a 200-prompt batch at concurrency 4 runs, the event loop holds a few tasks per worker, not one per prompt.

    litellm adds two or three logging tasks per call in flight, hence the bound of 4 per worker.
    """
    before = len(asyncio.all_tasks())
    peak = 0

    def sample(index: int, outcome: Outcome) -> None:
        nonlocal peak
        peak = max(peak, len(asyncio.all_tasks()) - before)

    results = await make_broker(concurrency=4).batch([f"w{i}" for i in range(200)], on_item=sample)
    assert all(isinstance(r, Completion) for r in results)
    assert peak <= 4 * 4


async def test_without_model_or_sampler_says_how_to_configure_one() -> None:
    """With neither a model nor a sampling client, the error tells how to set a model."""
    broker = Broker(BrokerConfig(), cache_dir=None)
    with pytest.raises(ModelNotConfigured) as raised:
        await broker.batch(["hi"])
    for hint in ("--model", "RLM_MODEL", "anthropic/claude-haiku-4-5", "--api-base"):
        assert hint in str(raised.value)
