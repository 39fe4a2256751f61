"""Progress that never goes quiet: the last report is repeated while a call says nothing, always increasing."""

from __future__ import annotations

import anyio
import pytest

from rlm_mcp.keepalive import kept_alive

pytestmark = pytest.mark.anyio


async def test_a_quiet_call_repeats_its_last_progress_with_increasing_values() -> None:
    """After a real report, silence brings repeats that say the call is still working, each value above the last."""
    sent: list[tuple[float, float | None, str]] = []
    three_repeats = anyio.Event()

    async def send(value: float, total: float | None, message: str) -> None:
        sent.append((value, total, message))
        if sum("still working" in m for _, _, m in sent) >= 3:
            three_repeats.set()

    async with kept_alive(send, every=0.05) as progress:
        await progress(2, 5, "iteration 2")
        with anyio.fail_after(10):
            await three_repeats.wait()
        await progress(2, 5, "iteration 2 again")  # a repeated count still goes up on the wire
    values = [value for value, _, _ in sent]
    assert values == sorted(set(values)), values
    assert sent[0] == (2.0, 5.0, "iteration 2")
    assert all(total == 5.0 for _, total, _ in sent)
    assert "iteration 2 (still working" in sent[1][2]


async def test_an_error_in_the_call_comes_out_as_itself() -> None:
    """The keep-alive's task group does not wrap the call's own exception in an exception group."""

    async def send(value: float, total: float | None, message: str) -> None:
        pass

    with pytest.raises(KeyError):
        async with kept_alive(send, every=0.05):
            raise KeyError("the call's own error")


async def test_a_client_gone_stops_the_repeats_not_the_call() -> None:
    """When progress cannot be delivered, repeats stop quietly and the call finishes normally."""
    attempts = 0

    async def send(value: float, total: float | None, message: str) -> None:
        nonlocal attempts
        attempts += 1
        if attempts > 1:
            raise anyio.BrokenResourceError

    async with kept_alive(send, every=0.01) as progress:
        await progress(1, 0, "loading")
        with anyio.fail_after(10):
            while attempts < 2:
                await anyio.sleep(0.01)
        await anyio.sleep(0.1)
    assert attempts == 2
