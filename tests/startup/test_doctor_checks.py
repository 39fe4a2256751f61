"""`rlm-mcp doctor` names the sub-call model and whether its key variable is set (the name, never the value),
and exits non-zero while something is wrong."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_IMAGE
from tests.startup.conftest import Command

MODEL = "anthropic/claude-haiku-4-5"
SECRET = "sk-ant-test-never-printed"


def doctor(command: Command, *flags: str) -> tuple[int, str]:
    done = command("doctor", *flags)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


@pytest.fixture
def on_docker(rlm_mcp: Command, docker_ready: None) -> tuple[str, ...]:
    """Flags for the isolated backend, so only the model decides the exit status."""
    return ("--backend", "docker", "--image", TEST_IMAGE)


@pytest.mark.docker
def test_a_model_without_its_key_variable_fails_the_doctor(rlm_mcp: Command, on_docker: tuple[str, ...]) -> None:
    """ANTHROPIC_API_KEY unset: exit 1, the model and the variable to set named, in the report and the verdict."""
    without = Command(rlm_mcp.environment, unset=("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"))
    status, report = doctor(without, *on_docker, "--model", MODEL)
    assert status == 1, report
    assert f"key for {MODEL}: NOT SET: set ANTHROPIC_API_KEY" in report
    assert f"verdict: sub-calls to {MODEL} would fail: ANTHROPIC_API_KEY is not set" in report


@pytest.mark.docker
def test_a_model_with_its_key_variable_passes_naming_it_not_its_value(
    rlm_mcp: Command, on_docker: tuple[str, ...]
) -> None:
    """ANTHROPIC_API_KEY set: exit 0, "ANTHROPIC_API_KEY is set", and the value appears nowhere."""
    done = Command({**rlm_mcp.environment, "ANTHROPIC_API_KEY": SECRET})("doctor", *on_docker, "--model", MODEL)
    assert done.returncode == 0, done.stdout
    assert f"key for {MODEL}: ANTHROPIC_API_KEY is set" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_a_local_model_server_needs_no_key(rlm_mcp: Command) -> None:
    """openai/ at a loopback --api-base: no key needed, so the model is no reason to fail."""
    status, report = doctor(
        rlm_mcp, "--backend", "local", "--model", "openai/qwen3", "--api-base", "http://127.0.0.1:9/v1"
    )
    assert "key for openai/qwen3: none needed (a model server on this machine" in report
    assert status == 1 and "sub-calls to" not in report  # 1: the local backend, not the model


def test_rlm_api_key_counts_as_the_key(rlm_mcp: Command) -> None:
    """RLM_API_KEY set: the key line names it (and not its value)."""
    command = Command({**rlm_mcp.environment, "RLM_API_KEY": SECRET}, unset=("ANTHROPIC_API_KEY",))
    _, report = doctor(command, "--backend", "local", "--model", MODEL)
    assert f"key for {MODEL}: RLM_API_KEY is set" in report and SECRET not in report


def test_a_model_litellm_cannot_place_is_named_as_the_problem(rlm_mcp: Command) -> None:
    """A bare model name with no provider: the report says to write provider/model."""
    _, report = doctor(rlm_mcp, "--backend", "local", "--model", "qwen3")
    assert "litellm cannot tell the provider of 'qwen3': write it as provider/model" in report
