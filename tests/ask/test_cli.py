"""`rlm-mcp ask PATH QUESTION` runs the loop from the command line: the answer on stdout."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.quality.scripted import ROOT_MODEL, SUB_MODEL
from tests.support.openai_server import OpenAIServer


def test_ask_command_prints_the_answer_and_how_it_went(
    package_copy: Path, tmp_path: Path, openai_server: OpenAIServer, script_root: Callable[[Sequence[str]], None]
) -> None:
    """The answer goes to stdout, the stop reason and trajectory to stderr, and the exit code is 0."""
    script_root(["FINAL_ANSWER = f'{sum(range(10))} from the REPL'"])
    command = [sys.executable, "-m", "rlm_mcp", "ask", str(package_copy), "How many files?"]
    command += ["--backend", "local", "--model", SUB_MODEL, "--root-model", ROOT_MODEL]
    command += ["--api-base", f"{openai_server.url}/v1", "--api-key", "test", "--cache-dir", str(tmp_path / "cache")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (0, "45 from the REPL\n"), done.stderr
    assert "[answered]" in done.stderr and "trajectories/ask-" in done.stderr
