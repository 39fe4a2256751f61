"""MCP sampling fallback: with no model configured, calls go to the injected sampler."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rlm_mcp.errors import BudgetExceeded, LLMError
from rlm_mcp.llm import SAMPLING_MODEL, Broker, BrokerConfig, Message

pytestmark = pytest.mark.anyio


class RecordingSampler:
    """Answers like a sampling client would, and remembers what it was asked."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[list[Message], int, float | None]] = []
        self.fail = fail

    async def __call__(self, messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str:
        self.calls.append((list(messages), max_tokens, temperature))
        if self.fail:
            raise RuntimeError("the user declined the sampling request")
        return f"sampled: {messages[-1]['content']}"


async def test_without_a_model_calls_go_to_the_sampler(tmp_path: Path) -> None:
    """The sampler gets the chat and a max_tokens; its text is the answer."""
    sampler = RecordingSampler()
    broker = Broker(BrokerConfig(sampling_max_tokens=321), cache_dir=tmp_path, sampler=sampler)
    completion = await broker.query("summarise this")
    assert completion.text == "sampled: summarise this"
    assert (completion.model, completion.cost_known) == (SAMPLING_MODEL, False)
    assert sampler.calls == [([{"role": "user", "content": "summarise this"}], 321, None)]


async def test_sampling_answers_are_not_cached(tmp_path: Path) -> None:
    """The client picks the model, so its answers are asked for every time."""
    sampler = RecordingSampler()
    broker = Broker(BrokerConfig(), cache_dir=tmp_path, sampler=sampler)
    await broker.batch(["same", "same"], options={"max_tokens": 50, "temperature": 0})
    assert [call[1:] for call in sampler.calls] == [(50, 0), (50, 0)]


async def test_sampling_counts_against_the_calls_budget() -> None:
    """Budgets hold for sampled calls too."""
    broker = Broker(BrokerConfig(max_calls=1), cache_dir=None, sampler=RecordingSampler())
    await broker.query("one")
    with pytest.raises(BudgetExceeded):
        await broker.query("two")


async def test_a_failing_sampler_is_reported_not_retried() -> None:
    """A sampler error (e.g. the user declined) fails the call at once with its message."""
    sampler = RecordingSampler(fail=True)
    broker = Broker(BrokerConfig(), cache_dir=None, sampler=sampler)
    with pytest.raises(LLMError, match=r"failed before an answer came back.*declined"):
        await broker.query("please")
    assert len(sampler.calls) == 1
