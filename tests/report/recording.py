"""A real session recorded to a trajectory: tool calls through the MCP client, an rlm_ask, a sandbox restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp import Client

from rlm_mcp.ask import trajectory
from rlm_mcp.config import Settings
from rlm_mcp.llm.litellm_client import close_clients
from rlm_mcp.server import build_server

ROOT_MODEL = "openai/report-root"
SUB_MODEL = "openai/report-sub"
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
"""Sandbox output that would run script if the report pasted it into the page unescaped."""
ROOT_STEPS = [
    "hits = grep(r'^def ')\nprint(len(hits), [h.where for h in hits[:3]])",
    "notes = llm_batch([f'What does {h.text} do?' for h in hits[:4]])\nprint(notes)",
    "FINAL_ANSWER = f'{len(hits)} functions; the first is at {hits[0].where}'",
]
"""The code the scripted root model writes, one block per turn."""


def scripted_root(body: dict[str, Any]) -> str | None:
    """OpenAIServer responder: the root model's n-th reply is ROOT_STEPS[n]; sub-calls get the echo."""
    if body.get("model") != ROOT_MODEL.split("/", 1)[1]:
        return None
    turn = sum(message.get("role") == "assistant" for message in body.get("messages", []))
    return f"Let me look.\n```python\n{ROOT_STEPS[min(turn, len(ROOT_STEPS) - 1)]}\n```"


def settings_for(api_base: str, cache_dir: Path) -> Settings:
    """Local backend, the scripted root and the echoing sub-model on the local server, a sub-call budget."""
    return Settings.from_env(
        {},
        backend="local",
        model=SUB_MODEL,
        root_model=ROOT_MODEL,
        api_base=api_base,
        api_key="test",
        llm_backoff_base_s=0.01,
        max_calls=50,
        cache_dir=str(cache_dir),
    )


async def record_session(settings: Settings, repository: Path) -> Path:
    """Drive one session through every kind of step and return its trajectory file."""
    async with Client(build_server(settings), raise_exceptions=True) as client:
        await _call(client, "rlm_load_context", source=str(repository))
        await _call(client, "rlm_exec", code="print(len(files), sorted(files)[:3])")
        await _call(client, "rlm_exec", code=f"print({HOSTILE!r})\nraise ValueError({HOSTILE!r})")
        await _call(client, "rlm_query", prompt="Summarise {{item}}", over=["alpha", "beta [[400]]", "gamma"])
        await _call(client, "rlm_ask", question=f"How many functions are there? {HOSTILE}")
        await _call(client, "rlm_exec", code="import os\nos._exit(3)", error=True)
    await close_clients()
    [trajectory] = (Path(settings.cache_dir) / "trajectories").glob("default-*.jsonl")
    return trajectory


async def _call(client: Client, tool: str, error: bool = False, **arguments: Any) -> None:
    result = await client.call_tool(tool, arguments)
    assert result.is_error == error, result.content


def write_long_trajectory(path: Path, steps: int) -> Path:
    """A trajectory of `steps` rlm_ask iterations, every text at the writer's cap, as the writer lays records out.

    Texts are full of quotes and angle brackets, the characters that grow most when escaped.
    """
    text = ("x = '<b>\"quoted\" & <i>tagged</i></b>'\n" * 200)[: trajectory.TEXT_CHARS]
    lines = [{"kind": "ask", "ask": "long", "event": "start", "question": "q?", "limits": {"max_iterations": steps}}]
    for iteration in range(1, steps + 1):
        latencies = [0.02 * (1 + (iteration + call) % 40) for call in range(iteration % 7)]
        sub_calls = {
            "calls": len(latencies),
            "failures": iteration % 11 == 0,
            "cache_hits": iteration % 5 == 0,
            "total_tokens": 30 * len(latencies),
            "cost_usd": 0.0001 * len(latencies),
            "by_model": {SUB_MODEL: {"calls": len(latencies)}},
            "latency_s": trajectory.latency_summary(latencies),
        }
        lines.append(
            {
                "kind": "ask",
                "ask": "long",
                "event": "iteration",
                "iteration": iteration,
                "root": {"text": text, "tokens": 900, "cost_usd": 0.001, "elapsed_s": 0.8},
                "code": [text],
                "output": [text],
                "exec": [{"elapsed_s": 0.01, "error": "ValueError" if iteration % 50 == 0 else None}],
                "sub_calls": sub_calls,
                "elapsed_s": 1.0,
            }
        )
    lines.append({"kind": "ask", "ask": "long", "event": "end", "answer": "done", "iterations": steps})
    stamped = [{"t": 1_800_000_000 + number, "session": "long", **line} for number, line in enumerate(lines)]
    path.write_text("".join(json.dumps(line) + "\n" for line in stamped))
    return path
