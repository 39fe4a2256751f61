"""Host memory of a huge ``llm_batch``: a 100,000-item batch against a 1,000-item one, in the same run.

Two batches per size, straight through a broker, against the local test server (in its own process,
so its threads are not traced): N distinct prompts with the cache off, every one of them sent to the
endpoint (the direct path streams them, ``concurrency`` at a time), and the issue's flood
``llm_batch(['p'] * N)``, whose first wave reaches the server and every later item is a cache hit.
For each, tracemalloc gives the peak of Python allocations during the batch above what was held
before it (the prompts, which come in one frame from the sandbox, are held before), and what the
returned answers keep; peak minus kept is what the fan-out itself cost, which must not grow with N.
Usage: ``python -m bench.fanout_memory [--quick]``; ``run(quick)`` returns the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.llm import Broker, BrokerConfig
from rlm_mcp.llm.litellm_client import close_clients, load_litellm

from .openai_server import OpenAIServer

SIZES = (1_000, 100_000)
QUICK_SIZES = (1_000, 20_000)
CONCURRENCY = 16


def _serve(conn: Connection) -> None:
    """Child process: one instant server until the parent says stop."""
    server = OpenAIServer().start()
    conn.send(server.url)
    conn.recv()
    server.stop()


async def _one(url: str, items: int, *, distinct: bool) -> dict[str, Any]:
    """Memory and time of one batch: ``items`` distinct prompts, cache off; or ``['p'] * items``, fresh cache."""
    with tempfile.TemporaryDirectory(prefix="rlm-fanout-memory-") as cache_dir:
        config = BrokerConfig(
            model="openai/test-model",
            api_base=f"{url}/v1",
            api_key="test",
            concurrency=CONCURRENCY,
            cache=not distinct,
        )
        broker = Broker(config, cache_dir=Path(cache_dir))
        prompts = [f"p{i}" for i in range(items)] if distinct else ["p"] * items
        try:
            gc.collect()
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            started = time.perf_counter()
            results = await broker.batch(prompts)
            wall_s = time.perf_counter() - started
            gc.collect()
            kept, peak = tracemalloc.get_traced_memory()
            calls = broker.usage()["total"]["calls"]
            del results
        finally:
            broker.close()
    return {
        "items": items,
        "prompts": "distinct, cache off" if distinct else "['p'] * N, cached",
        "wall_s": round(wall_s, 2),
        "endpoint_calls": calls,
        "peak_mb": round((peak - before) / 1e6, 2),
        "answers_mb": round((kept - before) / 1e6, 2),
        "fan_out_mb": round((peak - kept) / 1e6, 2),
    }


async def _measure(url: str, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    load_litellm()
    tracemalloc.start()
    try:
        # One small batch first: litellm's client, its connection pool and its caches are not the batch's.
        await _one(url, CONCURRENCY, distinct=True)
        return [await _one(url, items, distinct=distinct) for distinct in (True, False) for items in sizes]
    finally:
        tracemalloc.stop()
        await close_clients()


def run(quick: bool = False) -> dict[str, Any]:
    """Run both batch sizes against a server in a child process and return the figures."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        rows = anyio.run(_measure, parent.recv(), QUICK_SIZES if quick else SIZES)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    return {"concurrency": CONCURRENCY, "rows": rows}


def table(figures: dict[str, Any]) -> str:
    """The figures as a small Markdown table."""
    lines = [
        f"`llm_batch` of N prompts through the broker, concurrency {figures['concurrency']}, host Python heap "
        "(tracemalloc)",
        "| prompts | N | wall s | endpoint calls | peak MB | kept by the answers MB | fan-out itself MB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in figures["rows"]:
        lines.append(
            f"| {row['prompts']} | {row['items']:,} | {row['wall_s']:.2f} | {row['endpoint_calls']} "
            f"| {row['peak_mb']:.1f} | {row['answers_mb']:.1f} | **{row['fan_out_mb']:.2f}** |"
        )
    return "\n".join(lines)


def main() -> None:
    """Print the figures as a small table and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 20,000 items instead of 1,000 and 100,000")
    figures = run(quick=parser.parse_args().quick)
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
