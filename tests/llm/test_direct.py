"""The direct path to OpenAI-compatible endpoints gives what litellm gives: same requests, answers, prices, errors.

Each test runs the same calls through a broker with ``direct=True`` (the default) and one with
``direct=False`` (every call through litellm) against one real local server, and compares what the
server received and what the broker returned. A litellm callback counts the calls litellm made, so
each test also shows which path a call took.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from rlm_mcp.llm import Broker, CallFailure, Completion
from rlm_mcp.llm.direct import MAX_ANSWER_BYTES, endpoint
from rlm_mcp.llm.litellm_client import load_litellm
from tests.llm.conftest import PRICED_MODEL, TEST_MODEL
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

_OK = {"role": "assistant", "content": "fine"}
CANNED: dict[str, tuple[int, bytes] | tuple[int, bytes, dict[str, str]]] = {
    "not json": (200, b"this is not json {"),
    "a list": (200, b"[1, 2]"),
    "no fields": (200, b"{}"),
    "message is text": (200, b'{"choices": [{"message": "x"}]}'),
    "content is a number": (200, b'{"choices": [{"message": {"role": "assistant", "content": 5}}]}'),
    "fractional tokens": (
        200,
        json.dumps({"choices": [{"message": _OK}], "usage": {"prompt_tokens": 7.5, "completion_tokens": 2}}).encode(),
    ),
    "no usage": (200, json.dumps({"choices": [{"message": _OK}]}).encode()),
    "made-up details": (
        200,
        json.dumps(
            {
                "choices": [{"message": _OK}],
                "usage": {
                    "prompt_tokens": 1000,
                    "completion_tokens": 1000,
                    "prompt_tokens_details": {"cached_tokens": 10**6, "cache_creation_tokens": -(10**6)},
                },
            }
        ).encode(),
    ),
    "null content": (200, b'{"choices": [{"message": {"role": "assistant", "content": null}}]}'),
    "retry after nan": (429, b'{"error": {"message": "slow down"}}', {"Retry-After": "nan"}),
    "oversized": (
        200,
        json.dumps({"choices": [{"message": {"role": "assistant", "content": "x" * MAX_ANSWER_BYTES}}]}).encode(),
    ),
}
"""Prompts the server answers with a fixed (status, body) instead of the echo."""


class RecordingServer(OpenAIServer):
    """The test server, also keeping every request body and answering the ``CANNED`` prompts as listed."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, Any]] = []

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        """Record ``body``, then answer it as canned or as the test server does."""
        self.bodies.append(body)
        prompt = body["messages"][-1]["content"]
        if isinstance(prompt, str) and prompt in CANNED:
            status, answer, *headers = CANNED[prompt]
            return status, headers[0] if headers else {}, answer
        return super().respond(body)


@pytest.fixture
def openai_server() -> Iterator[RecordingServer]:
    """The recording server, in place of the plain one ``make_broker`` aims at."""
    server = RecordingServer().start()
    yield server
    server.stop()


@pytest.fixture
def litellm_calls() -> Iterator[list[str]]:
    """The model of every call litellm itself makes during the test (a litellm callback, removed after)."""
    litellm = load_litellm()
    from litellm.integrations.custom_logger import CustomLogger

    calls: list[str] = []

    class Counter(CustomLogger):  # type: ignore[misc]
        def log_pre_api_call(self, model: str, messages: Any, kwargs: Any) -> None:
            calls.append(model)

    counter = Counter()
    litellm.callbacks.append(counter)
    yield calls
    litellm.callbacks.remove(counter)


async def _both(
    make_broker: Callable[..., Broker], server: RecordingServer, prompt: Any, **config: Any
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The outcome of ``prompt`` direct and through litellm, and the bodies the server received for each."""
    options = config.pop("options", {})
    outcomes, bodies = [], []
    for direct in (True, False):
        broker = make_broker(direct=direct, cache=False, max_retries=1, backoff_base_s=0.001, **config)
        before = len(server.bodies)
        outcomes.extend(await broker.batch([prompt], options=options))
        bodies.append(server.bodies[before:])
    return outcomes, bodies


def _same_answer(direct: Completion, through_litellm: Completion) -> None:
    """Everything but the time taken is equal."""
    fields = ("text", "model", "prompt_tokens", "completion_tokens", "cost_known", "attempts")
    assert {f: getattr(direct, f) for f in fields} == {f: getattr(through_litellm, f) for f in fields}
    assert direct.cost_usd == pytest.approx(through_litellm.cost_usd, rel=1e-12)


@pytest.mark.parametrize("model", [TEST_MODEL, PRICED_MODEL, "openai/gpt-4o-mini", "hosted_vllm/served-model"])
async def test_answers_usage_and_cost_equal_litellms(
    make_broker: Callable[..., Broker],
    openai_server: RecordingServer,
    litellm_calls: list[str],
    priced_models: tuple[str, str],
    model: str,
) -> None:
    """Unpriced, custom-priced and cost-map-priced models: same request body, text, tokens and cost both ways."""
    chat = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "name three primes"}]
    (direct, through_litellm), (sent_direct, sent_litellm) = await _both(make_broker, openai_server, chat, model=model)
    assert isinstance(direct, Completion) and isinstance(through_litellm, Completion)
    _same_answer(direct, through_litellm)
    assert sent_direct == sent_litellm and len(sent_direct) == 1
    assert len(litellm_calls) == 1, "only the direct=False broker's call went through litellm"
    if model != TEST_MODEL and not model.startswith("hosted_vllm/"):
        assert direct.cost_known and direct.cost_usd > 0


@pytest.mark.parametrize(
    ("model", "options"),
    [
        (TEST_MODEL, {"temperature": 0.2, "top_p": 0.9, "max_tokens": 7, "stop": ["\n\n"], "seed": 3}),
        (TEST_MODEL, {"top_k": 5, "presence_penalty": 0.1, "frequency_penalty": 0.2, "logit_bias": {"50256": -100}}),
        (TEST_MODEL, {"response_format": {"type": "json_object"}, "reasoning_effort": "low"}),
        ("openai/gpt-5-mini", {"max_tokens": 9}),
        ("hosted_vllm/served-model", {"thinking": {"type": "enabled", "budget_tokens": 64}, "top_k": 2}),
    ],
)
async def test_options_reach_the_endpoint_as_litellm_sends_them(
    make_broker: Callable[..., Broker],
    openai_server: RecordingServer,
    litellm_calls: list[str],
    model: str,
    options: dict[str, Any],
) -> None:
    """Every allowed option lands in the body as litellm puts it there: as is, renamed (max_completion_tokens)
    or translated (thinking to reasoning_effort); the call itself does not go through litellm."""
    (direct, through_litellm), (sent_direct, sent_litellm) = await _both(
        make_broker, openai_server, "hello", model=model, options=options
    )
    assert isinstance(direct, Completion) and isinstance(through_litellm, Completion)
    assert sent_direct == sent_litellm
    assert len(litellm_calls) == 1


async def test_a_model_whose_messages_litellm_rewrites_goes_through_litellm(
    make_broker: Callable[..., Broker], openai_server: RecordingServer, litellm_calls: list[str]
) -> None:
    """o3-mini's system message is sent as a user message by litellm: that call keeps going through litellm."""
    chat = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]
    (direct, _), (sent_direct, sent_litellm) = await _both(make_broker, openai_server, chat, model="openai/o3-mini")
    assert isinstance(direct, Completion)
    assert sent_direct == sent_litellm and sent_direct[0]["messages"][0]["role"] == "user"
    assert len(litellm_calls) == 2


async def test_an_option_litellm_refuses_is_refused_the_same_way(
    make_broker: Callable[..., Broker], openai_server: RecordingServer
) -> None:
    """``thinking`` for a plain openai/ model: litellm's UnsupportedParamsError, no request sent, both ways."""
    (direct, through_litellm), (sent_direct, sent_litellm) = await _both(
        make_broker, openai_server, "hello", options={"thinking": {"type": "enabled"}}
    )
    assert isinstance(direct, CallFailure) and isinstance(through_litellm, CallFailure)
    assert direct.error == through_litellm.error == "UnsupportedParamsError"
    assert sent_direct == sent_litellm == []


@pytest.mark.parametrize("model", ["anthropic/claude-haiku-4-5", "ollama/qwen3"])
async def test_other_providers_still_go_through_litellm(
    make_broker: Callable[..., Broker], openai_server: RecordingServer, litellm_calls: list[str], model: str
) -> None:
    """A provider with its own API is called by litellm at its own path, which this server does not serve."""
    outcome = (await make_broker(model=model, max_retries=0).batch(["hello"]))[0]
    assert isinstance(outcome, CallFailure)
    assert litellm_calls == [model.partition("/")[2]] or litellm_calls == [model]
    assert openai_server.bodies == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429, 500, 503])
async def test_http_errors_are_litellms_errors(
    make_broker: Callable[..., Broker], openai_server: RecordingServer, status: int
) -> None:
    """An error status fails with litellm's exception type, after as many attempts, both ways."""
    (direct, through_litellm), _ = await _both(make_broker, openai_server, f"fails [[{status}x9]]")
    assert isinstance(direct, CallFailure) and isinstance(through_litellm, CallFailure)
    assert (direct.error, direct.attempts) == (through_litellm.error, through_litellm.attempts)
    assert ("authentication failed" in direct.message) == (status in (401, 403))


@pytest.mark.parametrize("prompt", ["not json", "a list", "no fields", "message is text", "content is a number"])
async def test_a_malformed_answer_is_a_server_fault_as_through_litellm(
    make_broker: Callable[..., Broker], openai_server: RecordingServer, prompt: str
) -> None:
    """A 200 whose body is not a chat completion is an InternalServerError, retried, both ways."""
    (direct, through_litellm), (sent_direct, _) = await _both(make_broker, openai_server, prompt)
    assert isinstance(direct, CallFailure) and isinstance(through_litellm, CallFailure)
    assert (direct.error, direct.attempts) == (through_litellm.error, through_litellm.attempts)
    assert direct.error == "InternalServerError" and len(sent_direct) == 2


@pytest.mark.parametrize("prompt", ["no usage", "null content"])
async def test_a_sparse_answer_reads_as_through_litellm(
    make_broker: Callable[..., Broker], openai_server: RecordingServer, prompt: str
) -> None:
    """No usage counts as 0 tokens, a null content as empty text, both ways."""
    (direct, through_litellm), _ = await _both(make_broker, openai_server, prompt)
    assert isinstance(direct, Completion) and isinstance(through_litellm, Completion)
    _same_answer(direct, through_litellm)


async def test_token_counts_must_be_whole_numbers(
    make_broker: Callable[..., Broker], openai_server: RecordingServer
) -> None:
    """A fractional token count from the endpoint is a malformed answer, never a budget of 7.5 tokens."""
    (direct, through_litellm), _ = await _both(make_broker, openai_server, "fractional tokens")
    assert isinstance(direct, CallFailure) and isinstance(through_litellm, CallFailure)
    assert direct.error == through_litellm.error == "InternalServerError"


async def test_a_retry_after_that_is_no_number_of_seconds_is_ignored(
    make_broker: Callable[..., Broker], openai_server: RecordingServer
) -> None:
    """``Retry-After: nan`` is not a wait: the call is retried after the usual backoff and fails as a rate limit."""
    (direct, through_litellm), (sent_direct, _) = await _both(make_broker, openai_server, "retry after nan")
    assert isinstance(direct, CallFailure) and isinstance(through_litellm, CallFailure)
    assert direct.error == through_litellm.error == "RateLimitError"
    assert len(sent_direct) == 2


async def test_usage_details_never_lower_the_spend(
    make_broker: Callable[..., Broker], openai_server: RecordingServer
) -> None:
    """Made-up usage details that litellm prices below zero leave the answer unpriced, both ways: the spend a
    cost budget is checked against never goes down."""
    (direct, through_litellm), _ = await _both(make_broker, openai_server, "made-up details", model="openai/gpt-4o")
    assert isinstance(direct, Completion) and isinstance(through_litellm, Completion)
    _same_answer(direct, through_litellm)
    assert (direct.cost_usd, direct.cost_known) == (0.0, False)


async def test_an_oversized_answer_is_dropped_unread_and_not_retried(
    make_broker: Callable[..., Broker], openai_server: RecordingServer
) -> None:
    """A body over MAX_ANSWER_BYTES fails the call at once, naming the limit; the host never holds it."""
    outcome = (await make_broker(max_retries=3).batch(["oversized"]))[0]
    assert isinstance(outcome, CallFailure)
    assert (outcome.error, outcome.attempts) == ("AnswerTooLarge", 1)
    assert f"{MAX_ANSWER_BYTES:,}" in outcome.message and "Not retried" in outcome.message
    assert len(openai_server.bodies) == 1


class SilentEndpoint:
    """A listening socket that reads requests and never answers: it sees every connection and when it closes."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/v1"
        self.connections: list[socket.socket] = []
        self.request_read = threading.Event()
        self.closed_by_client = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections.append(connection)
            if connection.recv(65536):
                self.request_read.set()
            if connection.recv(65536) == b"":
                self.closed_by_client.set()

    def close(self) -> None:
        self._socket.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_endpoint() -> Iterator[SilentEndpoint]:
    """An endpoint that never answers, for watching what the client does with its connection."""
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.close()


async def test_asking_litellm_for_the_request_makes_no_connection(silent_endpoint: SilentEndpoint) -> None:
    """Shaping a direct call (litellm's return_raw_request) sends nothing anywhere, not even to the endpoint."""
    load_litellm()
    for model in (TEST_MODEL, "hosted_vllm/served-model", "openai/gpt-5-mini"):
        target = await endpoint(
            model,
            [{"role": "user", "content": "hi"}],
            api_base=silent_endpoint.url,
            api_key="k",
            params={"max_tokens": 5},
        )
        assert target is not None and target.shape.url == f"{silent_endpoint.url}/chat/completions"
    assert silent_endpoint.connections == []


async def test_a_cancelled_direct_call_closes_its_connection(
    make_broker: Callable[..., Broker], silent_endpoint: SilentEndpoint
) -> None:
    """Cancelling the scope around a call in flight drops its request: the endpoint sees the connection close."""
    broker = make_broker(api_base=silent_endpoint.url, timeout_s=60.0)
    async with anyio.create_task_group() as group:
        group.start_soon(broker.query, "are you there")
        await anyio.to_thread.run_sync(silent_endpoint.request_read.wait, 10.0)
        group.cancel_scope.cancel()
    assert await anyio.to_thread.run_sync(silent_endpoint.closed_by_client.wait, 5.0)
    assert broker.usage()["total"]["calls"] == 0
