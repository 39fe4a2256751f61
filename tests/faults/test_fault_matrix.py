"""The fault matrix: what users and model-written code will do to us, and how we must behave.

Each test names its row. They run on the local backend and, when an engine is there, on Docker;
where the backends differ by design (no pids or scratch limit locally) the test says so.
Rows covered elsewhere: output flood and malformed frames (tests/sandbox/test_repl.py), network,
read-only mount, killed container and SIGKILLed server (tests/sandbox/test_docker_isolation.py),
empty code and unknown session (tests/mcp/test_tools.py).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import anyio
import pytest
from mcp import Client

from rlm_mcp.backends import open_backend
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error, text_of

pytestmark = pytest.mark.anyio


async def test_infinite_loop_is_interrupted_and_earlier_variables_survive(fault_client: Client) -> None:
    """Row: infinite Python loop -> timeout interrupts it; variables intact; the message says so."""
    await call(fault_client, "rlm_exec", code="before = 'intact'")
    out = await call(fault_client, "rlm_exec", code="while True:\n    pass", timeout_s=0.5)
    assert "KeyboardInterrupt" in out and "time limit" in out and "intact" in out
    assert "'intact'" in await call(fault_client, "rlm_exec", code="before")


async def test_code_stuck_in_c_restarts_and_the_context_comes_back(fault_client: Client, sample_repo: Path) -> None:
    """Row: stuck in C (catastrophic regex) -> restart; the message says state was lost; context re-attached."""
    await call(fault_client, "rlm_load_context", source=str(sample_repo))
    await call(fault_client, "rlm_exec", code="lost = 1")
    message = await call_error(
        fault_client, "rlm_exec", code="import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')", timeout_s=0.5
    )
    assert "lost" in message and "context re-attached" in message
    assert "5" in await call(fault_client, "rlm_exec", code="len(files)")
    assert "NameError" in await call(fault_client, "rlm_exec", code="lost")


async def test_memory_bomb_is_contained(backend_name: str, fault_settings: Callable[..., Settings]) -> None:
    """Row: memory bomb -> the limit holds; docker restarts the sandbox, local raises MemoryError; server fine."""
    async with Client(build_server(fault_settings(memory="256m")), raise_exceptions=True) as client:
        await call(client, "rlm_exec", code="x = 1")
        result = await client.call_tool("rlm_exec", {"code": "hog = bytearray(2 * 1024**3)"})
        if backend_name == "docker":
            assert result.is_error and "out of memory" in text_of(result)
        else:
            assert "MemoryError" in text_of(result)
            assert "1" in await call(client, "rlm_exec", code="x")
        assert "ok" in await call(client, "rlm_exec", code="'ok'")


async def test_fork_bomb_hits_the_pids_limit(backend_name: str, fault_settings: Callable[..., Settings]) -> None:
    """Row: fork bomb -> the pids limit holds and the session keeps working."""
    if backend_name == "local":
        pytest.skip("the local backend has no pids limit (documented: it is not isolated)")
    code = (
        "import os, time\npids, refused = [], None\n"
        "try:\n    while len(pids) < 500:\n        pid = os.fork()\n        if pid == 0:\n"
        "            time.sleep(30)\n            os._exit(0)\n        pids.append(pid)\n"
        "except OSError as exc:\n    refused = type(exc).__name__\n"
        "for pid in pids:\n    os.kill(pid, 9)\n    os.waitpid(pid, 0)\n"
        "len(pids) < 64, refused"
    )
    async with Client(build_server(fault_settings(pids=64)), raise_exceptions=True) as client:
        assert "(True, 'BlockingIOError')" in await call(client, "rlm_exec", code=code)
        assert "2" in await call(client, "rlm_exec", code="1 + 1")


async def test_scratch_disk_fill_is_bounded(backend_name: str, fault_settings: Callable[..., Settings]) -> None:
    """Row: scratch disk fill -> bounded by the tmpfs size; a clear 'No space left' error."""
    if backend_name == "local":
        pytest.skip("the local backend's scratch folder is on the host disk (documented: not isolated)")
    code = "with open('/tmp/fill', 'wb') as f:\n    for _ in range(100):\n        f.write(b'x' * 1024 * 1024)"
    async with Client(build_server(fault_settings(scratch="16m")), raise_exceptions=True) as client:
        out = await call(client, "rlm_exec", code=code)
        assert "No space left on device" in out
        assert "ok" in await call(client, "rlm_exec", code="import os\nos.remove('/tmp/fill')\n'ok'")


async def test_reads_outside_the_root_are_refused(fault_client: Client, sample_repo: Path) -> None:
    """Row: read outside the root via .. or a symlink -> refused."""
    (sample_repo / "escape").symlink_to("/etc/passwd")
    await call(fault_client, "rlm_load_context", source=str(sample_repo))
    assert "outside the loaded context" in await call(fault_client, "rlm_exec", code="read('../../etc/passwd')")
    assert "not a file of the loaded context" in await call(fault_client, "rlm_exec", code="read('escape')")
    assert "False" in await call(fault_client, "rlm_exec", code="'escape' in files")


async def test_odd_files_are_loaded_or_skipped_as_documented(fault_client: Client, tmp_path: Path) -> None:
    """Row: non-UTF-8, binary and 100 MB single-line files -> loaded or skipped, listed, no crash."""
    repo = tmp_path / "odd"
    repo.mkdir()
    (repo / "latin1.txt").write_bytes("café olé\n".encode("latin-1"))
    (repo / "blob.bin").write_bytes(bytes(range(256)) * 64)
    with (repo / "huge.txt").open("wb") as huge:
        huge.write(b"y" * 100 * 1024 * 1024)
    manifest = await call(fault_client, "rlm_load_context", source=str(repo))
    assert '"binary"' in manifest and '"too_large"' in manifest
    assert "caf" in await call(fault_client, "rlm_exec", code="read('latin1.txt')")


async def test_llm_faults_stay_in_their_slots(fault_client: Client, openai_server: object) -> None:
    """Row: endpoint 429 / 500 / garbage / hang -> retried or timed out per item; the batch completes."""
    code = (
        "r = llm_batch(['fine', '[[429]] busy', '[[500x9]] broken', '[[garbage]] junk', '[[hang]] stuck'])\n"
        "[type(a).__name__ for a in r]"
    )
    started = time.perf_counter()
    out = await call(fault_client, "rlm_exec", code=code)
    assert "['str', 'str', 'LLMFailure', 'LLMFailure', 'LLMFailure']" in out
    assert time.perf_counter() - started < 30


async def test_two_execs_on_one_session_are_serialised(fault_client: Client) -> None:
    """Row: two concurrent rlm_exec on one session -> one after the other; both complete."""
    await call(fault_client, "rlm_exec", code="import time\nspans = []")
    code = "t0 = time.monotonic()\ntime.sleep(0.4)\nspans.append((t0, time.monotonic()))"
    async with anyio.create_task_group() as tasks:
        for _ in range(2):
            tasks.start_soon(partial(call, fault_client, "rlm_exec", code=code))
    out = await call(fault_client, "rlm_exec", code="(a, b), (c, d) = sorted(spans)\nlen(spans), b <= c")
    assert "(2, True)" in out


async def test_execs_on_two_sessions_run_in_parallel(fault_client: Client) -> None:
    """Row: execs on two sessions at once -> in parallel."""
    for name in ("left", "right"):
        await call(fault_client, "rlm_exec", code="import time", session=name)
    started = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for name in ("left", "right"):
            tasks.start_soon(partial(call, fault_client, "rlm_exec", code="time.sleep(1)", session=name))
    assert time.perf_counter() - started < 1.8


async def test_invalid_tool_arguments_are_tool_errors(fault_client: Client) -> None:
    """Row: invalid tool arguments (wrong types) -> an MCP tool error that names the argument."""
    result = await fault_client.call_tool("rlm_exec", {"code": "1", "timeout_s": "soon"})
    assert result.is_error and "timeout_s" in text_of(result)
    result = await fault_client.call_tool("rlm_query", {"prompt": "x", "into": "not a name"})
    assert result.is_error and "into" in text_of(result)


# The docker SDK leaves the socket of a failed connection to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
async def test_without_a_docker_engine_auto_falls_back_and_docker_explains(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row: Docker engine absent -> auto falls back to local with a notice; explicit docker fails with help."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    async with anyio.create_task_group() as tasks:
        backend, notice = await open_backend(make_settings(backend="auto"), tasks)
        assert backend.name == "local" and notice is not None and "WITHOUT isolation" in notice
        with pytest.raises(SandboxUnavailable, match="--backend local"):
            await open_backend(make_settings(backend="docker"), tasks)
        tasks.cancel_scope.cancel()
    gc.collect()  # here, where its ResourceWarning is expected, not in some later test


@pytest.mark.usefixtures("litellm_clients_closed")
async def test_interrupting_an_exec_cancels_its_outstanding_sub_calls(
    backend_name: str, fault_settings: Callable[..., Settings]
) -> None:
    """An interrupted exec's sub-calls are cancelled: their concurrency slots are free at once."""
    settings = fault_settings(llm_concurrency=2, llm_timeout_s=60.0)
    async with Client(build_server(settings), raise_exceptions=True) as client:
        slow = "llm_batch(['[[sleep=30]] one', '[[sleep=30]] two'])"
        out = await call(client, "rlm_exec", code=slow, timeout_s=0.5)
        assert "KeyboardInterrupt" in out
        with anyio.fail_after(10):  # with both slots still taken this would wait for 30 s
            assert "echo: quick" in await call(client, "rlm_exec", code="llm_query('quick')")
        assert '"calls": 1' in await call(client, "rlm_status")
