"""The framed, multiplexed channel to a sandbox runtime, host side of the wire contract.

Frames, messages and limits are those of `rlm_mcp._sandbox.wire`, which the runtime imports too.
Everything the sandbox sends is hostile input: a frame that does not parse is dropped and logged,
a request is served in this channel's own task group with a bounded number in flight, and no
failure of one sandbox's channel ever reaches the task group that other sessions share.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import ByteStream, TaskGroup, TaskStatus
from anyio.streams.buffered import BufferedByteReceiveStream

from rlm_mcp._sandbox import wire
from rlm_mcp.errors import ProtocolError, RLMError, SandboxError

log = logging.getLogger(__name__)

RequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""Serves one request from the sandbox: (op, payload) -> JSON-able result, or raises RLMError."""

MAX_SERVED = 64
"""Requests from one sandbox served at once; more are refused, so a flood holds no host memory."""
_LOGGED_PROBLEMS = 20


class ChannelClosed(SandboxError):
    """The sandbox's end of the channel is gone (the process exited or was killed)."""


class RemoteError(SandboxError):
    """The sandbox answered a request with an error; `kind` is its type name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Call:
    """A request in flight: `result()` may be cancelled (a timeout) and awaited again."""

    def __init__(self, request_id: int, pending: wire.Pending[anyio.Event]) -> None:
        self.id = request_id
        self._pending = pending

    async def result(self) -> Any:
        await self._pending.done.wait()
        reply = self._pending.reply
        if reply is None:
            raise ChannelClosed("the sandbox closed its channel before answering")
        if not reply.ok:
            assert reply.error is not None
            raise RemoteError(reply.error.type, reply.error.message)
        return reply.result


class Channel:
    """Request/reply over one byte stream; `run` must be running for anything to arrive."""

    def __init__(self, stream: ByteStream, on_request: RequestHandler) -> None:
        self._stream = stream
        self._reader = BufferedByteReceiveStream(stream)
        self._on_request = on_request
        self._send_lock = anyio.Lock()
        self._ids = itertools.count(1)
        self._pending: wire.PendingReplies[anyio.Event] = wire.PendingReplies(anyio.Event)
        self._served: dict[int, anyio.CancelScope] = {}
        self._refusing = 0
        self._problems = 0
        self.broken = ""
        """Why the channel gave up on a stream it can no longer trust (empty while it is fine)."""
        self.ready = anyio.Event()
        self.ready_info: dict[str, Any] = {}
        self.closed = anyio.Event()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Read frames until the stream ends; never raises (a broken channel just closes)."""
        try:
            async with anyio.create_task_group() as tasks:
                task_status.started()
                while (message := await self._read_message()) is not None:
                    self._dispatch(message, tasks)
                tasks.cancel_scope.cancel()
        except Exception:
            log.exception("the channel to a sandbox failed; closing it (that session restarts on its next call)")
        finally:
            self.closed.set()
            self._pending.close()

    async def request(self, op: str, **payload: Any) -> Any:
        """Send a request and wait for its reply's result; raise RemoteError or ChannelClosed."""
        call = await self.send_request(op, **payload)
        return await call.result()

    async def send_request(self, op: str, **payload: Any) -> Call:
        """Send a request; its reply can then be awaited, given up on and awaited again."""
        request_id = next(self._ids)
        frame = _encoded(wire.request(request_id, op, payload))
        pending = self._pending.add(request_id)
        try:
            await self._send(frame)
        except BaseException:
            self._pending.discard(request_id)
            raise
        return Call(request_id, pending)

    def forget(self, call: Call) -> None:
        """Stop waiting for `call`'s reply (it was given up on); a late reply is then dropped."""
        self._pending.discard(call.id)

    async def notify(self, op: str, **payload: Any) -> None:
        """Send a message that gets no reply (interrupt)."""
        await self._send(_encoded(wire.notice(op, payload)))

    async def send_raw(self, data: bytes) -> None:
        """Write bytes as they are: only for testing how the runtime copes with bad frames."""
        await self._send(data)

    async def _send(self, data: bytes) -> None:
        if self.closed.is_set():
            raise ChannelClosed("the sandbox channel is closed")
        try:
            async with self._send_lock:
                await self._stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise ChannelClosed(f"cannot write to the sandbox: {exc}") from None

    async def _read_message(self) -> wire.Message | None:
        """The next well-formed message; a bad frame is dropped (and logged) and reading goes on."""
        while True:
            try:
                (size,) = wire.HEADER.unpack(await self._reader.receive_exactly(wire.HEADER.size))
                if size > wire.MAX_FRAME_BYTES:
                    # Skipping gigabytes would swallow every honest frame behind them: give up on the stream.
                    self.broken = (
                        f"the sandbox sent a {size:,}-byte frame, over the {wire.MAX_FRAME_BYTES:,}-byte limit"
                    )
                    self._problem(self.broken)
                    return None
                body = await self._reader.receive_exactly(size)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return None
            try:
                return wire.parse(wire.decode(body))
            except wire.WireError as exc:
                self._problem(f"dropped a frame: {exc}")

    def _problem(self, text: str) -> None:
        """Log what the sandbox did wrong, without letting a flood of bad frames flood the log."""
        self._problems += 1
        if self._problems <= _LOGGED_PROBLEMS or self._problems % 1000 == 0:
            log.warning("sandbox channel: %s (%d so far)", text, self._problems)

    def _dispatch(self, message: wire.Message, tasks: TaskGroup) -> None:
        if isinstance(message, wire.Reply):
            if not self._pending.deliver(message) and not message.ok and message.error is not None:
                self._problem(f"the sandbox reported: {message.error.message[:500]}")
        elif isinstance(message, wire.Notice):
            self._notice(message)
        elif message.id in self._served:
            self._problem(f"dropped a request reusing the id {message.id} of one still being served")
        elif len(self._served) >= MAX_SERVED:
            if self._refusing < MAX_SERVED:
                self._refusing += 1
                tasks.start_soon(self._refuse, message.id, f"more than {MAX_SERVED} requests in flight; wait for some")
            else:  # refusals pile up faster than they are sent: drop, so a flood holds no host memory
                self._problem("dropped a request: too many in flight and too many refusals pending")
        else:
            scope = self._served[message.id] = anyio.CancelScope()
            tasks.start_soon(self._serve, message, scope)

    def _notice(self, message: wire.Notice) -> None:
        if message.op == wire.Op.READY and not self.ready.is_set():
            self.ready_info = {key: str(value)[:100] for key, value in message.payload.items()}
            self.ready.set()
        elif message.op == wire.Op.CANCEL:
            target = message.payload.get("target")
            scope = self._served.get(target) if isinstance(target, int) else None
            if scope is not None:
                scope.cancel()
        else:
            self._problem(f"ignored an unexpected {message.op[:64]!r} notice")

    async def _serve(self, request: wire.Request, scope: anyio.CancelScope) -> None:
        reply: dict[str, Any]
        with scope:
            try:
                reply = wire.reply_ok(request.id, await self._on_request(request.op, request.payload))
            except RLMError as exc:
                reply = wire.reply_error(request.id, type(exc).__name__, str(exc))
            except Exception as exc:
                log.exception("serving %r for the sandbox failed", request.op[:64])
                reply = wire.reply_error(request.id, type(exc).__name__, f"the host failed to serve it: {exc}")
        self._served.pop(request.id, None)
        if scope.cancelled_caught:
            reply = wire.reply_error(request.id, "Cancelled", "cancelled")
        try:
            frame = wire.encode(reply)
        except wire.FrameTooLarge as exc:
            frame = _encoded(
                wire.reply_error(
                    request.id,
                    "ReplyTooLarge",
                    f"the host's answer to {request.op!r} is too large to send ({exc}); ask for less at once",
                )
            )
        with contextlib.suppress(ChannelClosed):
            await self._send(frame)

    async def _refuse(self, request_id: int, why: str) -> None:
        try:
            with contextlib.suppress(ChannelClosed):
                await self._send(_encoded(wire.reply_error(request_id, "Busy", why)))
        finally:
            self._refusing -= 1


def _encoded(message: dict[str, Any]) -> bytes:
    """A frame the host builds itself; one it cannot send is a ProtocolError that says how big it was."""
    try:
        return wire.encode(message)
    except wire.WireError as exc:
        raise ProtocolError(f"{exc}; send less at once") from None
