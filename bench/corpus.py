"""Loading a ~10M-token repository: cold load, warm reload, partition vs raw parse, memory.

The repository is built by copying the Python standard library into a temporary folder until
it holds ~40 MB of text (~4 MB with --quick). Run: python bench/corpus.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from rlm_mcp.corpus import Corpus, LoadOptions, load_corpus
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
    """CPU time of this process and of its finished children (the parse workers of a load)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _raw_parse_seconds(files: list[tuple[str, bytes]]) -> float:
    """tree-sitter parsing alone, one process: the floor partitioning is compared with."""
    started = time.perf_counter()
    for path, data in files:
        language_parser = parser(detect_language(path, data[:256]))
        if language_parser is not None:
            language_parser.parse(data)
    return time.perf_counter() - started


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
        if parser(detect_language(path, data[:256])) is not None:
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


def run(quick: bool) -> dict[str, Any]:
    """Build the repository, measure, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="rlm-corpus-bench-") as scratch:
        repository = Path(scratch, "repo")
        text_bytes = build_repository(repository, QUICK_TEXT_BYTES if quick else FULL_TEXT_BYTES)
        options = LoadOptions(cache_dir=Path(scratch, "cache"))

        # The same cold load without secret-line screening, to price the screening (its own cache).
        # CPU time (this process and its parse workers) is reported too: it hardly moves on a busy machine.
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        load_corpus(repository, LoadOptions(cache_dir=Path(scratch, "cache-unscreened"), screen_lines=False))
        unscreened_seconds, unscreened_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        cold = load_corpus(repository, options)
        manifest = cold.manifest()
        cold_seconds, cold_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started

        started = time.perf_counter()
        warm = load_corpus(repository, options)
        warm.manifest()
        warm_seconds = time.perf_counter() - started

        started = time.perf_counter()
        frame = json.dumps(warm.payload())
        payload_seconds = time.perf_counter() - started

        touched = repository / cold.files[0].path
        touched.write_bytes(touched.read_bytes() + b"\n# touched\n")
        started = time.perf_counter()
        incremental = load_corpus(repository, options)
        incremental_seconds = time.perf_counter() - started

        files = _file_bytes(cold)
        parsed_bytes = sum(len(data) for path, data in files if parser(detect_language(path, data[:256])))
        parse_seconds = _raw_parse_seconds(files)
        partition_seconds = _partition_seconds(files, options.chunk_tokens)
        screening_seconds = _screening_seconds(files)
        memory = _index_memory(repository, options)

    return {
        "text_bytes": text_bytes,
        "files": manifest["files"],
        "tokens": manifest["tokens"],
        "chunks": manifest["chunks"],
        "symbols": manifest["symbols"],
        "workers": cold.stats.workers,
        "cold_load_s": cold_seconds,
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
    figures = run(arguments.parse_args().quick)
    width = max(map(len, figures))
    for name, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        print(f"{name:<{width}}  {shown:>14}  {_TARGETS.get(name, '')}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
