"""Spacing sub-call starts a few milliseconds apart, so a batch never reaches litellm as one burst.

litellm spends ~4 ms of event-loop time on each call, in several steps with awaits between them
(one of them a hop to a worker thread). Started on the same tick, N calls interleave those steps:
every request leaves only once all N are prepared, the answers come back together, and the burst
repeats on every wave, each call waiting for all the others. Started one per interval, each call is
prepared and sent on its own and the answers arrive spread out. With 1,000 calls at concurrency 32
against a fixed 200 ms server this took the wall time from ~1.22x to ~1.08x the ideal
(``bench/fanout.py``); the cost is a few milliseconds before a call that starts right after another.
"""

from __future__ import annotations

import anyio


class StartPacer:
    """Lets one call start per ``interval_s``; calls that come sooner wait for their turn, in order."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next_start = -float("inf")

    async def wait_turn(self) -> None:
        """Return when this call may start; a call arriving after a quiet spell starts at once."""
        now = anyio.current_time()
        start = max(now, self._next_start)
        # The turn is taken before sleeping, so callers arriving meanwhile queue up behind it.
        self._next_start = start + self.interval_s
        if start > now:
            await anyio.sleep(start - now)
