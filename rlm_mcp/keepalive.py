"""Progress that never goes quiet: a long call reports at least every few seconds, so clients keep waiting.

Clients cut or background a tool call that is silent for too long; the RLM loop and big fan-outs
are often silent between iterations. The last report is repeated (with the time elapsed) when
nothing new was said for KEEPALIVE_S. Progress values only ever increase, as the protocol asks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

from rlm_mcp.session import Progress

log = logging.getLogger(__name__)

KEEPALIVE_S = 8.0
"""Longest silence between two progress notifications (the issue's bound is 10 s)."""
_STEP = 0.001
"""How much a repeated report advances the progress value, so each one is larger than the last."""

Send = Callable[[float, float | None, str], Awaitable[None]]


class _Reporter:
    """Forwards progress, remembering the last report to repeat it when the call goes quiet."""

    def __init__(self, send: Send, every: float) -> None:
        self._send, self._every = send, every
        self._value: float | None = None
        self._total: float | None = None
        self._message = "working"
        self._started = self._said_at = time.monotonic()

    async def report(self, done: int, total: int, message: str) -> None:
        self._total = float(total) if total > 0 else None
        self._message = message
        await self._emit(float(done), message)

    async def _emit(self, done: float, message: str) -> None:
        value = done if self._value is None else max(done, self._value + _STEP)
        self._value, self._said_at = value, time.monotonic()
        await self._send(value, self._total, message)

    async def beat(self) -> None:
        """Repeat the last report whenever `every` seconds pass without one; stop quietly if the client is gone."""
        while True:
            await anyio.sleep(max(self._said_at + self._every - time.monotonic(), 0.01))
            if time.monotonic() - self._said_at < self._every:
                continue
            elapsed = time.monotonic() - self._started
            try:
                await self._emit(self._value or 0.0, f"{self._message} (still working, {elapsed:.0f} s)")
            except Exception as exc:  # the call goes on even if its progress cannot be delivered
                log.debug("progress keep-alive stopped: %r", exc)
                return


@asynccontextmanager
async def kept_alive(send: Send, every: float = KEEPALIVE_S) -> AsyncIterator[Progress]:
    """A Progress for one call that forwards to `send` and repeats itself after `every` quiet seconds."""
    reporter = _Reporter(send, every)
    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(reporter.beat)
        try:
            yield reporter.report
        except Exception as exc:  # raised as itself below, not wrapped in the task group's exception group
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
