"""Times the reference library's DockerREPL; runs in its own virtual environment, not ours.

It imports only `rlm` (the `rlms` package) and the standard library, and prints one JSON line:
start seconds and per-exec seconds with an empty context and with the given text loaded.
Usage: <rlms venv>/bin/python probe.py --image IMAGE --context-file FILE [--code CODE] [--calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from rlm.environments.docker_repl import DockerREPL


def _exec_seconds(repl: Any, code: str, calls: int) -> list[float]:
    """Wall time of `calls` execs of `code`, after one warm-up; an exec that fails stops the run."""
    repl.execute_code(code)
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        result = repl.execute_code(code)
        samples.append(time.perf_counter() - started)
        if result.stderr:
            raise RuntimeError(f"the reference REPL failed to exec {code!r}: {result.stderr[-2000:]}")
    return samples


def measure(image: str, text: str, code: str, calls: int) -> dict[str, Any]:
    """Start a DockerREPL on `image`, time `code` empty, load `text` as its context, time it again."""
    with tempfile.TemporaryDirectory(prefix="rlms-workspace-") as workspace:
        # The DockerREPL mounts a folder under this one at /workspace (default: the current directory).
        os.environ["RLM_DOCKER_WORKSPACE_DIR"] = workspace
        started = time.perf_counter()
        with DockerREPL(image=image) as repl:
            start_s = time.perf_counter() - started
            empty = _exec_seconds(repl, code, calls)
            started = time.perf_counter()
            repl.load_context(text)
            load_s = time.perf_counter() - started
            loaded = _exec_seconds(repl, code, calls)
    return {"start_s": start_s, "empty_s": empty, "load_s": load_s, "loaded_s": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", required=True)
    parser.add_argument("--context-file", type=Path, required=True)
    parser.add_argument("--code", default="pass", help="the statement to time")
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(measure(args.image, args.context_file.read_text(), args.code, args.calls)))


if __name__ == "__main__":
    main()
