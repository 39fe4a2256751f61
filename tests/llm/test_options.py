"""Sub-call options are an allowlist of sampling options with small plain values; anything else is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rlm_mcp.errors import LLMError
from rlm_mcp.llm import Broker
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

# Each one reroutes the request, changes its key, headers, price, retries or answer count, or fakes the answer.
OUTSIDE_THE_ALLOWLIST: dict[str, Any] = {
    "api_base": "http://127.0.0.1:9/v1",
    "base_url": "http://127.0.0.1:9/v1",
    "api_key": "sk-other",
    "extra_headers": {"X-Forwarded-Host": "elsewhere"},
    "headers": {"Authorization": "Bearer x"},
    "extra_body": {"model": "other"},
    "fallbacks": [{"model": "openai/m", "api_base": "http://127.0.0.1:9/v1"}],
    "custom_llm_provider": "anthropic",
    "input_cost_per_token": -1,
    "output_cost_per_token": -1,
    "metadata": {"a": 1},
    "mock_response": "forged",
    "n": 5,
    "stream": True,
    "timeout": 0.001,
    "num_retries": 100,
    "messages": [],
}


@pytest.fixture
def recording_server() -> Iterator[tuple[OpenAIServer, list[dict[str, Any]]]]:
    """A real local server that remembers every request body it answered."""
    bodies: list[dict[str, Any]] = []
    server = OpenAIServer(responder=lambda body: bodies.append(body)).start()
    yield server, bodies
    server.stop()


@pytest.mark.parametrize("key", sorted(OUTSIDE_THE_ALLOWLIST))
async def test_an_option_outside_the_allowlist_is_refused_before_any_call(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, key: str
) -> None:
    """The refusal names the option and every allowed one, and nothing is sent."""
    with pytest.raises(LLMError) as raised:
        await make_broker().batch(["hi"], options={key: OUTSIDE_THE_ALLOWLIST[key]})
    message = str(raised.value)
    assert repr(key) in message
    assert "temperature, top_p" in message and "response_format" in message
    assert openai_server.requests == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("temperature", "hot"),
        ("temperature", True),
        ("temperature", float("nan")),
        ("max_tokens", -1),
        ("max_tokens", 2.5),
        ("stop", ["a", "b", "c", "d", "e"]),
        ("stop", "x" * 10_000),
        ("stop", [{"nested": "dict"}]),
        ("response_format", "json"),
        ("response_format", {"deep": [[[[[[[[[[[[1]]]]]]]]]]]]}),
        ("response_format", {"wide": list(range(5_000))}),
        ("response_format", {"type": object()}),
        ("reasoning_effort", "x" * 100),
    ],
)
async def test_an_allowed_option_with_a_bad_value_is_refused(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, key: str, value: Any
) -> None:
    """Values must be scalars of the right kind or small plain JSON; the message says what is wanted."""
    with pytest.raises(LLMError, match=f"option '{key}' must be"):
        await make_broker().query("hi", **{key: value})
    assert openai_server.requests == 0


async def test_allowed_options_reach_the_endpoint(
    make_broker: Callable[..., Broker], recording_server: tuple[OpenAIServer, list[dict[str, Any]]]
) -> None:
    """Sampling options pass through litellm into the request body unchanged."""
    server, bodies = recording_server
    options: dict[str, Any] = {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 50,
        "stop": ["\n\n", "END"],
        "seed": 7,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.1,
        "response_format": {"type": "json_object"},
    }
    answer = await make_broker(api_base=f"{server.url}/v1").query("allowed", **options)
    assert answer.text == "echo: allowed"
    assert {key: bodies[0].get(key) for key in options} == options
