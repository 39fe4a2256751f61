"""Time per exec of the reference DockerREPL against ours, in one run, on images FROM one base.

Both run a trivial statement with no context, then with the same 20 MB text loaded: the reference
through its own DockerREPL (a `docker exec` of a new Python per call that reloads and re-pickles
its state), ours through a Session (one persistent interpreter behind a framed channel).
Run: python -m bench.reference.compare [--quick] [--base-image IMAGE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.backends.image import build_image
from rlm_mcp.session import Session

from ..exec_latency import percentiles
from ..sessions import open_session
from .environment import build_reference_image, default_base_image, reference_python

CONTEXT_BYTES = 20_000_000
OURS_IMAGE = "rlm-mcp-bench-sandbox:latest"
TRIVIAL = "pass"


def context_text(size: int = CONTEXT_BYTES) -> str:
    """Deterministic log-like ASCII text of exactly `size` bytes."""
    lines: list[str] = []
    total = 0
    while total < size:
        i = len(lines)
        lines.append(f"{i:09d} INFO GET /api/items/{i % 4099} served in {i % 997} ms by worker-{i % 7}\n")
        total += len(lines[-1])
    return "".join(lines)[:size]


def build_our_image(base_image: str) -> str:
    """Our sandbox image built FROM `base_image`, so both sides share a base; returns its tag."""
    build_image(OURS_IMAGE, base_image, log=lambda line: None)
    return OURS_IMAGE


async def _exec_seconds(session: Session, calls: int) -> list[float]:
    await session.exec(TRIVIAL)  # warm-up, as the reference gets one
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await session.exec(TRIVIAL)
        samples.append(time.perf_counter() - started)
    return samples


async def _ours(image: str, text: str, calls: int) -> dict[str, Any]:
    async with open_session("bench-reference", backend="docker", image=image) as session:
        started = time.perf_counter()
        await session.exec(TRIVIAL)
        start_s = time.perf_counter() - started
        empty = await _exec_seconds(session, calls)
        started = time.perf_counter()
        await session.load(text, kind="text")
        load_s = time.perf_counter() - started
        loaded = await _exec_seconds(session, calls)
    return {"start_s": start_s, "empty_s": empty, "load_s": load_s, "loaded_s": loaded}


def _reference(image: str, text: str, calls: int) -> dict[str, Any]:
    python = reference_python()
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as context_file:
        context_file.write(text)
        context_file.flush()
        probe = Path(__file__).with_name("probe.py")
        command = [str(python), str(probe), "--image", image, "--context-file", context_file.name, "--code", TRIVIAL]
        completed = subprocess.run([*command, "--calls", str(calls)], capture_output=True, text=True, timeout=900)
    if completed.returncode != 0:
        raise RuntimeError(f"the rlms probe failed: {completed.stderr.strip()[-2000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def _summary(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "start_s": raw["start_s"],
        "load_s": raw["load_s"],
        "empty": percentiles(raw["empty_s"]),
        "loaded": percentiles(raw["loaded_s"]),
    }


def run(quick: bool = False, base_image: str | None = None, ours_image: str | None = None) -> dict[str, Any]:
    """Build both images FROM `base_image`, time both REPLs, and return the figures and ratios."""
    base_image = base_image or default_base_image()
    ours_image = ours_image or build_our_image(base_image)
    reference_image = build_reference_image(base_image, reference_python())
    text = context_text()
    reference = _summary(_reference(reference_image, text, 5 if quick else 20))
    ours = _summary(anyio.run(_ours, ours_image, text, 200 if quick else 1000))
    return {
        "package": "rlms (DockerREPL)",
        "base_image": base_image,
        "context_bytes": len(text),
        "reference": reference,
        "ours": ours,
        "speedup_empty": reference["empty"]["p50_ms"] / ours["empty"]["p50_ms"],
        "speedup_loaded": reference["loaded"]["p50_ms"] / ours["loaded"]["p50_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 reference execs instead of 20")
    parser.add_argument("--base-image", help="image both sandboxes are built FROM")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.base_image), indent=2))


if __name__ == "__main__":
    main()
