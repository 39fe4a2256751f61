"""Sub-call starts through litellm are spaced out: a batch reaches it as a stream, not as one burst."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from rlm_mcp.llm import Broker, Completion
from rlm_mcp.llm.pacing import StartPacer

pytestmark = pytest.mark.anyio

# Timers may fire a hair early or late; the spacing itself is what is checked.
SLACK_S = 0.002


async def test_calls_arriving_together_start_one_interval_apart() -> None:
    """Four calls asking on the same tick start in order, the i-th no sooner than i intervals after the first.

    Measured from the first start, not between neighbours: a wake-up made late by a busy machine must
    not make the next, punctual one look early.
    """
    pacer = StartPacer(0.05)
    starts: list[float] = []

    async def start() -> None:
        await pacer.wait_turn()
        starts.append(anyio.current_time())

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(start)
    assert len(starts) == 4 and starts == sorted(starts)
    assert all(start - starts[0] >= turn * 0.05 - SLACK_S for turn, start in enumerate(starts))


async def test_a_call_after_a_quiet_spell_starts_at_once() -> None:
    """Pacing only spaces calls that come close together: a lone call never waits."""
    pacer = StartPacer(0.05)
    await pacer.wait_turn()
    await anyio.sleep(0.06)
    asked = anyio.current_time()
    await pacer.wait_turn()
    assert anyio.current_time() - asked < SLACK_S


async def test_zero_interval_never_waits() -> None:
    """``start_interval_s=0`` turns pacing off."""
    pacer = StartPacer(0)
    asked = anyio.current_time()
    for _ in range(100):
        await pacer.wait_turn()
    assert anyio.current_time() - asked < SLACK_S


async def test_batch_requests_are_spaced_by_the_start_interval(make_broker: Callable[..., Broker]) -> None:
    """A broker paces its calls through litellm: four prompts take at least three intervals to all start."""
    broker = make_broker(cache=False, start_interval_s=0.05, direct=False)
    started = anyio.current_time()
    results = await broker.batch([f"paced {i}" for i in range(4)])
    assert anyio.current_time() - started >= 3 * 0.05 - SLACK_S
    assert all(isinstance(r, Completion) for r in results)
