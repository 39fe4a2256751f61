"""Sub-LLM fan-out benchmark: ``llm_batch`` from a real sandbox REPL, the broker alone, and per-call overhead.

Against the local OpenAI-compatible test server, run in its own process so it does not compete
with the host for the GIL (a real provider is on another machine). That process serves twice:
once answering after 200 ms, once at once.

* fan-out: a session (``rlm_mcp.session``) on the chosen backend runs
  ``r = llm_batch([f"p{i}" for i in range(1000)])`` at concurrency 32: sandbox request frame,
  broker, litellm, reply frame, progress. Ideal: 1000/32 x 0.2 s. The same batch straight through
  the session's broker, in the same round, shows what the sandbox path adds.
* overhead: sequential calls with no server latency; median broker time minus the median raw
  HTTP round trip (httpx, keep-alive) measured in the same run.

The machine may be shared, so the fan-out runs several rounds and reports their median.
Usage: ``python -m bench.fanout [--quick] [--backend docker] [--rounds N]``; ``run(quick)`` returns the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import anyio
import httpx

from rlm_mcp.backends import open_backend
from rlm_mcp.config import Settings
from rlm_mcp.llm import Broker, BrokerConfig, CallFailure
from rlm_mcp.llm.litellm_client import load_litellm
from rlm_mcp.session import Session, Sessions

from .openai_server import OpenAIServer

CONCURRENCY = 32
LATENCY_S = 0.2
MODEL = "openai/test-model"


def _serve(conn: Connection) -> None:
    """Child process: a slow and an instant server, until the parent says stop."""
    slow, instant = OpenAIServer(latency_s=LATENCY_S).start(), OpenAIServer().start()
    conn.send((slow.url, instant.url))
    conn.recv()
    slow.stop()
    instant.stop()


async def _median_ms(calls: int, one: Callable[[int], Awaitable[object]]) -> float:
    """Median wall time of ``calls`` sequential awaits of ``one(i)``, in milliseconds."""
    times = []
    for i in range(calls):
        started = time.perf_counter()
        await one(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _through_llm_batch(session: Session, calls: int) -> tuple[float, int]:
    """Wall time of one ``llm_batch`` of ``calls`` prompts run in the session's REPL, and its failures."""
    code = f'r = llm_batch([f"p{{i}}" for i in range({calls})])'
    started = time.perf_counter()
    result = await session.exec(code)
    wall_s = time.perf_counter() - started
    if result.error is not None or result.timed_out:
        raise RuntimeError(f"the fan-out exec failed: {result.error or 'timed out'}")
    counted = await session.exec("print(sum(isinstance(a, LLMFailure) for a in r), len(r))")
    failures, answers = (int(word) for word in counted.stdout.split())
    assert answers == calls, f"llm_batch returned {answers} answers for {calls} prompts"
    return wall_s, failures


async def _through_broker(broker: Broker, calls: int) -> tuple[float, int]:
    """Wall time of the same batch straight through the broker, and its failures."""
    started = time.perf_counter()
    results = await broker.batch([f"p{i}" for i in range(calls)])
    return time.perf_counter() - started, sum(isinstance(r, CallFailure) for r in results)


async def _fan_out(settings: Settings, calls: int, rounds: int) -> dict[str, Any]:
    """Fan-out rounds through a real session's sandbox and through its broker alone, interleaved."""
    sandbox_s: list[float] = []
    broker_s: list[float] = []
    failures = 0
    progress_events = 0

    async def progress(done: int, total: int, message: str) -> None:
        nonlocal progress_events
        progress_events += 1

    async with anyio.create_task_group() as tasks:
        backend, _ = await open_backend(settings, tasks)
        sessions = Sessions(settings, backend, tasks)
        try:
            session = sessions.get("fanout-bench")
            session.progress = progress
            # One concurrent wave first: the sandbox, litellm's import, its client and a full connection pool.
            await _through_llm_batch(session, CONCURRENCY)
            for _ in range(rounds):
                wall_s, failed = await _through_llm_batch(session, calls)
                sandbox_s.append(wall_s)
                wall_s, failed_alone = await _through_broker(session.broker, calls)
                broker_s.append(wall_s)
                failures += failed + failed_alone
        finally:
            await sessions.close_all()
            await backend.aclose()
            tasks.cancel_scope.cancel()
    ideal_s = calls / CONCURRENCY * LATENCY_S
    wall_s, broker_wall_s = statistics.median(sandbox_s), statistics.median(broker_s)
    return {
        "backend": settings.backend,
        "calls": calls,
        "concurrency": CONCURRENCY,
        "latency_s": LATENCY_S,
        "rounds": rounds,
        "failures": failures,
        "wall_s": round(wall_s, 3),
        "ideal_s": round(ideal_s, 3),
        "ratio": round(wall_s / ideal_s, 3),
        "ratios": [round(s / ideal_s, 3) for s in sandbox_s],
        "broker_wall_s": round(broker_wall_s, 3),
        "broker_ratio": round(broker_wall_s / ideal_s, 3),
        "broker_ratios": [round(s / ideal_s, 3) for s in broker_s],
        "progress_events": progress_events,
    }


async def _overhead(url: str, samples: int) -> dict[str, Any]:
    """Median per-call times with no server latency: raw HTTP, litellm alone, the broker."""
    config = BrokerConfig(model=MODEL, api_base=f"{url}/v1", api_key="test", concurrency=CONCURRENCY, cache=False)
    broker = Broker(config, cache_dir=None)
    await broker.batch([f"warm up {i}" for i in range(CONCURRENCY)])

    async with httpx.AsyncClient() as client:

        async def raw(i: int) -> object:
            body = {"model": "test-model", "messages": [{"role": "user", "content": f"raw {i}"}]}
            return (await client.post(f"{url}/v1/chat/completions", json=body)).json()

        await raw(-1)
        raw_ms = await _median_ms(samples, raw)

    litellm = load_litellm()
    litellm_ms = await _median_ms(
        samples,
        lambda i: litellm.acompletion(
            model=config.model,
            messages=[{"role": "user", "content": f"direct {i}"}],
            api_base=config.api_base,
            api_key=config.api_key,
            num_retries=0,
        ),
    )
    broker_ms = await _median_ms(samples, lambda i: broker.query(f"broker {i}"))
    return {
        "raw_http_ms": round(raw_ms, 3),
        "litellm_ms": round(litellm_ms, 3),
        "broker_ms": round(broker_ms, 3),
        "overhead_ms": round(broker_ms - raw_ms, 3),
    }


async def _measure(slow_url: str, instant_url: str, quick: bool, backend: str, rounds: int) -> dict[str, Any]:
    """All figures, against the servers at ``slow_url`` (200 ms) and ``instant_url``."""
    with tempfile.TemporaryDirectory(prefix="rlm-fanout-") as cache_dir:
        settings = Settings.from_env(
            backend=backend,
            model=MODEL,
            api_base=f"{slow_url}/v1",
            api_key="test",
            llm_concurrency=CONCURRENCY,
            llm_cache=False,
            cache_dir=cache_dir,
            exec_timeout_s=600,
        )
        figures = await _fan_out(settings, calls=200 if quick else 1000, rounds=rounds)
    return {**figures, **await _overhead(instant_url, samples=50 if quick else 300)}


def run(quick: bool = False, *, backend: str = "local", rounds: int | None = None) -> dict[str, Any]:
    """Run the benchmark against servers in a child process and return its figures."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        slow_url, instant_url = parent.recv()
        return anyio.run(_measure, slow_url, instant_url, quick, backend, rounds or (1 if quick else 3))
    finally:
        parent.send("stop")
        server.join(timeout=10)


def table(figures: dict[str, Any]) -> str:
    """The figures as a small Markdown table."""
    ratios = ", ".join(f"{r:.3f}" for r in figures["ratios"])
    broker_ratios = ", ".join(f"{r:.3f}" for r in figures["broker_ratios"])
    rounds = f"median of {figures['rounds']}"
    return "\n".join(
        [
            f"fan-out: {figures['calls']} calls x {figures['latency_s'] * 1000:.0f} ms at concurrency "
            f"{figures['concurrency']}, {figures['backend']} sandbox; ideal {figures['ideal_s']:.2f} s",
            "| path | wall s | ratio to ideal | rounds |",
            "| --- | --- | --- | --- |",
            f"| `llm_batch` in the sandbox | {figures['wall_s']:.2f} | **{figures['ratio']:.3f}x** ({rounds}) "
            f"| {ratios} |",
            f"| broker alone | {figures['broker_wall_s']:.2f} | {figures['broker_ratio']:.3f}x ({rounds}) "
            f"| {broker_ratios} |",
            f"failures {figures['failures']}, progress events {figures['progress_events']}",
            "per-call overhead (median, server latency 0):",
            f"| raw HTTP {figures['raw_http_ms']:.2f} ms | litellm {figures['litellm_ms']:.2f} ms "
            f"| broker {figures['broker_ms']:.2f} ms | **overhead {figures['overhead_ms']:.2f} ms** |",
        ]
    )


def main() -> None:
    """Print the figures as a small table and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 calls and one round instead of 1,000 and three")
    parser.add_argument("--backend", choices=("local", "docker"), default="local", help="sandbox backend")
    parser.add_argument("--rounds", type=int, help="fan-out rounds (the median is reported)")
    args = parser.parse_args()
    figures = run(quick=args.quick, backend=args.backend, rounds=args.rounds)
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
