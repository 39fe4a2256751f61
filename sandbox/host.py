"""Requests from inside the sandbox to the host (standard library only).

User code (through the helpers) asks the host for things the sandbox must not do itself:
sub-LLM calls, re-partitioning with tree-sitter. The reply arrives on the reader thread.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from protocol import FrameWriter


class HostError(Exception):
    """The host answered a request with an error; the message says what to do."""


class _Pending:
    __slots__ = ("done", "reply")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: dict[str, Any] = {}


class HostLink:
    """Sends requests to the host and waits for their replies, interruptibly."""

    def __init__(self, writer: FrameWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()

    def request(self, op: str, **payload: Any) -> Any:
        """Send `op` to the host and return its result; raise HostError if it failed."""
        request_id = next(self._ids)
        pending = _Pending()
        with self._lock:
            self._pending[request_id] = pending
        try:
            self._writer.write({"id": request_id, "op": op, **payload})
            # Waiting on an Event is interruptible: an exec interrupt lands here as KeyboardInterrupt.
            pending.done.wait()
        except BaseException:
            self._writer.write({"op": "cancel", "target": request_id})
            raise
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
        reply = pending.reply
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise HostError(error.get("message", "the host reported an unknown error"))
        return reply.get("result")

    def notify(self, op: str, **payload: Any) -> None:
        """Send a message the host does not answer (progress, events)."""
        self._writer.write({"op": op, **payload})

    def deliver(self, reply: dict[str, Any]) -> None:
        """Hand a reply frame from the host to the request waiting for it."""
        with self._lock:
            pending = self._pending.get(reply.get("re", -1))
        if pending is not None:
            pending.reply = reply
            pending.done.set()
