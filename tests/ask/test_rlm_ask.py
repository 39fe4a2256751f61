"""rlm_ask end to end through the MCP client: scripted root, real sandbox, real broker, trajectory on disk."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error

pytestmark = pytest.mark.anyio

FIND_BROKER = [
    "hits = grep(r'^class Broker\\b')\nprint(len(files), [h.where for h in hits])",
    "notes = llm_batch([f'What is {h.text}?' for h in hits])\nprint(notes)",
    "FINAL_ANSWER = f'The broker is defined at {hits[0].where}. Sub-model: {notes[0]}'",
]


@pytest.fixture
async def client(litellm_clients_closed: None, ask_settings: Callable[..., Settings]) -> AsyncIterator[Client]:
    async with Client(build_server(ask_settings()), raise_exceptions=True) as connected:
        yield connected


def records(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


async def ask(client: Client, progress: list[float] | None = None, **arguments: Any) -> dict[str, Any]:
    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        if progress is not None:
            progress.append(done)

    result = await client.call_tool("rlm_ask", arguments, progress_callback=on_progress)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_rlm_ask_runs_the_root_code_in_the_sandbox_and_returns_a_cited_answer(
    client: Client, package_copy: Path, script_root: Callable[[Sequence[str]], None]
) -> None:
    """Three iterations run in the REPL, the sub-call goes through the broker, the answer keeps path:line."""
    script_root(FIND_BROKER)
    await call(client, "rlm_load_context", source=str(package_copy))
    progress: list[float] = []
    result = await ask(client, progress, question="Where is the sub-LLM broker defined?")
    line = (package_copy / "llm/broker.py").read_text().splitlines().index("class Broker:") + 1
    assert result["finished"] and result["stop_reason"] == "answered" and result["iterations"] == 3
    assert f"The broker is defined at llm/broker.py:{line}." in result["answer"]
    assert "Sub-model: echo: What is class Broker:?" in result["answer"]
    assert result["usage"]["sub"]["calls"] == 1 and result["usage"]["root"]["calls"] == 3
    assert [done for done in progress if done == int(done)] == [1, 2, 3]  # keep-alive repeats lie between
    assert "notes" in await call(client, "rlm_exec", code="SHOW_VARS()")


async def test_rlm_ask_writes_its_iterations_to_the_trajectory(
    client: Client, package_copy: Path, script_root: Callable[[Sequence[str]], None]
) -> None:
    """Each iteration is a JSONL line with the code, its bounded output and the sub-calls it made."""
    script_root(FIND_BROKER)
    await call(client, "rlm_load_context", source=str(package_copy))
    result = await ask(client, question="Where is the sub-LLM broker defined?")
    lines = records(result["trajectory"])
    iterations = [r for r in lines if r.get("event") == "iteration"]
    assert [r["iteration"] for r in iterations] == [1, 2, 3]
    assert iterations[0]["code"] == [FIND_BROKER[0]] and "llm/broker.py" in iterations[0]["output"][0]
    assert iterations[1]["sub_calls"]["calls"] == 1 and iterations[0]["sub_calls"]["calls"] == 0
    assert {r["event"] for r in lines if r["kind"] == "ask"} == {"start", "iteration", "end"}


async def test_every_tool_call_is_logged_without_copying_the_context(
    client: Client, package_copy: Path, ask_settings: Callable[..., Settings]
) -> None:
    """Load, exec and status each leave one record with timing; no file's text lands in the log."""
    await call(client, "rlm_load_context", source=str(package_copy))
    await call(client, "rlm_exec", code="print(len(files))")
    await call(client, "rlm_status", session="default")
    await call_error(client, "rlm_exec", code="  ")
    (log,) = (Path(ask_settings().cache_dir) / "trajectories").glob("default-*.jsonl")
    tools = [r for r in records(log) if r["kind"] == "tool"]
    assert [r["tool"] for r in tools] == ["rlm_load_context", "rlm_exec", "rlm_status", "rlm_exec"]
    assert all("elapsed_s" in r for r in tools) and "code is empty" in tools[-1]["error"]
    assert "def serve_sandbox" not in log.read_text()


async def test_a_raw_text_context_is_logged_as_its_size_only(
    client: Client, ask_settings: Callable[..., Settings]
) -> None:
    """rlm_load_context's source is the context itself when it is raw text: the log keeps its length, not its text."""
    await call(client, "rlm_load_context", source="token = 'hunter2'\nmore of the context", kind="text")
    (log,) = (Path(ask_settings().cache_dir) / "trajectories").glob("default-*.jsonl")
    (load,) = [r for r in records(log) if r.get("tool") == "rlm_load_context"]
    assert load["arguments"]["source"] == "[raw text, 37 chars: not logged]"
    assert "hunter2" not in log.read_text()


async def test_rlm_ask_needs_a_loaded_context(client: Client) -> None:
    """Asking before anything is loaded says to call rlm_load_context."""
    assert "rlm_load_context" in await call_error(client, "rlm_ask", question="anything?")


async def test_rlm_ask_is_listed_with_its_cost_and_as_open_world(client: Client) -> None:
    """The agent reads what rlm_ask returns, what it costs, and when to drive the tools instead."""
    tool = next(t for t in (await client.list_tools()).tools if t.name == "rlm_ask")
    assert tool.description and "Cost" in tool.description and "FINAL_ANSWER" in tool.description
    assert tool.annotations and tool.annotations.open_world_hint
