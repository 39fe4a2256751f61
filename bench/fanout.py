"""Sub-LLM fan-out benchmark: ``llm_batch`` from a real sandbox REPL, the broker alone, raw HTTP, per-call overhead.

Against the local OpenAI-compatible test server, run in its own process so it does not compete
with the host for the GIL (a real provider is on another machine). That process serves twice:
once answering after 200 ms, once at once.

* fan-out, two rows (1,000 calls at concurrency 32, 2,000 at 128): a session (``rlm_mcp.session``)
  on the chosen backend runs ``r = llm_batch([f"p{i}" for i in range(N)])``: sandbox request frame,
  broker, the direct path (or litellm), reply frame, progress. Ideal: N / concurrency x 0.2 s. In
  the same round, the same batch straight through the session's broker, and through a bare pooled
  aiohttp client at the same concurrency: the floor this server and machine allow.
* overhead: sequential calls with no server latency: raw HTTP (aiohttp, the client of the direct
  path, and httpx), litellm alone, the broker (direct, and with every call through litellm);
  overhead = median broker time minus the median raw aiohttp round trip, in the same run.

The machine may be shared, so the fan-out runs several rounds and reports their median.
Usage: ``python -m bench.fanout [--quick] [--backend docker] [--rounds N]``; ``run(quick)`` returns the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import anyio
import httpx

from rlm_mcp.backends import open_backend
from rlm_mcp.config import Settings
from rlm_mcp.llm import Broker, BrokerConfig, CallFailure
from rlm_mcp.llm.litellm_client import close_clients, load_litellm
from rlm_mcp.session import Session, Sessions

from .openai_server import OpenAIServer

ROWS = ((1000, 32), (2000, 128))
"""(calls, concurrency) of each fan-out row."""
QUICK_ROWS = ((200, 32), (400, 128))
LATENCY_S = 0.2
MODEL = "openai/test-model"


def _serve(conn: Connection) -> None:
    """Child process: a slow and an instant server, until the parent says stop."""
    slow, instant = OpenAIServer(latency_s=LATENCY_S).start(), OpenAIServer().start()
    conn.send((slow.url, instant.url))
    conn.recv()
    slow.stop()
    instant.stop()


def _body(prompt: str) -> dict[str, Any]:
    return {"model": "test-model", "messages": [{"role": "user", "content": prompt}]}


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


async def _through_raw_http(url: str, calls: int, concurrency: int) -> float:
    """Wall time of ``calls`` POSTs by ``concurrency`` workers on one pooled aiohttp client: the floor."""
    pending = iter(range(calls))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def work() -> None:
            for i in pending:
                async with client.post(f"{url}/v1/chat/completions", json=_body(f"raw {i}")) as response:
                    json.loads(await response.read())

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(work)
        return time.perf_counter() - started


async def _fan_out(settings: Settings, url: str, calls: int, rounds: int) -> dict[str, Any]:
    """Fan-out rounds through a real session's sandbox, its broker alone and raw HTTP, interleaved."""
    concurrency = settings.llm_concurrency
    sandbox_s: list[float] = []
    broker_s: list[float] = []
    raw_s: list[float] = []
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
            # One concurrent wave first: the sandbox, litellm's import, the request shape and a full pool.
            await _through_llm_batch(session, concurrency)
            for _ in range(rounds):
                wall_s, failed = await _through_llm_batch(session, calls)
                sandbox_s.append(wall_s)
                wall_s, failed_alone = await _through_broker(session.broker, calls)
                broker_s.append(wall_s)
                raw_s.append(await _through_raw_http(url, calls, concurrency))
                failures += failed + failed_alone
        finally:
            await sessions.close_all()
            await backend.aclose()
            tasks.cancel_scope.cancel()
    ideal_s = calls / concurrency * LATENCY_S

    def ratios(times: list[float]) -> list[float]:
        return [round(s / ideal_s, 3) for s in times]

    return {
        "calls": calls,
        "concurrency": concurrency,
        "rounds": rounds,
        "failures": failures,
        "ideal_s": round(ideal_s, 3),
        "wall_s": round(statistics.median(sandbox_s), 3),
        "ratio": round(statistics.median(sandbox_s) / ideal_s, 3),
        "ratios": ratios(sandbox_s),
        "broker_wall_s": round(statistics.median(broker_s), 3),
        "broker_ratio": round(statistics.median(broker_s) / ideal_s, 3),
        "broker_ratios": ratios(broker_s),
        "raw_wall_s": round(statistics.median(raw_s), 3),
        "raw_ratio": round(statistics.median(raw_s) / ideal_s, 3),
        "progress_events": progress_events,
    }


async def _overhead(url: str, samples: int) -> dict[str, Any]:
    """Median per-call times with no server latency: raw HTTP, litellm alone, the broker both ways."""
    config = BrokerConfig(model=MODEL, api_base=f"{url}/v1", api_key="test", concurrency=32, cache=False)
    brokers = {path: Broker(dataclasses.replace(config, direct=path == "direct")) for path in ("direct", "litellm")}
    for broker in brokers.values():
        await broker.batch([f"warm up {i}" for i in range(32)])

    async with aiohttp.ClientSession() as client:

        async def raw(i: int) -> object:
            async with client.post(f"{url}/v1/chat/completions", json=_body(f"raw {i}")) as response:
                return json.loads(await response.read())

        await raw(-1)
        raw_ms = await _median_ms(samples, raw)

    async with httpx.AsyncClient() as httpx_client:

        async def raw_httpx(i: int) -> object:
            return (await httpx_client.post(f"{url}/v1/chat/completions", json=_body(f"httpx {i}"))).json()

        await raw_httpx(-1)
        httpx_ms = await _median_ms(samples, raw_httpx)

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
    broker_ms = await _median_ms(samples, lambda i: brokers["direct"].query(f"broker {i}"))
    broker_litellm_ms = await _median_ms(samples, lambda i: brokers["litellm"].query(f"via litellm {i}"))
    return {
        "raw_http_ms": round(raw_ms, 3),
        "raw_httpx_ms": round(httpx_ms, 3),
        "litellm_ms": round(litellm_ms, 3),
        "broker_ms": round(broker_ms, 3),
        "broker_litellm_ms": round(broker_litellm_ms, 3),
        "overhead_ms": round(broker_ms - raw_ms, 3),
    }


async def _measure(
    slow_url: str, instant_url: str, quick: bool, backend: str, rounds: int, direct: bool
) -> dict[str, Any]:
    """All figures, against the servers at ``slow_url`` (200 ms) and ``instant_url``."""
    rows = []
    try:
        for calls, concurrency in QUICK_ROWS if quick else ROWS:
            with tempfile.TemporaryDirectory(prefix="rlm-fanout-") as cache_dir:
                settings = Settings.from_env(
                    backend=backend,
                    model=MODEL,
                    api_base=f"{slow_url}/v1",
                    api_key="test",
                    llm_concurrency=concurrency,
                    llm_direct=direct,
                    llm_cache=False,
                    cache_dir=cache_dir,
                    exec_timeout_s=600,
                )
                rows.append(await _fan_out(settings, slow_url, calls=calls, rounds=rounds))
        overhead = await _overhead(instant_url, samples=50 if quick else 300)
    finally:
        await close_clients()
    return {"backend": backend, "latency_s": LATENCY_S, "direct": direct, "rows": rows, **overhead}


def run(
    quick: bool = False, *, backend: str = "local", rounds: int | None = None, direct: bool = True
) -> dict[str, Any]:
    """Run the benchmark against servers in a child process and return its figures."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        slow_url, instant_url = parent.recv()
        return anyio.run(_measure, slow_url, instant_url, quick, backend, rounds or (1 if quick else 3), direct)
    finally:
        parent.send("stop")
        server.join(timeout=10)


def table(figures: dict[str, Any]) -> str:
    """The figures as a small Markdown table."""
    path = "direct path" if figures["direct"] else "every call through litellm"
    lines = [
        f"fan-out: calls x {figures['latency_s'] * 1000:.0f} ms, {figures['backend']} sandbox, {path}",
        "| calls | concurrency | ideal s | `llm_batch` in the sandbox | broker alone | raw aiohttp | rounds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in figures["rows"]:
        rounds = ", ".join(f"{r:.3f}" for r in row["ratios"])
        lines.append(
            f"| {row['calls']:,} | {row['concurrency']} | {row['ideal_s']:.2f} | {row['wall_s']:.2f} s "
            f"**{row['ratio']:.3f}x** | {row['broker_wall_s']:.2f} s {row['broker_ratio']:.3f}x "
            f"| {row['raw_wall_s']:.2f} s {row['raw_ratio']:.3f}x | median of {row['rounds']}: {rounds} |"
        )
    failures = sum(row["failures"] for row in figures["rows"])
    events = sum(row["progress_events"] for row in figures["rows"])
    lines += [
        f"failures {failures}, progress events {events}",
        "per-call time (median, server latency 0):",
        f"| raw aiohttp {figures['raw_http_ms']:.2f} ms | raw httpx {figures['raw_httpx_ms']:.2f} ms "
        f"| litellm alone {figures['litellm_ms']:.2f} ms | broker {figures['broker_ms']:.2f} ms "
        f"| broker via litellm {figures['broker_litellm_ms']:.2f} ms "
        f"| **overhead {figures['overhead_ms']:.2f} ms** over raw aiohttp |",
    ]
    return "\n".join(lines)


def main() -> None:
    """Print the figures as a small table and as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the calls and one round instead of three")
    parser.add_argument("--backend", choices=("local", "docker"), default="local", help="sandbox backend")
    parser.add_argument("--rounds", type=int, help="fan-out rounds (the median is reported)")
    parser.add_argument("--via-litellm", action="store_true", help="send every call through litellm (RLM_LLM_DIRECT=0)")
    args = parser.parse_args()
    figures = run(quick=args.quick, backend=args.backend, rounds=args.rounds, direct=not args.via_litellm)
    print(table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
