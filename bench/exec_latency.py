"""Round trip of a trivial exec on each backend, against `docker exec ... python3 -c pass`.

`docker exec` (a new process per call) is what most peers use, so it is the baseline,
measured in the same run on the same container image. Run: python bench/exec_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import anyio

from rlm_mcp.backends import LaunchSpec, open_backend
from rlm_mcp.backends.docker import SESSION_LABEL
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.repl_client import ReplClient


async def _no_host(op: str, payload: dict[str, Any]) -> None:
    raise ValueError(f"the benchmark serves no {op!r} requests")


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """Median and 99th percentile in milliseconds, and the sample count."""
    ordered = sorted(samples_s)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "n": len(ordered),
    }


async def _measure_backend(backend_name: str, calls: int, image: str) -> dict[str, Any]:
    settings = Settings.from_env(backend=backend_name, image=image)
    async with anyio.create_task_group() as tasks:
        backend, _ = await open_backend(settings, tasks)
        started = time.perf_counter()
        # A per-process name, so a concurrent run's container is never taken for ours.
        repl = await ReplClient(backend, LaunchSpec(f"bench-{os.getpid()}"), settings, tasks, _no_host).start()
        await repl.exec("pass")
        start_to_first_exec = time.perf_counter() - started
        for _ in range(20):  # warm-up
            await repl.exec("pass")
        samples = []
        for _ in range(calls):
            begun = time.perf_counter()
            await repl.exec("pass")
            samples.append(time.perf_counter() - begun)
        figures: dict[str, Any] = {**percentiles(samples), "start_to_first_exec_s": start_to_first_exec}
        if backend_name == "docker":
            figures["docker_exec"] = _measure_docker_exec(repl, max(calls // 20, 20))
        await repl.close()
        await backend.aclose()
        tasks.cancel_scope.cancel()
    return figures


def session_container(session: str) -> Any:
    """The docker SDK's handle on the container of our sandbox named `session`."""
    import docker

    (container,) = docker.from_env().containers.list(filters={"label": f"{SESSION_LABEL}={session}"})
    return container


def _measure_docker_exec(repl: ReplClient, calls: int) -> dict[str, float]:
    """`docker exec <our container> python3 -c pass`, the per-call-process baseline."""
    container = session_container(repl.spec.session)
    samples = []
    for _ in range(calls):
        begun = time.perf_counter()
        subprocess.run(["docker", "exec", container.id, "python3", "-c", "pass"], check=True)
        samples.append(time.perf_counter() - begun)
    return percentiles(samples)


def run(quick: bool = False, image: str | None = None) -> dict[str, Any]:
    """Measure both backends; a backend that cannot run here is reported, not fatal."""
    calls = 200 if quick else 1000
    image = image or Settings.from_env().image
    results: dict[str, Any] = {}
    for backend_name in ("local", "docker"):
        try:
            results[backend_name] = anyio.run(_measure_backend, backend_name, calls, image)
        except SandboxUnavailable as exc:
            results[backend_name] = {"skipped": str(exc)}
    docker_figures = results.get("docker", {})
    if "docker_exec" in docker_figures:
        docker_figures["speedup_vs_docker_exec"] = docker_figures["docker_exec"]["p50_ms"] / docker_figures["p50_ms"]
    return results


def table(results: dict[str, Any]) -> str:
    rows = [
        "| mechanism | p50 ms | p99 ms | calls | start to first exec |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in ("local", "docker"):
        figures = results.get(name, {})
        if "skipped" in figures:
            rows.append(f"| {name} backend | skipped: {figures['skipped'][:80]} | | | |")
            continue
        rows.append(
            f"| {name} backend exec | {figures['p50_ms']:.3f} | {figures['p99_ms']:.3f} | {figures['n']} "
            f"| {figures['start_to_first_exec_s']:.2f} s |"
        )
        if "docker_exec" in figures:
            baseline = figures["docker_exec"]
            rows.append(
                f"| `docker exec python3 -c pass` | {baseline['p50_ms']:.1f} | {baseline['p99_ms']:.1f} "
                f"| {baseline['n']} | |"
            )
            rows.append(
                f"| **docker backend speed-up vs docker exec** | {figures['speedup_vs_docker_exec']:.0f}x | | | |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 calls instead of 1000")
    parser.add_argument("--image", help="sandbox image (default: RLM_IMAGE or rlm-mcp-sandbox:latest)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    results = run(args.quick, args.image)
    print(table(results))
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
