"""Loading a ~10M-token repository: cold load against raw parsing, one worker and more, warm reload, memory.

The repository is a copy of the one given (--repository), or is built by copying the Python standard
library into a temporary folder until it holds ~40 MB of text (~4 MB with --quick). Raw parsing is
reading each file that has a grammar and tree-sitter parsing it, nothing else: in one process, and
in as many worker processes as the load uses. Run: python -m bench.corpus [--quick] [--repository PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from rlm_mcp.corpus import Corpus, LoadOptions, load_corpus
from rlm_mcp.corpus.ingest import batches, pool_context
from rlm_mcp.corpus.languages import detect_language, parser
from rlm_mcp.corpus.partition import partition
from rlm_mcp.corpus.screen import has_binary_extension
from rlm_mcp.corpus.secrets import find_secret_lines

FULL_TEXT_BYTES = 40_000_000
QUICK_TEXT_BYTES = 4_000_000
_SKIPPED_FOLDERS = {"site-packages", "__pycache__"}


def build_repository(target: Path, text_bytes: int) -> int:
    """Copy stdlib files into ``target`` (copy0/, copy1/, ...) until ``text_bytes`` of text; return it."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources: list[Path] = []
    for folder, subfolders, names in os.walk(stdlib):
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        sources.extend(Path(folder, name) for name in sorted(names))
    copied = 0
    copy = 0
    while copied < text_bytes:
        for source in sources:
            if source.is_symlink() or has_binary_extension(source.name):
                continue
            destination = target / f"copy{copy}" / source.relative_to(stdlib)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            copied += destination.stat().st_size
            if copied >= text_bytes:
                break
        copy += 1
    return copied


def _file_bytes(corpus: Corpus) -> list[tuple[str, bytes]]:
    assert corpus.root is not None
    return [(info.path, (corpus.root / info.path).read_bytes()) for info in corpus.files]


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished workers (children, or children of its fork server)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system + _fork_server_children_cpu()


def _fork_server_children_cpu() -> float:
    """CPU time of the finished children of this process's fork server, from Linux's /proc (0 elsewhere).

    Parse workers are forked by the fork server, so their time is not among this process's children's.
    """
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and b"forkserver" in (stat.parent / "cmdline").read_bytes():
                total += int(fields[13]) + int(fields[14])  # cutime and cstime, in clock ticks
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total / os.sysconf("SC_CLK_TCK") if total else 0.0


def parse_files(root: str, paths: list[str]) -> int:
    """Read and tree-sitter parse each of ``paths`` that has a grammar, nothing else; return the bytes parsed."""
    parsed = 0
    for path in paths:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read()
        language_parser = parser(detect_language(path, data))
        if language_parser is not None:
            language_parser.parse(data)
            parsed += len(data)
    return parsed


def _raw_parse_seconds(corpus: Corpus, workers: int) -> tuple[float, float]:
    """Wall and CPU time of raw parsing the loaded files: here, or split as a load splits them across ``workers``."""
    assert corpus.root is not None
    root = str(corpus.root)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if workers <= 1:
        parse_files(root, [info.path for info in corpus.files])
    else:
        jobs = [(info.path, info.size, "") for info in corpus.files]
        shares = [
            [path for path, _, _ in batch] for _, batch in batches(jobs, sum(size for _, size, _ in jobs) // workers)
        ]
        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
            list(pool.map(parse_files, [root] * len(shares), shares))
    return time.perf_counter() - started, _cpu_seconds() - cpu_started


def _worker_import_seconds() -> float:
    """What a fresh interpreter spends importing the parse worker's module (once per host, in the fork server)."""
    command = [sys.executable, "-X", "importtime", "-c", "import rlm_mcp.corpus.ingest"]
    report = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    return int(re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| rlm_mcp\.corpus\.ingest$", report, re.MULTILINE)[0]) / 1e6


def _screening_seconds(files: list[tuple[str, bytes]]) -> float:
    """Secret-line screening alone over the loaded files, one process: its share of a load, free of noise."""
    started = time.perf_counter()
    for _, data in files:
        find_secret_lines(data)
    return time.perf_counter() - started


def _partition_seconds(files: list[tuple[str, bytes]], chunk_tokens: int) -> float:
    """Full partitioning (parse, split, merge, symbols, ids), one process, same files."""
    started = time.perf_counter()
    for path, data in files:
        if parser(detect_language(path, data)) is not None:
            partition(path, data, chunk_tokens)
    return time.perf_counter() - started


def _index_memory(root: Path, options: LoadOptions) -> int:
    """Bytes still allocated once a warm load returns: what the index costs the host."""
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    corpus = load_corpus(root, options)
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    del corpus
    return retained


def _cold_load(repository: Path, options: LoadOptions) -> tuple[Corpus, float, float]:
    """A load with an empty cache: the corpus, its wall time and its CPU time (this process and its workers)."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    corpus = load_corpus(repository, options)
    corpus.manifest()
    return corpus, time.perf_counter() - started, _cpu_seconds() - cpu_started


def run(quick: bool, repository: Path | None = None) -> dict[str, Any]:
    """Copy ``repository`` (or build one), measure, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="rlm-corpus-bench-") as scratch:
        root = Path(scratch, "repo")
        if repository is None:
            build_repository(root, QUICK_TEXT_BYTES if quick else FULL_TEXT_BYTES)
        else:
            shutil.copytree(repository, root, symlinks=True)  # the incremental reload below edits a file
        options = LoadOptions(cache_dir=Path(scratch, "cache"))

        # Without secret-line screening, to price it (its own cache); it also brings the files into the page cache.
        # CPU time (this process and its parse workers) is reported too: it hardly moves on a busy machine.
        _, unscreened_seconds, unscreened_cpu = _cold_load(
            root, LoadOptions(cache_dir=Path(scratch, "cache-unscreened"), screen_lines=False)
        )
        _, one_worker_seconds, one_worker_cpu = _cold_load(
            root, LoadOptions(cache_dir=Path(scratch, "cache-one"), workers=1)
        )
        cold, cold_seconds, cold_cpu = _cold_load(root, options)
        manifest = cold.manifest()
        workers = cold.stats.workers
        parse_seconds, parse_cpu = _raw_parse_seconds(cold, 1)
        parallel_parse_seconds, _ = _raw_parse_seconds(cold, workers)

        started = time.perf_counter()
        warm = load_corpus(root, options)
        warm.manifest()
        warm_seconds = time.perf_counter() - started

        started = time.perf_counter()
        frame = json.dumps(warm.payload())
        payload_seconds = time.perf_counter() - started

        touched = root / cold.files[0].path
        touched.write_bytes(touched.read_bytes() + b"\n# touched\n")
        started = time.perf_counter()
        incremental = load_corpus(root, options)
        incremental_seconds = time.perf_counter() - started

        files = _file_bytes(cold)
        parsed_bytes = sum(len(data) for path, data in files if parser(detect_language(path, data)))
        partition_seconds = _partition_seconds(files, options.chunk_tokens)
        screening_seconds = _screening_seconds(files)
        memory = _index_memory(root, options)

    return {
        "repository": repository.name if repository is not None else "stdlib copies",
        "text_bytes": manifest["bytes"],
        "files": manifest["files"],
        "tokens": manifest["tokens"],
        "chunks": manifest["chunks"],
        "symbols": manifest["symbols"],
        "workers": workers,
        "cold_load_s": cold_seconds,
        "cold_load_one_worker_s": one_worker_seconds,
        "workers_vs_one": cold_seconds / one_worker_seconds,
        "raw_parse_s": parse_seconds,
        "raw_parse_workers_s": parallel_parse_seconds,
        "cold_vs_raw_parse": cold_seconds / parse_seconds,
        "cold_vs_raw_parse_same_workers": cold_seconds / parallel_parse_seconds,
        # A busy machine stretches wall times unevenly; CPU times (all processes) hardly move.
        "load_average": os.getloadavg()[0],
        "cold_cpu_s": cold_cpu,
        "cold_one_worker_cpu_s": one_worker_cpu,
        "raw_parse_cpu_s": parse_cpu,
        "cold_vs_raw_parse_cpu": cold_cpu / parse_cpu,
        "worker_import_s": _worker_import_seconds(),
        "cold_load_unscreened_s": unscreened_seconds,
        "screened_vs_unscreened": cold_seconds / unscreened_seconds,
        "screened_vs_unscreened_cpu": cold_cpu / unscreened_cpu,
        "files_with_withheld_lines": len(cold.withheld_lines),
        "screen_lines_s": screening_seconds,
        "screen_lines_share_of_cold_cpu": screening_seconds / cold_cpu,
        "warm_reload_s": warm_seconds,
        "warm_reused_files": warm.stats.reused_files,
        "incremental_reload_s": incremental_seconds,
        "incremental_parsed_files": incremental.stats.parsed_files,
        "raw_parse_mb_s": parsed_bytes / parse_seconds / 1e6,
        "partition_mb_s": parsed_bytes / partition_seconds / 1e6,
        "partition_vs_parse": partition_seconds / parse_seconds,
        "index_memory_mb": memory / 1e6,
        "index_memory_vs_corpus": memory / manifest["bytes"],
        "payload_mb": len(frame) / 1e6,
        "payload_s": payload_seconds,
    }


_TARGETS = {
    "cold_load_s": "<= 5 s (2 cores)",
    "workers_vs_one": "<= 1x",
    "cold_vs_raw_parse": "<= 1.5x",
    "screened_vs_unscreened": "<= 1.2x",
    "screened_vs_unscreened_cpu": "<= 1.2x",
    "warm_reload_s": "<= 0.5 s",
    "partition_vs_parse": "<= 2x",
    "index_memory_vs_corpus": "<= 1x",
    "incremental_parsed_files": "== 1",
}


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--quick", action="store_true", help="~4 MB instead of ~40 MB")
    arguments.add_argument("--repository", type=Path, help="a repository to load (copied) instead of the built one")
    parsed = arguments.parse_args()
    figures = run(parsed.quick, parsed.repository)
    width = max(map(len, figures))
    for name, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
        print(f"{name:<{width}}  {shown:>14}  {_TARGETS.get(name, '')}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
