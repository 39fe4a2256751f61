"""Frames, helper arguments and host work that sandbox code chooses cannot take down the server.

Hostile code reaches the protocol stream the way a prompt-injected agent would: it finds the
runtime's FrameWriter among the live objects and writes raw bytes through it. Every test then checks
that the server, the attacking session and another session all still answer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

WRITER = "import gc\nw = next(o for o in gc.get_objects() if type(o).__name__ == 'FrameWriter')\n"
"""Sandbox code that finds the runtime's protocol writer, as an attacker would."""


def raw_frames(*bodies: str) -> str:
    """Sandbox code writing each JSON body as one raw frame straight onto the protocol stream."""
    lines = [WRITER]
    for body in bodies:
        lines.append(f"data = {body!r}.encode()\nw._stream.write(len(data).to_bytes(4, 'big') + data)\n")
    lines.append("w._stream.flush()\n")
    return "".join(lines)


@pytest.fixture
async def hostile(
    backend_name: str,
    litellm_clients_closed: None,
    make_settings: Callable[..., Settings],
    openai_server: OpenAIServer,
    sample_repo: Path,
) -> AsyncIterator[Client]:
    """A server on the backend under test with two loaded sessions: `attacker` and `bystander`."""
    settings = make_settings(
        backend=backend_name, model="openai/test-model", api_base=f"{openai_server.url}/v1", api_key="test"
    )
    async with Client(build_server(settings), raise_exceptions=True) as client:
        for session in ("attacker", "bystander"):
            await call(client, "rlm_load_context", source=str(sample_repo), session=session)
        yield client


async def both_still_answer(client: Client) -> None:
    for session in ("attacker", "bystander"):
        assert "[value]\n3" in await call(client, "rlm_exec", code="1 + 2", session=session)


@pytest.mark.parametrize(
    "bodies",
    [
        pytest.param(['{"re": [1], "ok": true}'], id="list-reply-id"),
        pytest.param(['{"op": "cancel", "target": {"a": 1}}'], id="dict-cancel-target"),
        pytest.param(['{"re": 1, "ok": "yes"}', '{"re": {"x": 1}, "ok": false}'], id="wrong-typed-reply"),
        pytest.param(['{"id": [1], "op": "llm", "prompts": ["x"]}', '{"id": 7, "op": 5}'], id="bad-request"),
        pytest.param(['{"id": 9, "op": "llm", "prompts": "not a list"}'], id="bad-llm-payload"),
        pytest.param(['{"id": 10, "op": "partition", "files": [10**9], "chunk_tokens": "x"}'], id="bad-partition"),
        pytest.param(['{"id": 11, "op": "no-such-op"}', '{"op": "no-such-notice"}'], id="unknown-ops"),
        pytest.param(["[" * 100_000 + "]" * 100_000], id="deeply-nested"),
        pytest.param(["not json at all", "[1, 2]", '"a string"'], id="not-an-object"),
    ],
)
async def test_malformed_frames_from_the_sandbox_are_dropped(hostile: Client, bodies: list[str]) -> None:
    """A malformed frame costs nothing but itself: the server and both sessions go on."""
    await call(hostile, "rlm_exec", code=raw_frames(*bodies), session="attacker")
    await both_still_answer(hostile)


async def test_a_frame_announcing_gigabytes_is_skipped(hostile: Client) -> None:
    """A header claiming more than the frame limit costs that session a restart that says why, nothing more."""
    code = WRITER + "w._stream.write((2**31).to_bytes(4, 'big') + b'z' * 1000)\nw._stream.flush()"
    out = await call_error(hostile, "rlm_exec", code=code, session="attacker")
    assert "over the 67,108,864-byte limit" in out and "fresh sandbox was started" in out
    await both_still_answer(hostile)


async def test_a_flood_of_requests_is_refused_past_the_limit(hostile: Client) -> None:
    """Thousands of requests in flight at once are answered Busy past the limit instead of all being served."""
    requests = [f'{{"id": {n}, "op": "llm", "prompts": ["[[sleep=0.2]] x"]}}' for n in range(1, 2001)]
    await call(hostile, "rlm_exec", code=raw_frames(*requests), session="attacker")
    await both_still_answer(hostile)


async def test_requests_reusing_one_id_are_not_all_served(hostile: Client, openai_server: OpenAIServer) -> None:
    """Thousands of requests under one id cannot slip past the in-flight limit: at most one of them is served."""
    requests = ['{"id": 5, "op": "llm", "prompts": ["[[sleep=0.5]] same id"]}'] * 2000
    await call(hostile, "rlm_exec", code=raw_frames(*requests), session="attacker")
    await both_still_answer(hostile)
    assert openai_server.requests_for("[[sleep=0.5]] same id") <= 1


async def test_deeply_nested_sub_call_parameters_are_refused_in_the_sandbox(hostile: Client) -> None:
    """llm_query with a parameter nested 10,000 deep fails in the caller's code with a clear message."""
    code = "p = []\nfor _ in range(10_000):\n    p = [p]\nllm_query('x', p=p)"
    out = await call(hostile, "rlm_exec", code=code, session="attacker")
    assert "could not be sent" in out and "levels deep" in out
    await both_still_answer(hostile)


async def test_a_partition_that_would_explode_is_refused_before_any_work(hostile: Client) -> None:
    """partition(budget=1) is refused by its argument check; a tiny budget over MBs by the chunk estimate."""
    out = await call(hostile, "rlm_exec", code="partition(budget=1)", session="attacker")
    assert "at least 50" in out
    big = "x = 1\n" * 5_000_000
    await call(hostile, "rlm_load_context", source=big, kind="text", session="attacker")
    out = await call(hostile, "rlm_exec", code="partition(budget=50)", session="attacker")
    assert "would make about" in out and "use budget >=" in out
    await both_still_answer(hostile)


async def test_answers_over_the_frame_limit_become_an_error_for_the_caller(
    hostile: Client, openai_server: OpenAIServer
) -> None:
    """llm_batch whose answers total more than a frame can carry tells the code to ask for less."""
    openai_server.responder = lambda body: "z" * 3_000_000
    out = await call(hostile, "rlm_exec", code="llm_batch(['big %d' % i for i in range(25)])", session="attacker")
    assert "too large to send" in out and "ask for less at once" in out
    openai_server.responder = None
    await both_still_answer(hostile)


async def test_a_backtracking_path_pattern_cannot_stall_anyone(hostile: Client, tmp_path: Path) -> None:
    """Patterns that make a backtracking matcher run for minutes are matched in linear time, in the sandbox."""
    deep = tmp_path / "long"
    (deep / ("d" * 60) / ("e" * 60)).mkdir(parents=True)
    (deep / ("d" * 60) / ("e" * 60) / ("f" * 120 + ".py")).write_text("a = 1\n")
    await call(hostile, "rlm_load_context", source=str(deep), session="attacker")
    pattern = "*?" * 13 + "X"
    code = f"len(partition(paths=[{pattern!r}])), len(grep('a', paths={pattern!r}))"
    with anyio.fail_after(20):
        out = await call(hostile, "rlm_exec", code=code, session="attacker")
    assert "(0, 0)" in out
    await both_still_answer(hostile)


async def test_a_bad_path_pattern_is_explained(hostile: Client) -> None:
    """A path argument of the wrong type names the accepted forms instead of a traceback."""
    out = await call(hostile, "rlm_exec", code="grep('a', paths=[1, 2])", session="attacker")
    assert "a string or a list of strings" in out


async def test_another_session_answers_within_a_second_while_one_does_its_worst(hostile: Client) -> None:
    """While one session floods bad frames, runs hostile patterns and oversized requests, another's exec is fast."""
    worst = (
        raw_frames(*(['{"re": [1], "ok": true}', "[" * 50_000 + "]" * 50_000] * 200))
        + f"partition(paths=[{'*?' * 13 + 'X'!r}])\n"
        + "try:\n    llm_batch(['x' * 1_000_000] * 80)\nexcept Exception:\n    pass\n"
    )
    slowest = 0.0

    async def attack() -> None:
        for _ in range(3):
            await hostile.call_tool("rlm_exec", {"code": worst, "session": "attacker"})

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(attack)
        for _ in range(20):
            started = time.perf_counter()
            assert "[value]\n3" in await call(hostile, "rlm_exec", code="1 + 2", session="bystander")
            slowest = max(slowest, time.perf_counter() - started)
            await anyio.sleep(0.05)
    assert slowest < 1.0, f"a trivial exec took {slowest:.2f}s while another session attacked"
    await both_still_answer(hostile)


async def test_a_render_that_never_ends_meets_its_deadline(
    make_settings: Callable[..., Settings], openai_server: OpenAIServer, litellm_clients_closed: None, backend_name: str
) -> None:
    """rlm_query over an endless iterator is interrupted at the request deadline; the variables survive."""
    settings = make_settings(
        backend=backend_name,
        model="openai/test-model",
        api_base=f"{openai_server.url}/v1",
        api_key="test",
        exec_timeout_s=1.0,
        interrupt_grace_s=2.0,
    )
    async with Client(build_server(settings), raise_exceptions=True) as client:
        await call(client, "rlm_exec", code="kept = 41")
        out = await call_error(client, "rlm_query", prompt="{{item}}", over="(n for n in iter(int, 1))")
        assert "took longer than 1s and was interrupted" in out and "variables are intact" in out
        assert "[value]\n42" in await call(client, "rlm_exec", code="kept + 1")
