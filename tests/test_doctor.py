"""The `rlm-mcp` command when something is off: doctor says where everything goes, errors say what to do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def rlm_mcp(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with no RLM_* variables of the test process leaking in."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RLM_")}
    command = ["rlm-mcp", *arguments, "--cache-dir", str(tmp_path)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, env=environment, stdin=subprocess.DEVNULL, check=False
    )


def doctor(tmp_path: Path, *flags: str) -> str:
    done = rlm_mcp(tmp_path, "doctor", "--backend", "local", *flags)
    assert done.returncode == 0, done.stderr
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
