"""What the server leaves on disk is for its user only: trajectories and caches are 0600 in 0700 folders.

Every test runs under a permissive umask (022), the common default that made them 0644 in 0755 folders.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.corpus.cache import cache_file, write_cache
from rlm_mcp.llm.cache import ResponseCache
from rlm_mcp.llm.results import Reply
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask (0o022) under which an unguarded file would come out world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def only_owner_can_reach(path: Path, below: Path) -> None:
    """`path` is 0600 and every folder from `below` down to it is 0700."""
    assert mode(path) == 0o600, f"{path} is {mode(path):o}"
    for folder in path.parents:
        if folder == below.parent:
            break
        assert mode(folder) == 0o700, f"{folder} is {mode(folder):o}"


@pytest.fixture
def settings(docker_ready: None, make_settings: Callable[..., Settings], tmp_path: Path) -> Callable[..., Settings]:
    """Settings of a docker-backed server whose cache is under tmp_path."""

    def make(**overrides: object) -> Settings:
        return make_settings(backend="docker", cache_dir=str(tmp_path / "cache"), **overrides)

    return make


async def run_one_exec(settings: Settings, repo: Path) -> None:
    async with Client(build_server(settings), raise_exceptions=True) as client:
        await call(client, "rlm_load_context", source=str(repo))
        await call(client, "rlm_exec", code="print('exec output the agent saw')")


@pytest.mark.docker
async def test_trajectories_are_private(settings: Callable[..., Settings], sample_repo: Path, tmp_path: Path) -> None:
    """A session's trajectory (which holds exec output) is 0600 in 0700 folders up to the cache dir."""
    await run_one_exec(settings(), sample_repo)
    (log,) = (tmp_path / "cache" / "trajectories").glob("*.jsonl")
    assert "exec output the agent saw" in log.read_text()
    only_owner_can_reach(log, tmp_path / "cache")


@pytest.mark.docker
async def test_trajectories_can_be_turned_off(
    settings: Callable[..., Settings], sample_repo: Path, tmp_path: Path
) -> None:
    """RLM_TRAJECTORIES=false: tool calls work and no trajectory file is written anywhere."""
    await run_one_exec(settings(trajectories=False, trajectory_dir=str(tmp_path / "logs")), sample_repo)
    assert not (tmp_path / "logs").exists()
    assert not (tmp_path / "cache" / "trajectories").exists()


@pytest.mark.docker
async def test_the_corpus_index_of_a_load_is_private(
    settings: Callable[..., Settings], sample_repo: Path, tmp_path: Path
) -> None:
    """The index cache written by a load (it lists the repository's files and symbols) is 0600 in 0700 folders."""
    await run_one_exec(settings(), sample_repo)
    (index,) = (tmp_path / "cache" / "corpus").glob("*.marshal")
    only_owner_can_reach(index, tmp_path / "cache")


def test_rewriting_the_corpus_index_narrows_an_older_wide_file(tmp_path: Path) -> None:
    """An index left 0644 by an older version is replaced by a 0600 one on the next write."""
    target = cache_file(tmp_path / "corpus", tmp_path)
    target.parent.mkdir()
    target.write_bytes(b"old")
    write_cache(tmp_path / "corpus", tmp_path, {})
    assert mode(target) == 0o600 and target.read_bytes() != b"old"


def test_the_response_cache_is_private_with_its_journal(tmp_path: Path) -> None:
    """The sub-call cache (answers about the repository) and sqlite's -wal/-shm files beside it are 0600."""
    cache = ResponseCache(tmp_path / "cache" / "llm")
    try:
        cache.put("key", Reply("a secret finding", 1, 1, None))
        files = sorted((tmp_path / "cache" / "llm").iterdir())
        assert {path.name for path in files} >= {"llm-responses.sqlite3", "llm-responses.sqlite3-wal"}
        for path in files:
            only_owner_can_reach(path, tmp_path / "cache")
    finally:
        cache.close()


def test_an_older_wide_response_cache_is_narrowed_when_opened(tmp_path: Path) -> None:
    """Opening a cache file that an older version left 0644 makes it 0600."""
    path = tmp_path / "llm" / "llm-responses.sqlite3"
    path.parent.mkdir()
    path.touch(mode=0o644)
    ResponseCache(path.parent).close()
    assert mode(path) == 0o600
