"""With no model configured, sub-calls go to the client's own model through MCP sampling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client, types

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error

pytestmark = pytest.mark.anyio


async def answer_by_sampling(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
    """The client's model: it shouts the last message back."""
    text = getattr(params.messages[-1].content, "text", "")
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text=f"sampled: {text.upper()}"), model="client-llm"
    )


async def test_single_query_is_sampled_on_the_current_protocol(make_settings: Callable[..., Settings]) -> None:
    """MCP 2026-07-28: one rlm_query prompt is answered through the SDK's Resolve/Sample form."""
    server = build_server(make_settings(backend="local"))
    async with Client(server, sampling_callback=answer_by_sampling) as client:
        out = await call(client, "rlm_query", prompt="hello {{2 * 3}}", into="reply")
        assert "sampled: HELLO 6" in out
        assert "sampled: HELLO 6" in await call(client, "rlm_exec", code="reply")
        assert '"mcp-sampling"' in await call(client, "rlm_status")


async def test_batches_need_a_model_on_the_current_protocol(make_settings: Callable[..., Settings]) -> None:
    """MCP 2026-07-28 forbids mid-call sampling: a batch explains that a model is needed."""
    async with Client(build_server(make_settings(backend="local")), sampling_callback=answer_by_sampling) as client:
        await call(client, "rlm_exec", code="items = ['a', 'b']")
        assert "RLM_MODEL" in await call_error(client, "rlm_query", prompt="{{item}}", over="items")


async def test_code_in_the_sandbox_samples_on_earlier_protocols(make_settings: Callable[..., Settings]) -> None:
    """Up to MCP 2025-11-25 every sub-call, even llm_batch inside code, can go to the client."""
    server = build_server(make_settings(backend="local"))
    async with Client(server, sampling_callback=answer_by_sampling, mode="legacy") as client:
        out = await call(client, "rlm_exec", code="llm_batch(['one', 'two']) + [llm_query('three')]")
        assert "['sampled: ONE', 'sampled: TWO', 'sampled: THREE']" in out
        await call(client, "rlm_exec", code="items = ['x', 'y']")
        assert "stored 2 answer(s)" in await call(client, "rlm_query", prompt="{{item}}", over="items")


async def test_without_model_or_sampling_client_the_error_says_how_to_configure(
    make_settings: Callable[..., Settings],
) -> None:
    """No model and a client that cannot sample: the message names --model and RLM_MODEL."""
    async with Client(build_server(make_settings(backend="local")), mode="legacy") as client:
        out = await call(client, "rlm_exec", code="llm_query('hi')")
        assert "--model" in out and "RLM_MODEL" in out
