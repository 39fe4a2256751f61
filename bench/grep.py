"""grep in the sandbox against ripgrep on the same files, and a repeated full scan of the file texts.

The context (~10M tokens of the bench repository, or the repository given) is loaded into a real
sandbox; grep runs there through the helper user code calls, with every hit kept. ripgrep (`rg`,
two threads or more, its own line counting) searches the same files on the host, each pattern
three times; the medians are compared. Run: python -m bench.grep [--quick] [--repository PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.config import Settings
from rlm_mcp.session import Session

from .corpus import FULL_TEXT_BYTES, QUICK_TEXT_BYTES, build_repository
from .sessions import open_session

PATTERNS = {
    "literal": ("TODO", True),
    "regex": (r"\w+Error\(", False),
    "regex, no literal in it": (r"[A-Z_]{12,}", False),
}
"""What is searched: a literal, a regex with a literal part, and one without any (the regex engine alone)."""
RUNS = 3

# Runs in the sandbox: the first grep reads every file (and checks it is what was indexed), later ones reuse texts.
_TIMINGS = """
import json as _json, statistics as _statistics, time as _time
def _timed(call):
    started, cpu_started = _time.perf_counter(), _time.process_time()
    result = call()
    return _time.perf_counter() - started, _time.process_time() - cpu_started, result
_figures = {"first_scan_s": _timed(lambda: sum(len(f.text) for f in files.values()))[0]}
_figures["second_scan_s"] = _timed(lambda: sum(len(f.text) for f in files.values()))[0]
for _name, (_pattern, _fixed) in PATTERNS.items():
    _runs = [_timed(lambda: grep(_pattern, fixed=_fixed, max_hits=10**8)) for _ in range(RUNS)]
    _figures[_name] = {
        "s": _statistics.median(t for t, _, _ in _runs),
        "cpu_s": _statistics.median(c for _, c, _ in _runs),
        "hits": len(_runs[0][2]),
    }
print(_json.dumps(_figures))
"""


def _ripgrep(root: Path, paths: list[str], pattern: str, fixed: bool) -> dict[str, Any]:
    """Median wall and CPU time of `rg -n` over exactly these files, and its number of matching lines."""
    command = ["rg", "-n", "--no-heading", "--with-filename", "-uuu", *(["-F"] if fixed else []), "-e", pattern, "--"]
    times, cpu_times, hits = [], [], 0
    for _ in range(RUNS):
        started, cpu_started = time.perf_counter(), _children_cpu()
        found = subprocess.run([*command, *paths], cwd=root, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        cpu_times.append(_children_cpu() - cpu_started)
        hits = found.stdout.count(b"\n")
    return {"s": statistics.median(times), "cpu_s": statistics.median(cpu_times), "hits": hits}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _in_sandbox(session: Session, repository: Path) -> tuple[dict[str, Any], list[str], int]:
    manifest = await session.load(str(repository))
    setup = f"PATTERNS = {PATTERNS!r}\nRUNS = {RUNS}\n"
    result = await session.exec(setup + _TIMINGS, timeout_s=900)
    if result.error is not None:
        raise RuntimeError(f"the grep benchmark failed in the sandbox: {result.error}")
    assert session.corpus is not None
    return json.loads(result.stdout), [info.path for info in session.corpus.files], manifest["tokens"]


def measure(repository: Path, image: str) -> dict[str, Any]:
    """Our grep in a sandbox and ripgrep on the host, same files, same patterns."""
    figures, paths, tokens = anyio.run(_grep_session, repository, image)
    for name, (pattern, fixed) in PATTERNS.items():
        ours = figures[name]
        theirs = _ripgrep(repository, paths, pattern, fixed)
        ours.update(rg_s=theirs["s"], rg_cpu_s=theirs["cpu_s"], rg_hits=theirs["hits"], vs_rg=ours["s"] / theirs["s"])
        ours["vs_rg_cpu"] = ours["cpu_s"] / theirs["cpu_s"]
    # A busy machine stretches wall times unevenly; CPU times hardly move, so both are kept.
    return {"tokens": tokens, "files": len(paths), "load_average": os.getloadavg()[0], **figures}


async def _grep_session(repository: Path, image: str) -> tuple[dict[str, Any], list[str], int]:
    async with open_session("bench-grep", image=image) as session:
        return await _in_sandbox(session, repository)


def run(quick: bool, image: str | None = None, repository: Path | None = None) -> dict[str, Any]:
    """Measure on `repository`, or on copies of the standard library (~10M tokens, ~1M with --quick)."""
    if shutil.which("rg") is None:
        return {"skipped": "ripgrep is not installed (apt install ripgrep, brew install ripgrep)"}
    image = image or Settings.from_env().image
    if repository is not None:
        return measure(repository.resolve(), image)
    with tempfile.TemporaryDirectory(prefix="rlm-grep-bench-") as scratch:
        built = Path(scratch, "repo")
        build_repository(built, QUICK_TEXT_BYTES if quick else FULL_TEXT_BYTES)
        return measure(built, image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~1M tokens instead of ~10M")
    parser.add_argument("--repository", type=Path, help="a repository to search instead of the built one")
    parser.add_argument("--image", help="sandbox image (default: RLM_IMAGE or rlm-mcp-sandbox:latest)")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.image, args.repository), indent=2))


if __name__ == "__main__":
    main()
