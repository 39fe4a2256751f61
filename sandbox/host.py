"""Requests from inside the sandbox to the host (standard library only).

User code (through the helpers) asks the host for what the sandbox must not do itself:
sub-LLM calls, re-partitioning with tree-sitter. The reply arrives on the reader thread.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import wire


class HostError(Exception):
    """The host answered a request with an error (or could not be asked); the message says what to do."""


class HostLink:
    """Sends requests to the host and waits for their replies, interruptibly."""

    def __init__(self, writer: wire.FrameWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: wire.PendingReplies[threading.Event] = wire.PendingReplies(threading.Event)

    def request(self, op: str, **payload: Any) -> Any:
        """Send `op` to the host and return its result; raise HostError if it failed."""
        request_id = next(self._ids)
        pending = self._pending.add(request_id)
        try:
            self._writer.write(wire.request(request_id, op, payload))
            # Waiting on an Event is interruptible: an exec interrupt lands here as KeyboardInterrupt.
            pending.done.wait()
        except wire.WireError as exc:
            raise HostError(f"the request could not be sent: {exc}; send less at once") from None
        except BaseException:
            self._writer.write(wire.notice(wire.Op.CANCEL, {"target": request_id}))
            raise
        finally:
            self._pending.discard(request_id)
        reply = pending.reply
        if reply is None:
            raise HostError("the host went away before answering")
        if not reply.ok:
            assert reply.error is not None
            raise HostError(reply.error.message)
        return reply.result

    def deliver(self, reply: wire.Reply) -> None:
        """Hand a reply from the host to the request waiting for it (a late one is dropped)."""
        self._pending.deliver(reply)
