"""The `rlm-mcp` command when something is off: doctor says where everything goes and how isolated, errors say
what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE

CHECKOUT = Path(__file__).resolve().parents[1]


def rlm_mcp(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """This checkout's command (`python -m rlm_mcp` is `rlm-mcp`), with no RLM_* variables of the test process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RLM_")}
    command = [sys.executable, "-m", "rlm_mcp", *arguments, "--cache-dir", str(tmp_path)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        stdin=subprocess.DEVNULL,
        check=False,
        cwd=CHECKOUT,
    )


def doctor(tmp_path: Path, *flags: str, status: int = 1) -> str:
    """The doctor's report (local backend unless `flags` say otherwise), checking its exit status."""
    done = rlm_mcp(tmp_path, "doctor", "--backend", "local", *flags)
    assert done.returncode == status, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_doctor_names_backend_model_and_cache(tmp_path: Path) -> None:
    """Backend with its isolation, the sub-call model and endpoint, and the cache folder."""
    report = doctor(tmp_path, "--model", "openai/qwen3", "--api-base", "http://127.0.0.1:9/v1")
    assert "backend: local" in report and "isolation: NONE" in report
    assert "sub-calls: openai/qwen3 at http://127.0.0.1:9/v1" in report
    assert f"cache: {tmp_path}" in report


def test_doctor_without_a_model_says_how_to_set_one(tmp_path: Path) -> None:
    """No model: the report names the flag and the variable to set."""
    report = doctor(tmp_path)
    assert "no model configured" in report and "--model / RLM_MODEL" in report


def test_serve_without_its_sandbox_prints_the_fix_not_a_traceback(tmp_path: Path) -> None:
    """`serve --backend docker` with no usable engine or image exits 2 with one line saying what to do."""
    done = rlm_mcp(tmp_path, "serve", "--backend", "docker", "--image", "rlm-mcp-missing:none")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "rlm-mcp: " in done.stderr and ("rlm-mcp sandbox build" in done.stderr or "--backend local" in done.stderr)


def test_doctor_fails_when_sessions_would_not_be_isolated(tmp_path: Path) -> None:
    """The local backend exits 1 with a verdict that says sessions are NOT isolated and how to isolate them."""
    report = doctor(tmp_path, status=1)
    assert "verdict: NOT ISOLATED" in report.splitlines()[-1] and "rlm-mcp sandbox build" in report


@pytest.mark.docker
@pytest.mark.usefixtures("docker_ready")
def test_doctor_with_auto_keeps_isolation_when_the_engine_lacks_the_image(tmp_path: Path) -> None:
    """`auto` with an engine that answers but lacks a user's image does not run locally: exit 2, how to get it."""
    report = doctor(tmp_path, "--backend", "auto", "--image", "rlm-mcp-missing:none", status=2)
    assert "backend: local" not in report and "docker pull rlm-mcp-missing:none" in report
    assert "verdict: sessions cannot start" in report


def test_doctor_says_where_trajectories_go_or_that_they_are_off(tmp_path: Path) -> None:
    """The trajectory folder (exec output on disk) is named, or reported off with RLM_TRAJECTORIES=false."""
    assert f"trajectories: {tmp_path / 'trajectories'}" in doctor(tmp_path)
    assert "trajectories: off" in doctor(tmp_path, "--trajectories", "false")


@pytest.mark.docker
@pytest.mark.usefixtures("docker_ready")
def test_doctor_on_docker_names_the_image_the_runtime_and_gvisor(tmp_path: Path) -> None:
    """Docker: exit 0, the image with its id, the runtime in use, and whether the engine offers gVisor (runsc)."""
    report = doctor(tmp_path, "--backend", "docker", "--image", TEST_IMAGE, status=0)
    assert "backend: docker" in report and "shares the host kernel" in report
    assert f"image: {TEST_IMAGE} (sha256:" in report
    assert "runtime: " in report and "gvisor: " in report
    assert report.splitlines()[-1] == "verdict: sessions run isolated"


@pytest.mark.docker
@pytest.mark.usefixtures("docker_ready")
def test_doctor_with_a_runtime_the_engine_lacks_exits_2_naming_the_ones_it_has(tmp_path: Path) -> None:
    """An unknown --runtime: sessions cannot start (exit 2), and the report lists the engine's runtimes."""
    report = doctor(tmp_path, "--backend", "docker", "--image", TEST_IMAGE, "--runtime", "rlm-none", status=2)
    assert "no runtime 'rlm-none'" in report and "runc" in report and "--runtime / RLM_RUNTIME" in report
    assert "verdict: sessions cannot start" in report
