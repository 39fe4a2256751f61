"""The on-disk response cache: repeated deterministic requests are answered without a call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rlm_mcp.llm import Broker
from rlm_mcp.llm.cache import ResponseCache
from rlm_mcp.llm.results import Reply
from tests.llm.conftest import PRICED_MODEL
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio


async def test_repeated_request_is_answered_from_cache(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, priced_models: tuple[str, str]
) -> None:
    """The second identical call makes no request and costs nothing."""
    broker = make_broker(model=PRICED_MODEL)
    first = await broker.query("same question")
    second = await broker.query("same question")
    assert openai_server.requests == 1
    assert second.text == first.text
    assert (second.cached, second.cost_usd, second.attempts) == (True, 0.0, 0)


async def test_cache_survives_a_new_broker(make_broker: Callable[..., Broker], openai_server: OpenAIServer) -> None:
    """A broker opened later on the same cache directory answers from it."""
    await make_broker().query("remember me")
    assert (await make_broker().query("remember me")).cached
    assert openai_server.requests == 1


async def test_cache_hits_do_not_count_against_budgets(make_broker: Callable[..., Broker]) -> None:
    """With the calls budget spent, a cached answer is still served."""
    broker = make_broker(max_calls=1)
    await broker.query("cached")
    assert (await broker.query("cached")).cached


@pytest.mark.parametrize(
    ("config", "params"),
    [
        pytest.param({}, {"cache": False}, id="disabled-per-call"),
        pytest.param({"cache": False}, {}, id="disabled-globally"),
        pytest.param({}, {"temperature": 0.7}, id="sampled-request"),
    ],
)
async def test_cache_is_bypassed(
    make_broker: Callable[..., Broker],
    openai_server: OpenAIServer,
    config: dict[str, Any],
    params: dict[str, Any],
) -> None:
    """Disabled per call, disabled globally, or a non-deterministic request: every call is made."""
    broker = make_broker(**config)
    for _ in range(2):
        assert not (await broker.query("fresh please", **params)).cached
    assert openai_server.requests == 2


async def test_different_parameters_are_different_entries(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """The key covers the parameters, not just the prompt."""
    broker = make_broker()
    await broker.query("limits", max_tokens=10)
    await broker.query("limits", max_tokens=20)
    assert openai_server.requests == 2


async def test_failures_are_not_cached(make_broker: Callable[..., Broker], openai_server: OpenAIServer) -> None:
    """A failed request is made again next time and its answer then cached."""
    broker = make_broker()
    await broker.batch(["flaky [[500]]"], options={"max_tokens": 5})
    await broker.query("flaky [[500]]", max_tokens=5)
    assert openai_server.requests_for("flaky [[500]]") == 2


def test_an_oversized_cache_keeps_its_newest_answers(tmp_path: Path) -> None:
    """Opened past its size cap, the cache drops the oldest answers and shrinks below the cap."""
    cache = ResponseCache(tmp_path)
    for i in range(400):
        cache.put(f"key-{i:03d}", Reply(text="x" * 5_000, prompt_tokens=1, completion_tokens=1, cost_usd=None))
    cache.close()
    cap = 1_000_000
    assert cache.path.stat().st_size > cap
    trimmed = ResponseCache(tmp_path, max_bytes=cap)
    assert cache.path.stat().st_size <= cap
    assert trimmed.get("key-399") is not None and trimmed.get("key-000") is None
    trimmed.close()
