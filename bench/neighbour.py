"""A bystander session's trivial exec while another session of the same server does its worst.

The attacker floods malformed and deeply nested frames onto the protocol stream, matches a
pattern that backtracks for minutes in a regex engine, and asks for sub-call answers larger
than a frame. The figure is the bystander's exec latency under attack against the same
server idle, in the same run. Run: python -m bench.neighbour [--backend docker|local] [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server

from .exec_latency import percentiles
from .openai_server import OpenAIServer

WORST = (
    "import gc\n"
    "w = next(o for o in gc.get_objects() if type(o).__name__ == 'FrameWriter')\n"
    "for body in [b'{\"re\": [1], \"ok\": true}', b'[' * 50_000 + b']' * 50_000, b'not json'] * 200:\n"
    "    w._stream.write(len(body).to_bytes(4, 'big') + body)\n"
    "w._stream.flush()\n"
    "partition(paths=['" + "*?" * 13 + "X'])\n"
    "try:\n    llm_batch(['big %d' % i for i in range(25)])\nexcept Exception:\n    pass\n"
)


async def _bystander_latencies(client: Client, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        result = await client.call_tool("rlm_exec", {"code": "1 + 2", "session": "bystander"})
        assert not result.is_error
        samples.append(time.perf_counter() - started)
        await anyio.sleep(0.02)
    return samples


async def measure(backend: str, calls: int) -> dict[str, Any]:
    """Bystander exec latency idle and under attack, and how many attacks ran meanwhile."""
    llm = OpenAIServer(responder=lambda body: "z" * 3_000_000).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            repo = Path(folder) / "repo"
            repo.mkdir()
            (repo / "a.py").write_text("def f():\n    return 1\n")
            settings = Settings.from_env(
                backend=backend, model="openai/m", api_base=f"{llm.url}/v1", api_key="bench", cache_dir=folder
            )
            async with Client(build_server(settings), raise_exceptions=True) as client:
                for session in ("attacker", "bystander"):
                    await client.call_tool("rlm_load_context", {"source": str(repo), "session": session})
                idle = await _bystander_latencies(client, calls)
                attacks = 0
                done = anyio.Event()

                async def attack() -> None:
                    nonlocal attacks
                    while not done.is_set():
                        await client.call_tool("rlm_exec", {"code": WORST, "session": "attacker"})
                        attacks += 1

                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(attack)
                    attacked = await _bystander_latencies(client, calls)
                    done.set()
    finally:
        llm.stop()
    return {
        "backend": backend,
        "idle": percentiles(idle),
        "attacked": percentiles(attacked),
        "attacked_max_ms": max(attacked) * 1000,
        "attacks": attacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="docker", choices=["docker", "local"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    figures = anyio.run(measure, args.backend, 20 if args.quick else 100)
    print(json.dumps(figures, indent=1))
    ratio = figures["attacked"]["p50_ms"] / figures["idle"]["p50_ms"]
    print(
        f"bystander exec p50 {figures['attacked']['p50_ms']:.1f} ms under attack "
        f"({figures['attacks']} attacks), {figures['idle']['p50_ms']:.1f} ms idle ({ratio:.1f}x); "
        f"slowest {figures['attacked_max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
