"""rlm_ask as an MCP task: a client that declares the Tasks extension polls for the loop's answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.ask.test_rlm_ask import FIND_BROKER
from tests.mcp.test_tasks import PollingTasks

pytestmark = pytest.mark.anyio


async def test_rlm_ask_runs_as_a_task_and_its_answer_arrives_by_polling(
    litellm_clients_closed: None,
    ask_settings: Callable[..., Settings],
    package_copy: Path,
    script_root: Callable[[Sequence[str]], None],
) -> None:
    """The whole loop runs after the call returned a task; the completed task holds the usual cited answer."""
    script_root(FIND_BROKER)
    tasks = PollingTasks()
    async with Client(build_server(ask_settings()), raise_exceptions=True, extensions=[tasks]) as client:
        loaded = await client.call_tool("rlm_load_context", {"source": str(package_copy)})
        assert not loaded.is_error
        result = await client.call_tool("rlm_ask", {"question": "Where is the sub-LLM broker defined?"})
    answer = result.structured_content
    assert answer is not None and answer["finished"] and answer["iterations"] == 3
    assert "llm/broker.py:" in answer["answer"]
    assert tasks.views[0]["status"] == "working" and tasks.views[-1]["status"] == "completed"
