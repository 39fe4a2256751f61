"""Typed tool results: every tool publishes an outputSchema, and its structuredContent carries what the agent reads."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server

pytestmark = pytest.mark.anyio

TOOLS_IN_ORDER = ["rlm_load_context", "rlm_exec", "rlm_query", "rlm_ask", "rlm_status", "rlm_reset"]


async def test_tools_are_listed_in_a_fixed_order_with_schemas_and_clean_descriptions(
    server_settings: Callable[..., Settings],
) -> None:
    """Two servers list the same tools in the same order, each with an outputSchema and no source indentation."""
    listings = []
    for _ in range(2):
        async with Client(build_server(server_settings())) as client:
            listings.append((await client.list_tools()).tools)
    assert [tool.name for tool in listings[0]] == TOOLS_IN_ORDER == [tool.name for tool in listings[1]]
    for tool in listings[0]:
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", tool.name
        assert tool.description and not any(line.startswith(" ") for line in tool.description.splitlines()), tool.name


async def test_exec_results_carry_the_capped_output_and_the_facts(client: Client) -> None:
    """Clients that show the model only structuredContent still see the output; an error is typed, the cap holds."""
    await client.call_tool("rlm_load_context", {"source": "some text", "kind": "text"})
    ran = await client.call_tool("rlm_exec", {"code": "x = 41\nprint('a' * 50_000)\nx + 1", "max_output_chars": 2000})
    facts = ran.structured_content
    assert facts is not None and not ran.is_error
    assert facts["ok"] is True and facts["stdout_chars"] == 50_001 and facts["changed"] == ["x"]
    assert "print(_stdout[" in facts["output"] and "42" in facts["output"]
    assert facts["output"] == ran.content[0].text  # type: ignore[union-attr]
    assert len(json.dumps(facts)) < 3000
    failed = (await client.call_tool("rlm_exec", {"code": "1 / 0"})).structured_content
    assert failed is not None and failed["ok"] is False and failed["error"]["type"] == "ZeroDivisionError"


async def test_query_status_and_reset_results_are_typed(client: Client) -> None:
    """rlm_query says where its answers are, rlm_status names the backend, rlm_reset lists what it dropped."""
    await client.call_tool("rlm_load_context", {"source": "some text", "kind": "text"})
    queried = (await client.call_tool("rlm_query", {"prompt": "hi", "into": "reply"})).structured_content
    assert queried is not None and queried["variable"] == "reply" and queried["items"] == 1
    assert "echo: hi" in queried["output"]
    status = (await client.call_tool("rlm_status", {})).structured_content
    assert status is not None and status["backend"] == "local" and status["sessions"][0]["session"] == "default"
    reset = (await client.call_tool("rlm_reset", {})).structured_content
    assert reset is not None and reset["scope"] == "variables" and "reply" in reset["dropped"]


async def test_long_names_from_the_code_stay_within_the_cap(client: Client) -> None:
    """A variable or exception type name the code makes as long as it likes is cut in exec and reset results."""
    await client.call_tool("rlm_load_context", {"source": "some text", "kind": "text"})
    code = "globals()['v' * 100_000] = 1\nraise type('E' * 100_000, (Exception,), {})('boom')"
    ran = await client.call_tool("rlm_exec", {"code": code, "max_output_chars": 2000})
    facts = ran.structured_content
    assert facts is not None and facts["ok"] is False and facts["error"]["type"].startswith("EEE")
    assert len(json.dumps(facts)) < 4000
    reset = await client.call_tool("rlm_reset", {})
    assert reset.structured_content is not None and reset.structured_content["dropped"][0].startswith("vvv")
    assert len(json.dumps(reset.structured_content)) < 1000


async def test_status_stays_within_the_cap_whatever_names_the_code_made(client: Client) -> None:
    """Sixty variables with 100,000-character names give a status that still fits the output cap."""
    await client.call_tool("rlm_load_context", {"source": "some text", "kind": "text"})
    code = "for i in range(60):\n    globals()['v%d_' % i + 'x' * 100_000] = i\ndel i"
    assert not (await client.call_tool("rlm_exec", {"code": code})).is_error
    status = await client.call_tool("rlm_status", {})
    assert status.structured_content is not None
    assert len(json.dumps(status.structured_content)) <= 20_000
    assert "60 variables" in status.structured_content["sessions"][0]["variables_note"]
