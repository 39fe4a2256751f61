"""Shared fixtures: settings for tests, the backends to run against, started sandboxes.

Docker tests need a real engine and the sandbox image. Without one they are skipped,
unless RLM_REQUIRE_DOCKER=1 (as in CI), where a missing engine is a failure.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from rlm_mcp.backends import LaunchSpec, open_backend
from rlm_mcp.config import Settings
from rlm_mcp.llm.litellm_client import close_clients
from rlm_mcp.repl_client import ReplClient
from tests.support.openai_server import OpenAIServer

TEST_IMAGE = os.environ.get("RLM_IMAGE", "rlm-mcp-sandbox:latest")
DOCKER_REQUIRED = os.environ.get("RLM_REQUIRE_DOCKER") == "1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def docker_problem() -> str | None:
    """Why the docker tests cannot run here, or None when they can."""
    import docker

    try:
        with contextlib.closing(docker.from_env()) as client:
            client.ping()
            client.images.get(TEST_IMAGE)
    except Exception as exc:
        return f"no usable Docker engine/image {TEST_IMAGE}: {exc}"
    return None


@pytest.fixture(autouse=True)
def collect_garbage_after_each_test() -> Iterator[None]:
    """Collect cycles after every test, so an unclosed socket fails the test that leaked it, not a random later one."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def docker_ready() -> None:
    problem = docker_problem()
    if problem is None:
        return
    if DOCKER_REQUIRED:
        pytest.fail(f"RLM_REQUIRE_DOCKER=1 but {problem}")
    pytest.skip(problem)


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def backend_name(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    return str(request.param)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        defaults: dict[str, Any] = {"image": TEST_IMAGE, "cache_dir": str(tmp_path / "cache")}
        return Settings.from_env({}, **{**defaults, **overrides})

    return make


async def echo_host(op: str, payload: dict[str, Any]) -> Any:
    """A host that answers sub-LLM requests by upper-casing the prompts."""
    if op == "llm":
        return [{"ok": True, "text": str(prompt).upper()} for prompt in payload["prompts"]]
    raise ValueError(f"unexpected request {op!r}")


@asynccontextmanager
async def started_repl(settings: Settings, spec: LaunchSpec) -> AsyncIterator[ReplClient]:
    """A sandbox REPL on `settings.backend`, closed (container removed) on exit."""
    async with anyio.create_task_group() as tasks:
        backend, _ = await open_backend(settings, tasks)
        client = await ReplClient(backend, spec, settings, tasks, echo_host).start()
        try:
            yield client
        finally:
            await client.close()
            await backend.aclose()
            tasks.cancel_scope.cancel()


@pytest.fixture
async def repl(backend_name: str, make_settings: Callable[..., Settings]) -> AsyncIterator[ReplClient]:
    settings = make_settings(backend=backend_name, exec_timeout_s=30, interrupt_grace_s=2)
    async with started_repl(settings, LaunchSpec("test")) as client:
        yield client


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 that answers "echo: <prompt>"."""
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
async def litellm_clients_closed() -> AsyncIterator[None]:
    """After the test, close litellm's clients for its event loop (each test runs its own loop)."""
    yield
    await close_clients()


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A small multi-language repository with a secret and an ignored file."""
    repo = tmp_path / "sample"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "shapes.py").write_text(
        "class Circle:\n    def area(self):\n        return 3.14 * self.r ** 2\n\n\n"
        "def parse_shape(text):\n    raise ValueError('bad shape: ' + text)\n"
    )
    (repo / "web.js").write_text("function greet(name) {\n  return `hi ${name}`;\n}\n")
    (repo / "README.md").write_text("# Sample\n\nShapes and greetings.\n\n## Usage\n\nCall parse_shape.\n")
    (repo / ".env").write_text("API_KEY=sk-secret\n")
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("generated = True\n")
    return repo
