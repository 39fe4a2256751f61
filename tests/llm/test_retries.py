"""Retries: transient failures are retried with backoff, permanent ones fail fast with a clear message."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from rlm_mcp.errors import LLMError
from rlm_mcp.llm import Broker
from tests.support.openai_server import OpenAIServer, answer_for

pytestmark = pytest.mark.anyio


async def test_429_is_retried(make_broker: Callable[..., Broker], openai_server: OpenAIServer) -> None:
    """A rate-limited request is made again and its answer returned."""
    prompt = "busy [[429x2]]"
    completion = await make_broker().query(prompt)
    assert completion.text == answer_for(prompt)
    assert completion.attempts == 3
    assert openai_server.requests_for(prompt) == 3


async def test_retry_after_is_honoured(make_broker: Callable[..., Broker]) -> None:
    """The wait a server asks for in Retry-After is kept, whatever the backoff base."""
    started = anyio.current_time()
    completion = await make_broker(backoff_base_s=0.001).query("slow down [[429]] [[retry-after=0.4]]")
    assert completion.attempts == 2
    assert anyio.current_time() - started >= 0.4


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_until_retries_run_out(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, status: int
) -> None:
    """5xx answers are retried max_retries times, then reported with the attempt count."""
    prompt = f"broken [[{status}x99]]"
    with pytest.raises(LLMError, match="failed after 3 attempts"):
        await make_broker(max_retries=2).query(prompt)
    assert openai_server.requests_for(prompt) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_client_errors_are_not_retried(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, status: int
) -> None:
    """A 4xx other than 408/409/429 would fail again: one request, and the message says so."""
    prompt = f"bad [[{status}]]"
    with pytest.raises(LLMError, match="Not retried"):
        await make_broker().query(prompt)
    assert openai_server.requests_for(prompt) == 1


async def test_authentication_failure_points_at_the_api_key(make_broker: Callable[..., Broker]) -> None:
    """A 401 tells the user to check the API key."""
    with pytest.raises(LLMError, match="API key"):
        await make_broker().query("who am i [[401]]")


async def test_a_call_that_hangs_times_out_and_is_retried(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """Each attempt is abandoned after timeout_s; the final error names the timeout."""
    prompt = "never [[hang]]"
    started = anyio.current_time()
    with pytest.raises(LLMError, match=r"timed out after 0.2 s on each of 2 attempts"):
        await make_broker(timeout_s=0.2, max_retries=1).query(prompt)
    assert anyio.current_time() - started < 2
    assert openai_server.requests_for(prompt) == 2


async def test_an_unparseable_answer_is_retried(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """A body that is not JSON counts as a server fault: retried, then reported."""
    prompt = "mangled [[garbage]]"
    with pytest.raises(LLMError, match="failed after 2 attempts"):
        await make_broker(max_retries=1).query(prompt)
    assert openai_server.requests_for(prompt) == 2


async def test_connection_refused_is_retried(make_broker: Callable[..., Broker]) -> None:
    """A server that is not there is a transient failure: retried, then reported."""
    with pytest.raises(LLMError, match="failed after 2 attempts"):
        await make_broker(api_base="http://127.0.0.1:9/v1", max_retries=1).query("anyone?")
