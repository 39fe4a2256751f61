"""Parse workers are forks of a fork server that imported the parse code once, not fresh interpreters per load.

A spawned worker is a new Python that imports the whole package before its first file (~0.5 s each,
every load); a forked one starts with it in memory. The worker is asked with a builtin (`eval`), so
the question itself imports nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from rlm_mcp.corpus.ingest import pool_context

pytestmark = pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server on this platform"
)

_STATE = "(__import__('os').getppid(), sorted(m for m in __import__('sys').modules if m.startswith('rlm_mcp.corpus.')))"


def _worker_state() -> tuple[int, list[str]]:
    with ProcessPoolExecutor(max_workers=1, mp_context=pool_context()) as pool:
        parent, modules = pool.submit(eval, _STATE).result(timeout=60)
    return parent, modules


def test_a_worker_starts_with_the_parse_code_already_imported() -> None:
    """Before its first job a worker already holds the ingest module and what it needs to partition."""
    _, modules = _worker_state()
    assert {"rlm_mcp.corpus.ingest", "rlm_mcp.corpus.partition", "rlm_mcp.corpus.secrets"} <= set(modules)


def test_workers_come_from_one_fork_server_not_from_the_host() -> None:
    """Workers of successive loads share one parent, the fork server, which is not the (threaded) host."""
    first, _ = _worker_state()
    second, _ = _worker_state()
    assert first == second != os.getpid()
