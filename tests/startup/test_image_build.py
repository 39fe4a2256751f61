"""The sandbox image builds itself: `serve` on first use, `doctor --fix` and `sandbox build` on request.

Every build here makes a tag of its own (rlm-mcp-sandbox:test-...) FROM the registry-free local base,
and removes only that tag afterwards. Without a registry, a base image the engine lacks cannot be
pulled: the error names the command to run, with --base-image / RLM_BASE_IMAGE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call, call_error
from tests.startup.conftest import Command
from tests.support.docker_engine import engine

pytestmark = [pytest.mark.docker, pytest.mark.anyio]
MISSING_BASE = "rlm-mcp-test-no-such-base:none"


def image_exists(tag: str) -> bool:
    import docker.errors

    with engine() as client:
        try:
            client.images.get(tag)
        except docker.errors.ImageNotFound:
            return False
    return True


def test_sandbox_build_makes_the_image_from_a_local_base(
    rlm_mcp: Command, test_image_tag: str, local_base_image: str
) -> None:
    """`sandbox build --tag T --base-image B`: progress on stderr, `built T (id)` on stdout, and T exists."""
    done = rlm_mcp("sandbox", "build", "--tag", test_image_tag, "--base-image", local_base_image)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"built {test_image_tag} (sha256:")
    assert f"building {test_image_tag} FROM {local_base_image}" in done.stderr and "Step " in done.stderr
    assert image_exists(test_image_tag)


def test_sandbox_build_takes_its_base_from_rlm_base_image(
    rlm_mcp: Command, test_image_tag: str, local_base_image: str
) -> None:
    """RLM_BASE_IMAGE (and RLM_IMAGE for the tag) stand in for the flags, so an offline engine builds without help."""
    command = Command({**rlm_mcp.environment, "RLM_BASE_IMAGE": local_base_image, "RLM_IMAGE": test_image_tag})
    done = command("sandbox", "build")
    assert done.returncode == 0, done.stderr
    assert f"FROM {local_base_image}" in done.stderr and image_exists(test_image_tag)


def test_a_base_image_neither_local_nor_pullable_says_what_to_run(
    rlm_mcp: Command, test_image_tag: str, local_base_image: str
) -> None:
    """No such base (and no registry to pull it from): exit 2, one message naming --base-image and RLM_BASE_IMAGE
    with the engine's images as candidates; no image is made."""
    done = rlm_mcp("sandbox", "build", "--tag", test_image_tag, "--base-image", MISSING_BASE)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    message = done.stderr.splitlines()[-1]
    assert message.startswith(f"rlm-mcp: cannot build the sandbox image {test_image_tag}: its base image")
    assert f"{MISSING_BASE} is not on this engine and pulling it failed" in message
    assert f"`rlm-mcp sandbox build --tag {test_image_tag} --base-image IMAGE`" in message
    assert "RLM_BASE_IMAGE=IMAGE" in message and local_base_image in message
    assert not image_exists(test_image_tag)


async def test_a_server_builds_its_missing_image_before_the_first_sandbox(
    make_settings: Callable[..., Settings], test_image_tag: str, local_base_image: str
) -> None:
    """An engine without the image: the server still answers at once, and the first sandbox waits for the build."""
    settings = make_settings(backend="docker", image=test_image_tag, base_image=local_base_image)
    async with Client(build_server(settings)) as client:
        status = await call(client, "rlm_status")
        assert '"backend": "docker"' in status
        out = await call(client, "rlm_exec", code="import sys; print('python3.10+', sys.version_info >= (3, 10))")
        assert "python3.10+ True" in out
    assert image_exists(test_image_tag)


async def test_a_failed_build_is_the_tool_error_and_nothing_runs_locally(
    make_settings: Callable[..., Settings], test_image_tag: str
) -> None:
    """The build cannot get its base: the agent's call fails with the command to run, the backend stays docker."""
    settings = make_settings(backend="auto", image=test_image_tag, base_image=MISSING_BASE)
    async with Client(build_server(settings)) as client:
        error = await call_error(client, "rlm_exec", code="1")
        assert "--base-image IMAGE" in error and "RLM_BASE_IMAGE" in error and MISSING_BASE in error
        status = await call(client, "rlm_status")
        assert '"backend": "docker"' in status and "NOT isolated" not in status


def test_serve_announces_the_build_on_stderr(rlm_mcp: Command, test_image_tag: str, local_base_image: str) -> None:
    """The startup line says the image is being built FROM which base; stdout (the MCP channel) stays empty."""
    done = rlm_mcp("serve", "--backend", "docker", "--image", test_image_tag, "--base-image", local_base_image)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if " · stdio · " in line)
    assert f"docker sandboxes from {test_image_tag}, building it now FROM {local_base_image}" in line
    assert done.stdout == ""


def test_doctor_names_the_missing_image_and_fix_builds_it(
    rlm_mcp: Command, test_image_tag: str, local_base_image: str
) -> None:
    """doctor: exit 1 naming the image not built yet and `doctor --fix`; with --fix it builds it, progress on stderr."""
    flags = ("--backend", "docker", "--image", test_image_tag, "--base-image", local_base_image)
    before = rlm_mcp("doctor", *flags)
    assert before.returncode == 1, before.stdout + before.stderr
    assert f"image: the sandbox image {test_image_tag} is not built yet" in before.stdout
    assert "rlm-mcp doctor --fix" in before.stdout and not image_exists(test_image_tag)
    fixed = rlm_mcp("doctor", "--fix", *flags)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"image: {test_image_tag} (sha256:" in fixed.stdout and "Step " in fixed.stderr
    assert fixed.stdout.splitlines()[-1] == "verdict: sessions run isolated"


def test_a_base_without_python_fails_the_build_with_its_log_and_the_fix(
    rlm_mcp: Command, test_image_tag: str, python_less_base: str
) -> None:
    """A base image that cannot run the Dockerfile's check: exit 2 with the failed step and what to use instead."""
    done = rlm_mcp("sandbox", "build", "--tag", test_image_tag, "--base-image", python_less_base)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"building {test_image_tag} FROM {python_less_base} failed" in done.stderr
    assert "needs python3 >= 3.10" in done.stderr and "--base-image IMAGE" in done.stderr
    assert not image_exists(test_image_tag)


@pytest.fixture
def python_less_base(docker_ready: None) -> Any:
    """A one-file image (no shell, no python3), under a tag of its own, removed afterwards."""
    import io
    import tarfile
    import uuid

    tag = f"rlm-mcp-test-no-python:{uuid.uuid4().hex[:12]}"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("README")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"none\n"))
    with engine() as client:
        repository, _, version = tag.partition(":")
        client.api.import_image_from_data(archive.getvalue(), repository=repository, tag=version)
    yield tag
    with engine() as client:
        client.images.remove(tag)
