"""`rlm-mcp doctor`: what a user runs when something is off, so it must say where everything goes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def doctor(tmp_path: Path, *flags: str) -> str:
    """The installed command's report, with no RLM_* variables of the test process leaking in."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RLM_")}
    command = ["rlm-mcp", "doctor", "--backend", "local", "--cache-dir", str(tmp_path), *flags]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment, check=True)
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
