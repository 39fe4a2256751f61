"""Reading and partitioning many files, in worker processes when the work is large.

Parsing is CPU-bound C code called from Python, so threads do not help; processes do. Workers
are forked from a fork server that imported this module once per host process, so a load does
not pay a fresh interpreter and its imports per worker; small jobs stay in-process anyway.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import NamedTuple

from rlm_mcp._sandbox.wire import content_sha
from rlm_mcp.corpus.junk import junk_by_content
from rlm_mcp.corpus.notebook import notebook_text
from rlm_mcp.corpus.partition import ParsedFile, partition
from rlm_mcp.corpus.screen import content_problem
from rlm_mcp.corpus.secrets import Span, find_secret_lines, redact

# Below this many bytes to parse, one process beats starting a pool.
PARALLEL_MIN_BYTES = 4_000_000
# Files are sent to workers in batches of about this many bytes to keep messages few.
_BATCH_BYTES = 1_000_000
_MAX_WORKERS = 8

UNCHANGED = "unchanged"
"""Outcome for a file whose content hash equals the one it was expected to have."""

# (path relative to the root, size, content hash it had before or "")
Job = tuple[str, int, str]


class Screening(NamedTuple):
    """What a load leaves out of the files it reads: secret lines, and junk (generated, minified, LFS pointers)."""

    secret_lines: bool = True
    junk: bool = True


DEFAULT_SCREENING = Screening()


class Redacted(NamedTuple):
    """A file the sandbox is given as other bytes than the disk's: its secret lines withheld (``spans``), or a
    notebook as its cells' text. Never cached, so every load reads it afresh."""

    outcome: ParsedFile | str
    text: bytes
    spans: tuple[Span, ...]


class Uncached(NamedTuple):
    """Junk loaded only because this load asked for it (include=, a glob, a named file): never cached as loadable."""

    outcome: ParsedFile | str


# A partitioned file, UNCHANGED, why it cannot be loaded ("binary", "unreadable", a junk reason), or one of
# those redacted or uncached.
Outcome = ParsedFile | str | Redacted | Uncached


def default_workers() -> int:
    """The CPUs this process may run on, capped at 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_WORKERS))


def ingest(
    root: Path, jobs: list[Job], chunk_tokens: int, workers: int, screening: Screening = DEFAULT_SCREENING
) -> tuple[list[Outcome], int]:
    """Read, screen and partition ``jobs`` under ``root``; return outcomes in job order and workers used."""
    total = sum(size for _, size, _ in jobs)
    workers = min(workers or default_workers(), len(jobs))
    if workers <= 1 or total < PARALLEL_MIN_BYTES:
        return _ingest_batch(str(root), jobs, chunk_tokens, screening), 1
    try:
        return _ingest_in_pool(root, jobs, chunk_tokens, workers, total, screening), workers
    except (BrokenProcessPool, OSError):
        # Workers cannot start everywhere (e.g. a __main__ read from stdin): slower, still correct.
        return _ingest_batch(str(root), jobs, chunk_tokens, screening), 1


def _ingest_in_pool(
    root: Path, jobs: list[Job], chunk_tokens: int, workers: int, total: int, screening: Screening
) -> list[Outcome]:
    outcomes: list[Outcome] = [UNCHANGED] * len(jobs)
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=_keep_stdout_clean) as pool:
        futures = [
            (indexes, pool.submit(_ingest_batch, str(root), batch, chunk_tokens, screening))
            for indexes, batch in batches(jobs, total // workers)
        ]
        for indexes, future in futures:
            for index, outcome in zip(indexes, future.result(), strict=True):
                outcomes[index] = outcome
    return outcomes


def pool_context() -> BaseContext:
    """Where workers come from: forks of a single-threaded fork server that preloaded this module, else spawn.

    Never a fork of the host itself: it runs threads (anyio, docker), and forking those is unsafe.
    The fork server is started on first use and ends with the host process.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def ingest_file(root: str, job: Job, chunk_tokens: int, screening: Screening = DEFAULT_SCREENING) -> Outcome:
    """Read one file, refuse it if binary, withhold its secret lines, skip re-parsing if its hash is unchanged."""
    path, _, known_sha = job
    try:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read()
    except OSError:
        return "unreadable"
    cells = notebook_text(data) if path.endswith(".ipynb") else None
    if cells is not None:  # before screening: a notebook's JSON (base64 outputs) would read as minified
        data = cells
    problem = content_problem(data, screening.junk)
    if problem:
        return problem
    spans = find_secret_lines(data) if screening.secret_lines else ()
    if spans:
        data = redact(data, spans)
    outcome = UNCHANGED if known_sha and content_sha(data) == known_sha else partition(path, data, chunk_tokens)
    if spans or cells is not None:
        return Redacted(outcome, data, spans)
    return Uncached(outcome) if not screening.junk and junk_by_content(data) else outcome


def _ingest_batch(root: str, batch: list[Job], chunk_tokens: int, screening: Screening) -> list[Outcome]:
    return [ingest_file(root, job, chunk_tokens, screening) for job in batch]


def batches(jobs: list[Job], share: int) -> list[tuple[list[int], list[Job]]]:
    """Group jobs largest first into batches of bounded size, so workers finish together."""
    limit = max(1, min(_BATCH_BYTES, share // 4))
    order = sorted(range(len(jobs)), key=lambda index: -jobs[index][1])
    batches: list[tuple[list[int], list[Job]]] = []
    size = limit
    for index in order:
        if size >= limit:
            batches.append(([], []))
            size = 0
        batches[-1][0].append(index)
        batches[-1][1].append(jobs[index])
        size += jobs[index][1]
    return batches


def _keep_stdout_clean() -> None:
    """Point a worker's fd 1 at stderr: over stdio, the server's stdout is the MCP channel."""
    os.dup2(2, 1)
