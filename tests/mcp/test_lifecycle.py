"""A session's lifetime against calls queued on it, and output cut once with the exact next call."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error, text_of
from tests.support.docker_engine import our_containers
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio


async def test_calls_queued_behind_a_session_reset_leave_no_orphan_sandbox(
    backend_name: str,
    make_settings: Callable[..., Settings],
    openai_server: OpenAIServer,
    litellm_clients_closed: None,
    sample_repo: Path,
) -> None:
    """A call that waited behind rlm_reset(scope='session') is refused; it starts no sandbox no one owns."""
    settings = make_settings(backend=backend_name, model="openai/m", api_base=f"{openai_server.url}/v1", api_key="t")
    async with Client(build_server(settings), raise_exceptions=True) as client:
        await call(client, "rlm_load_context", source=str(sample_repo), session="race")
        outcomes: dict[str, str] = {}

        async def run(name: str, tool: str, arguments: dict[str, object]) -> None:
            outcomes[name] = text_of(await client.call_tool(tool, {"session": "race", **arguments}))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "busy", "rlm_exec", {"code": "import time; time.sleep(2)"})
            # Each call starts once the one before holds or waits for the session (every task is blocked),
            # so they queue in this order; rlm_status, which takes no turn, then shows all queued behind the exec.
            for name, tool, arguments in (
                ("reset", "rlm_reset", {"scope": "session"}),
                ("queued", "rlm_exec", {"code": "x = 1"}),
                ("queued_query", "rlm_query", {"prompt": "hi"}),
            ):
                await anyio.wait_all_tasks_blocked()
                tasks.start_soon(run, name, tool, arguments)
            await anyio.wait_all_tasks_blocked()
            assert "an exec is running" in await call(client, "rlm_status", session="race")
        assert "session 'race' closed" in outcomes["reset"]
        for queued in ("queued", "queued_query"):
            assert "was closed while this call waited" in outcomes[queued], outcomes[queued]
        status = await call(client, "rlm_status")
        assert "race" not in status
        if backend_name == "docker":
            assert our_containers("race") == []


async def test_a_long_print_is_cut_once_with_its_true_size_and_the_next_call(client: Client) -> None:
    """100k printed characters: one cut, the true count, and the exact slice that shows what follows."""
    out = await call(client, "rlm_exec", code="print('x' * 100_000)", max_output_chars=20_000)
    assert len(out) <= 20_000
    found = re.search(r"showing chars 0-([\d,]+) of 100,001; next: print\(_stdout\[(\d+):(\d+)\]\)", out)
    assert found is not None, out[-400:]
    shown = int(found.group(1).replace(",", ""))
    assert out.startswith("[stdout]\n" + "x" * shown + "\n...") and int(found.group(2)) == shown
    page = await call(client, "rlm_exec", code=f"print(_stdout[{found.group(2)}:{found.group(3)}], end='')")
    assert "[stdout]\n" + "x" * (int(found.group(3)) - shown) in page


async def test_stdout_and_a_value_share_the_cap(client: Client) -> None:
    """Several long parts each get a share of the cap and each names its own next call."""
    out = await call(
        client, "rlm_exec", code="print('o' * 50_000)\nimport sys\nprint('e' * 50_000, file=sys.stderr)\n'v' * 50_000"
    )
    assert len(out) <= 20_000
    for part in ("print(_stdout[", "print(_stderr[", "print(repr(_)["):
        assert part in out, part


async def test_a_reset_reports_exactly_what_it_deleted(client: Client, sample_repo: Path) -> None:
    """rlm_reset(scope='variables') names the variables it deleted, and the context stays."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    await call(client, "rlm_exec", code="a = 1\nb = [2]\ndef f(): pass")
    out = await call(client, "rlm_reset")
    assert "dropped 3 variable(s): a, b, f" in out
    assert "[value]\nFalse" in await call(client, "rlm_exec", code="'a' in globals()")
    assert "[value]\nTrue" in await call(client, "rlm_exec", code="len(files) > 0")


async def test_a_reset_before_any_sandbox_is_refused_clearly(client: Client) -> None:
    """Resetting a session that does not exist names the sessions there are."""
    assert "unknown session 'nope'" in await call_error(client, "rlm_reset", session="nope")
