"""A model server on this machine needs no key, and a refused or missing key is reported as one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rlm_mcp.errors import LLMError
from rlm_mcp.llm import Broker
from rlm_mcp.llm.litellm_client import key_for
from tests.support.openai_server import OpenAIServer, answer_for

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def no_provider_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OPENAI_API_KEY in the environment, as on a machine that only runs a local model server."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.mark.parametrize("model", ["openai/local-model", "hosted_vllm/local-model"])
async def test_a_loopback_server_answers_without_an_api_key(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer, model: str
) -> None:
    """--api-base http://127.0.0.1:PORT/v1 with no --api-key: the first attempt is answered."""
    completion = await make_broker(model=model, api_key=None).query("hello local")
    assert (completion.text, completion.attempts) == (answer_for("hello local"), 1)
    assert openai_server.requests_for("hello local") == 1


def test_the_placeholder_key_is_only_for_openai_compatible_loopback_servers() -> None:
    """A key that is set is sent as is; a remote api_base or another provider gets no made-up key."""
    assert key_for("openai/m", "http://localhost:11434/v1", None) is not None
    assert key_for("openai/m", "http://[::1]:8000/v1", None) is not None
    assert key_for("openai/m", "http://127.0.0.1:8000/v1", "sk-mine") == "sk-mine"
    assert key_for("openai/m", "https://llm.example.com/v1", None) is None
    assert key_for("openai/m", None, None) is None
    assert key_for("anthropic/claude", "http://127.0.0.1:4000", None) is None


async def test_a_refused_key_is_an_authentication_failure_not_rate_limiting(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """A local server answering 401 to the keyless call: one request, a message naming RLM_API_KEY."""
    prompt = "who am i [[401]]"
    with pytest.raises(LLMError, match="authentication failed") as raised:
        await make_broker(api_key=None).query(prompt)
    assert "RLM_API_KEY" in str(raised.value) and "rate limiting" not in str(raised.value)
    assert openai_server.requests_for(prompt) == 1


async def test_a_missing_key_for_a_remote_server_is_reported_at_once(make_broker: Callable[..., Broker]) -> None:
    """No key for a non-loopback api_base: the client refuses to send; that is one attempt, about the key."""
    broker = make_broker(api_base="http://192.0.2.1/v1", api_key=None, max_retries=4, backoff_base_s=5.0)
    with pytest.raises(LLMError, match="authentication failed") as raised:
        await broker.query("anyone there")
    assert "RLM_API_KEY" in str(raised.value) and "rate limiting" not in str(raised.value)
