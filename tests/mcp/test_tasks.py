"""The MCP Tasks extension: long calls answered with a task handle that a declaring client polls or cancels."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import anyio
import pytest
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, Request, Result
from pydantic import ConfigDict, TypeAdapter

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from rlm_mcp.tasks import TASKS_EXTENSION, TaskLimits
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio

_ANY = TypeAdapter(dict[str, Any])


class TaskHandle(Result):
    """A CreateTaskResult as the client receives it."""

    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"]

    @property
    def task_id(self) -> str:
        return str((self.model_extra or {})["taskId"])


class _TaskRequest(Request[dict[str, Any], str]):
    """tasks/get or tasks/cancel, which the SDK's client has no method for."""

    method: str


async def task_request(session: ClientSession, method: str, task_id: str) -> dict[str, Any]:
    return await session.send_request(_TaskRequest(method=method, params={"taskId": task_id}), _ANY)


class PollingTasks(ClientExtension):
    """A client side of the extension: resolves a task handle by polling tasks/get, keeping every view."""

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self.views: list[dict[str, Any]] = []

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=TaskHandle, resolve=self._resolve)]

    async def _resolve(self, handle: TaskHandle, ctx: ClaimContext) -> CallToolResult:
        while True:
            view = await task_request(ctx.session, "tasks/get", handle.task_id)
            self.views.append(view)
            if view["status"] != "working":
                assert view["status"] == "completed", view
                return CallToolResult.model_validate(view["result"])
            await anyio.sleep(0.05)


@pytest.fixture
def slow_server() -> AsyncIterator[OpenAIServer]:
    server = OpenAIServer(latency_s=0.3).start()
    yield server
    server.stop()


@pytest.fixture
def task_settings(make_settings: Callable[..., Settings], slow_server: OpenAIServer) -> Settings:
    return make_settings(model="openai/test-model", api_base=f"{slow_server.url}/v1", api_key="k", backend="local")


async def _loaded(client: Client) -> None:
    result = await client.call_tool("rlm_load_context", {"source": "alpha\nbeta\ngamma\n", "kind": "text"})
    assert not result.is_error


async def test_a_fan_out_runs_as_a_task_for_a_client_that_declares_the_extension(
    litellm_clients_closed: None, task_settings: Settings
) -> None:
    """rlm_query over items answers with a task; polling shows it working, then completed with the usual result."""
    tasks = PollingTasks()
    async with Client(build_server(task_settings), raise_exceptions=True, extensions=[tasks]) as client:
        await _loaded(client)
        result = await client.call_tool("rlm_query", {"prompt": "say {{item}}", "over": "['a', 'b', 'c']"})
    assert not result.is_error
    assert result.structured_content is not None and result.structured_content["items"] == 3
    assert "echo: say b" in result.structured_content["output"]
    assert tasks.views and tasks.views[0]["status"] == "working" and tasks.views[-1]["status"] == "completed"
    assert all(view["pollIntervalMs"] > 0 for view in tasks.views if view["status"] == "working")


async def test_a_client_without_the_extension_gets_results_directly_and_cannot_poll(
    litellm_clients_closed: None, task_settings: Settings
) -> None:
    """No task is made for a client that did not declare the extension, and tasks/get is refused with -32021."""
    async with Client(build_server(task_settings), raise_exceptions=True) as client:
        await _loaded(client)
        result = await client.call_tool("rlm_query", {"prompt": "say {{item}}", "over": "['a']"})
        assert result.structured_content is not None and result.structured_content["items"] == 1
        with pytest.raises(MCPError) as refused:
            await task_request(client.session, "tasks/get", "anything")
    assert refused.value.code == -32021


async def test_quick_tools_never_run_as_tasks_and_unknown_tasks_are_invalid(
    litellm_clients_closed: None, task_settings: Settings
) -> None:
    """rlm_exec answers directly even for a declaring client; a task id that never existed is -32602."""
    tasks = PollingTasks()
    async with Client(build_server(task_settings), raise_exceptions=True, extensions=[tasks]) as client:
        await _loaded(client)
        result = await client.call_tool("rlm_exec", {"code": "len(context)"})
        assert result.structured_content is not None and result.structured_content["ok"] is True
        with pytest.raises(MCPError) as unknown:
            await task_request(client.session, "tasks/get", "no-such-task")
    assert tasks.views == []
    assert unknown.value.code == -32602 and "no task" in unknown.value.error.message


async def test_cancelling_a_task_stops_its_calls_and_the_session_goes_on(
    litellm_clients_closed: None, task_settings: Settings, slow_server: OpenAIServer
) -> None:
    """tasks/cancel ends a fan-out whose calls hang: the task says cancelled and the REPL still runs code."""
    async with Client(build_server(task_settings), raise_exceptions=True, extensions=[PollingTasks()]) as client:
        await _loaded(client)
        handle = await client.session.call_tool(
            "rlm_query", {"prompt": "[[hang]] {{item}}", "over": "['a', 'b']"}, allow_claimed=True
        )
        assert isinstance(handle, TaskHandle)
        with anyio.fail_after(60):
            while slow_server.requests < 2:  # both calls are in flight before the cancel
                await anyio.sleep(0.05)
        acknowledged = await task_request(client.session, "tasks/cancel", handle.task_id)
        assert "status" not in acknowledged  # an empty acknowledgement; the status comes from tasks/get
        view = await task_request(client.session, "tasks/get", handle.task_id)
        with anyio.fail_after(60):
            while view["status"] == "working":
                await anyio.sleep(0.05)
                view = await task_request(client.session, "tasks/get", handle.task_id)
        after = await client.call_tool("rlm_exec", {"code": "print(len(context))"})
    assert view["status"] == "cancelled" and "result" not in view
    assert after.structured_content is not None and after.structured_content["ok"] is True


async def test_past_the_running_limit_a_call_is_answered_directly(
    litellm_clients_closed: None, task_settings: Settings
) -> None:
    """With one task running (its calls hang), the next eligible call, in another session, is answered at once."""
    server = build_server(task_settings, task_limits=TaskLimits(running=1))
    async with Client(server, raise_exceptions=True, extensions=[PollingTasks()]) as client:
        await _loaded(client)
        other = {"source": "delta\n", "kind": "text", "session": "other"}
        assert not (await client.call_tool("rlm_load_context", other)).is_error
        hanging = {"prompt": "[[hang]] {{item}}", "over": "['a']"}
        first = await client.session.call_tool("rlm_query", hanging, allow_claimed=True)
        assert isinstance(first, TaskHandle)
        quick = {"prompt": "say {{item}}", "over": "['b']", "session": "other"}
        second = await client.session.call_tool("rlm_query", quick, allow_claimed=True)
        await task_request(client.session, "tasks/cancel", first.task_id)
    assert isinstance(second, CallToolResult) and second.structured_content is not None
    assert "echo: say b" in second.structured_content["output"]


async def test_old_tasks_are_forgotten_past_the_kept_limit_and_after_their_time_to_live(
    litellm_clients_closed: None, task_settings: Settings
) -> None:
    """With room for two, the first of three finished tasks is forgotten; a task past its TTL is gone (-32602)."""
    tasks = PollingTasks()
    async with Client(build_server(task_settings, task_limits=TaskLimits(kept=2)), extensions=[tasks]) as client:
        await _loaded(client)
        for item in "abc":
            await client.call_tool("rlm_query", {"prompt": "say {{item}}", "over": f"[{item!r}]"})
        ids = list(dict.fromkeys(view["taskId"] for view in tasks.views))
        with pytest.raises(MCPError) as forgotten:
            await task_request(client.session, "tasks/get", ids[0])
        assert (await task_request(client.session, "tasks/get", ids[2]))["status"] == "completed"
    assert len(ids) == 3 and forgotten.value.code == -32602
    async with Client(build_server(task_settings, task_limits=TaskLimits(ttl_ms=1)), extensions=[tasks]) as client:
        await _loaded(client)
        handle = await client.session.call_tool(
            "rlm_query", {"prompt": "x {{item}}", "over": "['a']"}, allow_claimed=True
        )
        assert isinstance(handle, TaskHandle)
        await anyio.sleep(0.01)  # past the 1 ms time to live
        with pytest.raises(MCPError) as expired:
            await task_request(client.session, "tasks/get", handle.task_id)
    assert expired.value.code == -32602 and "expired" in expired.value.error.message
