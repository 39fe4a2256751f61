"""The host's handle on one sandbox REPL: exec with timeouts, interrupts, restarts, variables.

It owns one sandbox process (from any backend) and the channel to it. Timeouts first
interrupt (variables survive); an exec that ignores the interrupt (stuck in C code) gets the
sandbox restarted, and the caller is told plainly that the state is gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

from rlm_mcp._sandbox import wire
from rlm_mcp.backends.base import Backend, LaunchSpec, SandboxProcess
from rlm_mcp.backends.channel import Call, Channel, ChannelClosed, RemoteError, RequestHandler
from rlm_mcp.config import Settings
from rlm_mcp.errors import ProtocolError, SandboxError, SandboxRestarted

log = logging.getLogger(__name__)

RestartHook = Callable[["ReplClient"], Awaitable[str]]
"""Runs after a restart (re-attaching the context); returns a note for the error message."""


ExecResult = wire.ExecReport
"""What one exec produced, already bounded by the sandbox (the wire record itself)."""


class ReplClient:
    """One sandbox REPL. Create with `await ReplClient(...).start()`, end with `close()`."""

    def __init__(
        self,
        backend: Backend,
        spec: LaunchSpec,
        settings: Settings,
        tasks: TaskGroup,
        on_request: RequestHandler,
        on_restart: RestartHook | None = None,
    ) -> None:
        self.backend = backend
        self.spec = spec
        self._settings = settings
        self._tasks = tasks
        self._on_request = on_request
        self._on_restart = on_restart
        self._process: SandboxProcess | None = None
        self._channel: Channel | None = None
        self.restarts = 0
        self.started_in_s = 0.0
        self._restart_lock = anyio.Lock()
        self._restart_note = ""

    async def start(self) -> ReplClient:
        """Launch the sandbox and wait until its runtime answers; returns self."""
        try:
            await self._launch()
        except BaseException:
            await self.close()  # a half-started sandbox is removed, not left to the orphan sweep
            raise
        return self

    @property
    def paths(self) -> dict[Any, str]:
        """Host folder -> where the sandbox sees it."""
        return self._process.paths if self._process else {}

    @property
    def alive(self) -> bool:
        return self._channel is not None and not self._channel.closed.is_set()

    async def _launch(self) -> None:
        started = time.perf_counter()
        process = await self.backend.launch(self.spec)
        channel = Channel(process.stream, self._on_request)
        self._process, self._channel = process, channel
        await self._tasks.start(channel.run)
        with anyio.move_on_after(self._settings.start_timeout_s):
            await _first_of(channel.ready.wait, channel.closed.wait)
        if not channel.ready.is_set():
            detail = process.diagnostics() or await process.exit_reason()
            await process.kill()
            raise SandboxError(
                f"the {self.backend.name} sandbox did not start within {self._settings.start_timeout_s:g}s: "
                f"{detail.strip()[-2000:]}"
            )
        self.started_in_s = time.perf_counter() - started

    async def request(self, op: str, *, timeout_s: float | None = None, **payload: Any) -> Any:
        """One operation of the runtime (wire.Op), answered within its deadline or interrupted.

        A reply that does not come in time interrupts the runtime (variables survive); one that
        still does not come restarts the sandbox, and the caller is told what was lost.
        """
        channel = await self._ensure_alive()
        deadline = self._settings.request_timeout_s if timeout_s is None else timeout_s
        late = False
        try:
            call = await channel.send_request(op, **payload)
            with anyio.move_on_after(deadline):
                return await call.result()
            late = True
            return await self._interrupt_and_wait(channel, call, f"the {op} request got no reply within {deadline:g}s")
        except ChannelClosed:
            await self._restart_and_raise("during this call", channel)
        except RemoteError as exc:
            if late:
                raise SandboxError(
                    f"the {op} request took longer than {deadline:g}s and was interrupted; your variables are intact"
                ) from None
            raise SandboxError(f"{exc.kind}: {exc}") from None
        raise AssertionError("unreachable")

    async def exec(self, code: str, timeout_s: float | None = None, max_chars: int | None = None) -> ExecResult:
        """Run code; on timeout interrupt it, and restart the sandbox if it will not stop."""
        channel = await self._ensure_alive()
        timeout = self._settings.exec_timeout_s if timeout_s is None else timeout_s
        try:
            call = await channel.send_request(wire.Op.EXEC, code=code, max_chars=max_chars)
            with anyio.move_on_after(timeout):
                return _report(await call.result())
            return _report(
                await self._interrupt_and_wait(channel, call, f"the exec hit its {timeout:g}s time limit"),
                timed_out=True,
            )
        except ChannelClosed:
            await self._restart_and_raise("during this exec", channel)
        except anyio.get_cancelled_exc_class():
            # The client gave up on the call: stop the code too, without waiting for it.
            with anyio.CancelScope(shield=True), anyio.move_on_after(1):
                await channel.notify(wire.Op.INTERRUPT)
            raise
        raise AssertionError("unreachable")

    async def _interrupt_and_wait(self, channel: Channel, call: Call, why: str) -> Any:
        """Interrupt what the runtime is doing and wait a grace period for `call`'s reply, else restart."""
        await channel.notify(wire.Op.INTERRUPT)
        grace = self._settings.interrupt_grace_s
        with anyio.move_on_after(grace):
            return await call.result()
        channel.forget(call)
        await self._restart_and_raise(
            f"after {why}, the code ignored the interrupt for {grace:g}s (stuck in C code, e.g. a catastrophic regex)",
            channel,
            killed=True,
        )
        raise AssertionError("unreachable")

    async def ping(self) -> dict[str, Any]:
        """Liveness and whether an exec is running; answered even while one is."""
        result: dict[str, Any] = await self.request(wire.Op.PING)
        return result

    async def _ensure_alive(self) -> Channel:
        """The live channel; a dead sandbox is restarted and reported instead."""
        channel = self._channel
        if channel is None or channel.closed.is_set():
            await self._restart_and_raise("since the last call", channel)
        assert channel is not None
        return channel

    async def _restart_and_raise(self, when: str, failed: Channel | None, killed: bool = False) -> None:
        """Restart once for the failed channel (concurrent callers share it), then say what was lost."""
        # Shielded: a caller that gives up mid-restart must not leave a half-started sandbox behind.
        with anyio.CancelScope(shield=True):
            await self._restart_once(failed, when, killed)
        raise SandboxRestarted(
            f"{self._restart_note}, but every variable from before is lost: recompute what you need, "
            "and keep big intermediate results smaller or in steps."
        )

    async def _restart_once(self, failed: Channel | None, when: str, killed: bool) -> None:
        async with self._restart_lock:
            if self._channel is failed:
                assert self._process is not None
                if killed:
                    reason = "the sandbox was killed to stop it"
                elif failed is not None and failed.broken:
                    reason = f"{failed.broken}, so it was stopped"
                else:
                    reason = await self._process.exit_reason()
                self._restart_note = f"{reason} {when}. A fresh sandbox was started{await self.restart()}"

    async def restart(self) -> str:
        """Replace the sandbox process with a fresh one (all variables are lost); the restart hook's note."""
        if self._process is not None:
            await self._process.kill()
        self.restarts += 1
        log.warning("restarting the %s sandbox of session %r", self.backend.name, self.spec.session)
        await self._launch()
        return await self._on_restart(self) if self._on_restart is not None else ""

    async def close(self) -> None:
        """Ask the runtime to exit, then remove the process whatever it did (after any restart under way)."""
        with anyio.CancelScope(shield=True):
            async with self._restart_lock:
                channel, process = self._channel, self._process
                self._process = self._channel = None
            if process is None:
                return
            if channel is not None and not channel.closed.is_set():
                # A sandbox that died meanwhile cannot be written to: it is killed all the same.
                with anyio.move_on_after(2), contextlib.suppress(ChannelClosed):
                    await channel.send_request(wire.Op.SHUTDOWN)
                    await channel.closed.wait()
            await process.kill()


async def _first_of(*waits: Callable[[], Awaitable[Any]]) -> None:
    """Return as soon as any of the waits returns."""
    async with anyio.create_task_group() as tasks:

        async def wait_then_stop(wait: Callable[[], Awaitable[Any]]) -> None:
            await wait()
            tasks.cancel_scope.cancel()

        for wait in waits:
            tasks.start_soon(wait_then_stop, wait)


def _report(data: Any, timed_out: bool = False) -> ExecResult:
    """The exec reply as a typed record; a malformed one is a ProtocolError, not a crash."""
    try:
        report = wire.ExecReport.from_wire(data)
    except wire.WireError as exc:
        raise ProtocolError(f"the sandbox sent a malformed exec reply ({exc}); run the code again") from None
    return dataclasses.replace(report, timed_out=True) if timed_out else report
