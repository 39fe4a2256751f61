"""Sub-LLM fan-out benchmark: the broker's batch throughput and its per-call overhead.

Against the local OpenAI-compatible test server, run in its own process so it does not compete
with the broker for the GIL (a real provider is on another machine):

* throughput: 1,000 calls answered after 200 ms each, concurrency 32; ideal 1000/32 x 0.2 s.
* overhead: sequential calls with no server latency; median broker time minus the median raw
  HTTP round trip (httpx, keep-alive) measured in the same run.

Usage: ``python bench/fanout.py [--quick]``; ``run(quick)`` returns the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlm_mcp.llm import Broker, BrokerConfig, CallFailure
from rlm_mcp.llm.litellm_client import load_litellm
from tests.support.openai_server import OpenAIServer

CONCURRENCY = 32
LATENCY_S = 0.2


def _serve(conn: Connection) -> None:
    """Child process: serve until the parent says stop."""
    server = OpenAIServer().start()
    conn.send(server.url)
    conn.recv()
    server.stop()


async def _median_ms(calls: int, one: Callable[[int], Awaitable[object]]) -> float:
    """Median wall time of ``calls`` sequential awaits of ``one(i)``, in milliseconds."""
    times = []
    for i in range(calls):
        started = time.perf_counter()
        await one(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _measure(url: str, quick: bool) -> dict[str, Any]:
    """All figures, against the server at ``url``."""
    calls = 200 if quick else 1000
    samples = 50 if quick else 300
    config = BrokerConfig(
        model="openai/bench-model",
        api_base=f"{url}/v1",
        api_key="bench",
        concurrency=CONCURRENCY,
        cache=False,
    )
    broker = Broker(config, cache_dir=None)
    # One concurrent wave first: litellm's import, its client and a full connection pool.
    await broker.batch([f"warm up {i}" for i in range(CONCURRENCY)])

    started = time.perf_counter()
    results = await broker.batch([f"call {i} [[sleep={LATENCY_S}]]" for i in range(calls)])
    wall_s = time.perf_counter() - started
    failures = sum(isinstance(r, CallFailure) for r in results)
    ideal_s = calls / CONCURRENCY * LATENCY_S

    async with httpx.AsyncClient() as client:

        async def raw(i: int) -> object:
            body = {"model": "bench-model", "messages": [{"role": "user", "content": f"raw {i}"}]}
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
        "calls": calls,
        "concurrency": CONCURRENCY,
        "latency_s": LATENCY_S,
        "failures": failures,
        "wall_s": round(wall_s, 3),
        "ideal_s": round(ideal_s, 3),
        "ratio": round(wall_s / ideal_s, 3),
        "raw_http_ms": round(raw_ms, 3),
        "litellm_ms": round(litellm_ms, 3),
        "broker_ms": round(broker_ms, 3),
        "overhead_ms": round(broker_ms - raw_ms, 3),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark against a server in a child process and return its figures."""
    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        return anyio.run(_measure, parent.recv(), quick)
    finally:
        parent.send("stop")
        server.join(timeout=10)


def main() -> None:
    """Print the figures as a small table and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 calls instead of 1,000")
    figures = run(quick=parser.parse_args().quick)
    print(f"fan-out: {figures['calls']} calls x {LATENCY_S * 1000:.0f} ms at concurrency {CONCURRENCY}")
    print(f"  wall {figures['wall_s']:.2f} s, ideal {figures['ideal_s']:.2f} s", end=", ")
    print(f"ratio {figures['ratio']:.3f}x")
    print(f"  failures {figures['failures']}")
    print("per-call overhead (median, server latency 0):")
    print(f"  raw HTTP {figures['raw_http_ms']:.2f} ms, litellm {figures['litellm_ms']:.2f} ms, ", end="")
    print(f"broker {figures['broker_ms']:.2f} ms, overhead {figures['overhead_ms']:.2f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
