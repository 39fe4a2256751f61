"""Peak memory of the server and of its sandbox with a ~10M-token repository loaded through a Session.

`run` measures in a fresh interpreter, so the server's peak is that of loading and using the context,
not of the rest of the suite. Run: python -m bench.memory [--quick] [--image IMAGE]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.serving import run_server  # noqa: F401 - the server's own imports count in its memory
from rlm_mcp.session import Session

from .corpus import FULL_TEXT_BYTES, QUICK_TEXT_BYTES, build_repository
from .exec_latency import session_container
from .sessions import open_session

# `bench.memory` in a checkout, `rlm_mcp._bench.memory` in a wheel: the child runs this same module,
# from the folder its dotted name is rooted in.
MODULE = __spec__.name
IMPORT_ROOT = Path(__file__).parents[MODULE.count(".")]

# Touches the whole context the way an agent's first probes do: the chunk index and every file's text.
_WORKLOAD = "len(chunks), len(grep(r'def __init__', max_hits=100_000))"
_SANDBOX_PEAK = "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))"


def _peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB.

    Linux's VmHWM, as ru_maxrss survives exec there: it would report the parent's size at fork.
    """
    status = Path("/proc/self/status")
    if status.exists():
        return next(int(line.split()[1]) for line in status.open() if line.startswith("VmHWM")) / 1e3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # bytes on macOS


async def _sandbox_figures(session: Session) -> dict[str, Any]:
    """The runtime process's own peak RSS, and for docker the container's cgroup peak too."""
    figures: dict[str, Any] = {"backend": session.backend.name}
    result = await session.exec(_SANDBOX_PEAK)
    figures["sandbox_peak_rss_mb"] = int(result.stdout) / 1e3 if result.stdout.strip().isdigit() else None
    if session.backend.name == "docker":
        stats = session_container(session.name).stats(stream=False)["memory_stats"]
        # cgroup v1 keeps a peak (max_usage, page cache included); v2 reports only the current usage.
        figures["container_peak_mb"] = stats["max_usage"] / 1e6 if "max_usage" in stats else None
        figures["container_usage_mb"] = stats.get("usage", 0) / 1e6
    return figures


async def _measure(repository: Path, image: str) -> dict[str, Any]:
    async with open_session("bench-memory", image=image) as session:
        await session.exec("pass")
        before_load_mb = _peak_rss_mb()
        manifest = await session.load(str(repository))
        await session.exec(_WORKLOAD)
        figures = {
            "text_bytes": manifest["bytes"],
            "tokens": manifest["tokens"],
            "server_before_load_mb": before_load_mb,
            **await _sandbox_figures(session),
        }
    figures["server_peak_rss_mb"] = _peak_rss_mb()
    return figures


def measure(quick: bool, image: str) -> dict[str, Any]:
    """Build the repository and measure, in this process: call it in a fresh one."""
    with tempfile.TemporaryDirectory(prefix="rlm-memory-bench-") as scratch:
        repository = Path(scratch, "repo")
        build_repository(repository, QUICK_TEXT_BYTES if quick else FULL_TEXT_BYTES)
        try:
            return anyio.run(_measure, repository, image)
        except SandboxUnavailable as exc:
            return {"skipped": str(exc)}


def run(quick: bool = False, image: str | None = None) -> dict[str, Any]:
    """Measure in a fresh interpreter, whose peak memory is then the server's alone."""
    command = [sys.executable, "-m", MODULE, "--image", image or Settings.from_env().image]
    completed = subprocess.run(
        command + (["--quick"] if quick else []), cwd=IMPORT_ROOT, capture_output=True, text=True, timeout=900
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the memory benchmark failed: {completed.stderr.strip()[-2000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~1M tokens instead of ~10M")
    parser.add_argument("--image", help="sandbox image (default: RLM_IMAGE or rlm-mcp-sandbox:latest)")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick, args.image or Settings.from_env().image), indent=2))


if __name__ == "__main__":
    main()
