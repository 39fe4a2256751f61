"""The MCP Tasks extension (io.modelcontextprotocol/tasks): long tool calls answered with a task to poll.

Codex cuts a tool call at 60 s and Claude Code backgrounds one after 2 minutes, while an rlm_ask
may run for 10. For a client that declares the extension on its request, an eligible call returns
a task handle at once and runs on in the server's own task group; the client polls `tasks/get` for
its status (the call's progress becomes the status message) and, at the end, the tool's result.
Tasks live in memory, are bounded in number (TaskLimits), expire after their time to live, and are named by
unguessable ids, which are the only way to reach them.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import anyio
import anyio.abc
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver.server import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolRequestParams, RequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ConfigDict, Field

from rlm_mcp.session import Progress

log = logging.getLogger(__name__)

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
POLL_INTERVAL_MS = 2_000
_STATUS_CHARS = 300


class TaskLimits(NamedTuple):
    """How many calls run as tasks at once, how many tasks are remembered, and for how long."""

    running: int = 32
    """Calls running as tasks at once; past this, a call is answered the ordinary way."""
    kept: int = 256
    """Tasks remembered at once, finished ones included; the oldest finished are forgotten first."""
    ttl_ms: int = 3_600_000
    """How long a task (and its result) is kept after it is created."""


DEFAULT_LIMITS = TaskLimits()

Status = Literal["working", "completed", "failed", "cancelled"]
Eligible = Callable[[CallToolRequestParams, ServerRequestContext[Any, Any]], bool]

task_progress: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("task_progress", default=None)
"""Inside a call running as a task, where its progress goes (the task's status message) instead of notifications."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Task:
    """One call running (or run) as a task, and its wire view."""

    task_id: str
    ttl_ms: int
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    born: float = field(default_factory=time.monotonic)
    status: Status = "working"
    message: str = "started"
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)

    def view(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "statusMessage": self.message,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.updated_at,
            "ttlMs": self.ttl_ms,
        }
        if self.status == "working":
            shown["pollIntervalMs"] = POLL_INTERVAL_MS
        if self.result is not None:
            shown["result"] = self.result
        if self.error is not None:
            shown["error"] = self.error
        return shown

    def finish(self, status: Status, message: str, **payload: dict[str, Any]) -> None:
        if self.status == "working":
            self.status, self.message, self.updated_at = status, message, _now()
            self.result, self.error = payload.get("result"), payload.get("error")

    async def progress(self, done: int, total: int, message: str) -> None:
        counted = f" ({done}/{total})" if total > 0 else ""
        self.message, self.updated_at = (message + counted)[:_STATUS_CHARS], _now()

    @property
    def expired(self) -> bool:
        return (time.monotonic() - self.born) * 1000 > self.ttl_ms


class TaskIdParams(RequestParams):
    """The params of tasks/get and tasks/cancel."""

    model_config = ConfigDict(populate_by_name=True)
    task_id: str = Field(alias="taskId", max_length=100)


class UpdateTaskParams(TaskIdParams):
    """The params of tasks/update; no task of ours ever waits for input, so they are acknowledged and ignored."""

    input_responses: dict[str, Any] = Field(alias="inputResponses", default_factory=dict)


class TasksExtension(Extension):
    """Runs eligible tools/call requests as tasks for clients that declare the extension on the request."""

    identifier = TASKS_EXTENSION

    def __init__(self, eligible: Eligible, limits: TaskLimits = DEFAULT_LIMITS) -> None:
        self._eligible, self._limits = eligible, limits
        self._tasks: dict[str, _Task] = {}
        self._group: anyio.abc.TaskGroup | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The server's lifetime: tasks run in this task group and are cancelled when it ends."""
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield
            finally:
                self._group = None
                group.cancel_scope.cancel()

    def methods(self) -> list[MethodBinding]:
        versions = frozenset(MODERN_PROTOCOL_VERSIONS)
        return [
            MethodBinding("tasks/get", TaskIdParams, self._get, versions),
            MethodBinding("tasks/update", UpdateTaskParams, self._update, versions),
            MethodBinding("tasks/cancel", TaskIdParams, self._cancel, versions),
        ]

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if not self._offered(params, ctx):
            return await call_next(ctx)
        task = _Task(secrets.token_urlsafe(18), self._limits.ttl_ms)
        self._tasks[task.task_id] = task
        assert self._group is not None
        self._group.start_soon(self._run, task, ctx, call_next)
        log.info("tools/call %s runs as task %s", params.name, task.task_id[:6])
        return {"resultType": "task", **task.view()}

    def _offered(self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any]) -> bool:
        """A task only for a modern client that declared the extension on this request, with room, when eligible."""
        self._forget_old()
        if self._group is None or ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            return False
        capabilities = ctx.session.client_capabilities
        declared = capabilities.extensions if capabilities else None
        running = sum(task.status == "working" for task in self._tasks.values())
        return TASKS_EXTENSION in (declared or {}) and running < self._limits.running and self._eligible(params, ctx)

    async def _run(self, task: _Task, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> None:
        task_progress.set(task.progress)
        with task.scope:
            try:
                result = _dumped(await call_next(ctx))
            except MCPError as exc:
                task.finish("failed", exc.error.message[:_STATUS_CHARS], error=exc.error.model_dump(exclude_none=True))
            except Exception as exc:  # a task's failure is its own: the server and other tasks go on
                log.exception("task %s failed", task.task_id[:6])
                message = f"the call failed: {type(exc).__name__}"
                task.finish("failed", message, error={"code": INTERNAL_ERROR, "message": message})
            else:
                task.finish("completed", "done", result=result)
        task.finish("cancelled", "cancelled by tasks/cancel")

    def _task(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> _Task:
        require_client_extension(ctx, TASKS_EXTENSION)
        task = self._tasks.get(task_id)
        if task is None or task.expired:
            raise MCPError(code=INVALID_PARAMS, message=f"no task {task_id!r}: it never existed, or it expired")
        return task

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        return self._task(ctx, params.task_id).view()

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateTaskParams) -> dict[str, Any]:
        self._task(ctx, params.task_id)
        return {}

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        self._task(ctx, params.task_id).scope.cancel()
        return {}

    def _forget_old(self) -> None:
        """Drop expired tasks, then the oldest finished ones while more than the limit are remembered."""
        for task_id in [task_id for task_id, task in self._tasks.items() if task.expired]:
            self._tasks.pop(task_id).scope.cancel()
        finished = [task_id for task_id, task in self._tasks.items() if task.status != "working"]
        for task_id in finished[: max(len(self._tasks) - self._limits.kept + 1, 0)]:
            del self._tasks[task_id]


def _dumped(result: HandlerResult) -> dict[str, Any]:
    """The tool's result as the client would have received it directly."""
    if isinstance(result, BaseModel):
        result = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    return {"resultType": "complete", **(result or {})}
