"""Soak: 2,000 mixed tool calls over 4 sessions with injected faults, bounded in count and time.

At the end every session still answers, nothing leaked (containers, processes), and the
server's memory stayed within a stated bound. Runs on Docker when an engine is there.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.conftest import docker_problem
from tests.mcp.test_tools import call, text_of
from tests.support.docker_engine import our_containers

pytestmark = pytest.mark.anyio

CALLS_PER_SESSION = 500
SESSIONS = ("s0", "s1", "s2", "s3")
RSS_GROWTH_BOUND_MB = 60
"""After warm-up, 2,000 calls may not grow the server by more than this."""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def sandbox_children() -> list[int]:
    """Local sandbox runtimes started by this test process."""
    me, children = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me and b"repl.py" in command:
                children.append(int(entry.name))
    return children


STUCK_IN_C = "import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')"
FAULTS: list[tuple[float, str, dict[str, object]]] = [
    (0.70, "rlm_exec", {"code": "n = globals().get('n', 0) + 1"}),
    (0.08, "rlm_exec", {"code": "1 / 0"}),
    (0.04, "rlm_exec", {"code": "while True:\n    pass", "timeout_s": 0.2}),
    (0.04, "rlm_exec", {"code": "print('x' * 300_000)", "max_output_chars": 1000}),
    (0.04, "rlm_query", {"prompt": "hello {{n if 'n' in globals() else 0}}"}),
    (0.03, "rlm_query", {"prompt": "[[500x1]] flaky {{1}}"}),
    (0.04, "rlm_status", {}),
    (0.03, "rlm_exec", {"code": "1", "timeout_s": "never"}),
]


@pytest.mark.usefixtures("litellm_clients_closed")
async def test_two_thousand_mixed_calls_with_faults(
    make_settings: Callable[..., Settings], openai_server: object, tmp_path: Path
) -> None:
    """Every session answers at the end; no leak; bounded server memory."""
    backend = "docker" if docker_problem() is None else "local"
    settings = make_settings(
        backend=backend,
        model="openai/test-model",
        api_base=f"{openai_server.url}/v1",  # type: ignore[attr-defined]
        api_key="test",
        llm_backoff_base_s=0.01,
        interrupt_grace_s=1.0,
    )
    rng = random.Random(7)
    weights = [weight for weight, _, _ in FAULTS]
    outcomes = {"ok": 0, "tool_error": 0, "restarts": 0}
    rss_after_warmup = 0.0

    async with Client(build_server(settings)) as client:

        async def drive(session: str) -> None:
            for index in range(CALLS_PER_SESSION):
                _, tool, arguments = rng.choices(FAULTS, weights)[0]
                if index == CALLS_PER_SESSION // 2 and session == "s0":
                    tool, arguments = "rlm_exec", {"code": STUCK_IN_C, "timeout_s": 0.3}
                arguments = {**arguments} if tool == "rlm_status" else {**arguments, "session": session}
                result = await client.call_tool(tool, arguments)
                outcomes["tool_error" if result.is_error else "ok"] += 1
                outcomes["restarts"] += "is lost" in text_of(result)

        for session in SESSIONS:  # warm-up: sessions exist and litellm is imported before measuring
            await call(client, "rlm_exec", code="n = 0", session=session)
            await call(client, "rlm_query", prompt="warm", session=session)
        rss_after_warmup = rss_mb()
        with anyio.fail_after(600):
            async with anyio.create_task_group() as tasks:
                for session in SESSIONS:
                    tasks.start_soon(drive, session)
        growth = rss_mb() - rss_after_warmup
        for session in SESSIONS:
            assert "2" in await call(client, "rlm_exec", code="1 + 1", session=session)
        if backend == "docker":
            assert len(our_containers()) == len(SESSIONS)

    assert outcomes["ok"] + outcomes["tool_error"] == CALLS_PER_SESSION * len(SESSIONS)
    assert outcomes["restarts"] == 1 and outcomes["tool_error"] >= 1
    assert growth < RSS_GROWTH_BOUND_MB, f"server grew {growth:.1f} MB over 2,000 calls"
    if docker_problem() is None:
        assert our_containers() == []
    with anyio.fail_after(10):
        while sandbox_children():
            await anyio.sleep(0.05)
