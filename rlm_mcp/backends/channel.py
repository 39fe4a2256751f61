"""The framed, multiplexed channel to a sandbox runtime, host side.

Same format as sandbox/protocol.py: a 4-byte big-endian length, then a UTF-8 JSON object.
Requests in both directions carry an id; replies carry {"re": id}. Requests from the
sandbox (sub-LLM calls, re-partitioning) are served concurrently while an exec is running.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import ByteStream, TaskGroup, TaskStatus
from anyio.streams.buffered import BufferedByteReceiveStream

from rlm_mcp.errors import ProtocolError, RLMError, SandboxError

log = logging.getLogger(__name__)

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 1024 * 1024
_DISCARD_CHUNK = 1 << 20

RequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""Serves one request from the sandbox: (op, payload) -> JSON-able result, or raises."""


class ChannelClosed(SandboxError):
    """The sandbox's end of the channel is gone (the process exited or was killed)."""


class RemoteError(RLMError):
    """The sandbox answered a request with an error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Pending:
    __slots__ = ("done", "reply")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.reply: dict[str, Any] | None = None


class Call:
    """A request in flight: `result()` may be cancelled (a timeout) and awaited again."""

    def __init__(self, channel: Channel, request_id: int, pending: _Pending) -> None:
        self._channel = channel
        self._id = request_id
        self._pending = pending

    async def result(self) -> Any:
        await self._pending.done.wait()
        self._channel._pending.pop(self._id, None)
        reply = self._pending.reply
        if reply is None:
            raise ChannelClosed("the sandbox closed its channel before answering")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise RemoteError(str(error.get("type", "Error")), str(error.get("message", "unknown error")))
        return reply.get("result")


def encode_frame(message: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Serialise one message; refuse one the other end would have to drop (lone surrogates become '?')."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    if len(body) > max_bytes:
        raise ProtocolError(
            f"message of {len(body):,} bytes exceeds the {max_bytes:,}-byte frame limit; send less at once"
        )
    return HEADER.pack(len(body)) + body


class Channel:
    """Request/reply over one byte stream; `run` must be running for anything to arrive."""

    def __init__(self, stream: ByteStream, on_request: RequestHandler, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._stream = stream
        self._reader = BufferedByteReceiveStream(stream)
        self._on_request = on_request
        self._max_frame = max_frame
        self._send_lock = anyio.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._served: dict[Any, anyio.CancelScope] = {}
        self.ready = anyio.Event()
        self.ready_info: dict[str, Any] = {}
        self.closed = anyio.Event()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Read frames until the stream ends, dispatching replies and serving requests."""
        try:
            async with anyio.create_task_group() as tasks:
                task_status.started()
                while (message := await self._read_message()) is not None:
                    self._dispatch(message, tasks)
                tasks.cancel_scope.cancel()
        finally:
            self.closed.set()
            for pending in self._pending.values():
                pending.done.set()

    async def request(self, op: str, **payload: Any) -> Any:
        """Send a request and wait for its reply's result; raise RemoteError or ChannelClosed."""
        call = await self.send_request(op, **payload)
        return await call.result()

    async def send_request(self, op: str, **payload: Any) -> Call:
        """Send a request; its reply can then be awaited, given up on and awaited again."""
        request_id = next(self._ids)
        frame = encode_frame({"id": request_id, "op": op, **payload}, self._max_frame)
        pending = self._pending[request_id] = _Pending()
        try:
            await self._send(frame)
        except BaseException:
            del self._pending[request_id]
            raise
        return Call(self, request_id, pending)

    async def notify(self, op: str, **payload: Any) -> None:
        """Send a message that gets no reply (interrupt, shutdown)."""
        await self._send(encode_frame({"op": op, **payload}, self._max_frame))

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

    async def _read_message(self) -> dict[str, Any] | None:
        while True:
            try:
                (size,) = HEADER.unpack(await self._reader.receive_exactly(HEADER.size))
                if size > self._max_frame:
                    await self._discard(size)
                    log.error("dropped a %d-byte frame from the sandbox (limit %d)", size, self._max_frame)
                    continue
                body = await self._reader.receive_exactly(size)
            except (
                anyio.EndOfStream,
                anyio.IncompleteRead,
                anyio.BrokenResourceError,
                anyio.ClosedResourceError,
            ):
                return None
            try:
                message = json.loads(body)
            except ValueError:
                log.error("dropped a frame from the sandbox that is not JSON: %r", body[:200])
                continue
            if isinstance(message, dict):
                return message
            log.error("dropped a frame from the sandbox that is not an object: %r", body[:200])

    async def _discard(self, size: int) -> None:
        while size > 0:
            chunk = await self._reader.receive(min(size, _DISCARD_CHUNK))
            size -= len(chunk)

    def _dispatch(self, message: dict[str, Any], tasks: TaskGroup) -> None:
        if "re" in message:
            pending = self._pending.get(message["re"])
            if pending is not None:
                pending.reply = message
                pending.done.set()
            elif not message.get("ok"):
                log.error("sandbox reported: %s", (message.get("error") or {}).get("message"))
            return
        op = str(message.pop("op", ""))
        if op == "ready":
            self.ready_info = message
            self.ready.set()
        elif op == "cancel":
            scope = self._served.get(message.get("target"))
            if scope is not None:
                scope.cancel()
        else:
            tasks.start_soon(self._serve, message.pop("id", None), op, message)

    async def _serve(self, request_id: Any, op: str, payload: dict[str, Any]) -> None:
        reply: dict[str, Any] | None = None
        with anyio.CancelScope() as scope:
            if request_id is not None:
                self._served[request_id] = scope
            try:
                reply = {"re": request_id, "ok": True, "result": await self._on_request(op, payload)}
            except RLMError as exc:
                reply = {
                    "re": request_id,
                    "ok": False,
                    "error": {"type": type(exc).__name__, "message": str(exc)},
                }
            except Exception as exc:
                log.exception("serving %r for the sandbox failed", op)
                reply = {
                    "re": request_id,
                    "ok": False,
                    "error": {"type": type(exc).__name__, "message": str(exc)},
                }
            finally:
                self._served.pop(request_id, None)
        if scope.cancelled_caught:
            reply = {"re": request_id, "ok": False, "error": {"type": "Cancelled", "message": "cancelled"}}
        if request_id is not None and reply is not None:
            with contextlib.suppress(ChannelClosed):
                await self._send(encode_frame(reply, self._max_frame))
