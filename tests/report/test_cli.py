"""`rlm-mcp report`: a trajectory file, or the newest one, to one HTML file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.report.recording import write_long_trajectory


def run(*arguments: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "RLM_CACHE_DIR": str(cache_dir)}
    environment.pop("RLM_TRAJECTORY_DIR", None)
    command = [sys.executable, "-m", "rlm_mcp", "report", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)


def test_report_latest_writes_the_newest_trajectory_beside_it(tmp_path: Path) -> None:
    """--latest reads <cache-dir>/trajectories; the page goes beside the file, 0600, and its path is printed."""
    folder = tmp_path / "trajectories"
    folder.mkdir()
    source = write_long_trajectory(folder / "s-1.jsonl", steps=3)
    done = run("--latest", cache_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    page = source.with_suffix(".html")
    assert done.stdout.strip() == str(page)
    assert page.read_text().startswith("<!DOCTYPE html>") and page.stat().st_mode & 0o777 == 0o600


def test_report_writes_where_o_says(tmp_path: Path) -> None:
    """-o names the page; the only file needed to view it is that one."""
    source = write_long_trajectory(tmp_path / "s.jsonl", steps=2)
    done = run(str(source), "-o", str(tmp_path / "out" / "r.html"), cache_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / "r.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "src=" not in html


def test_report_without_a_trajectory_says_what_to_pass(tmp_path: Path) -> None:
    """Neither a file nor --latest, or an empty folder: exit 2 and a sentence saying what to do."""
    done = run(cache_dir=tmp_path)
    assert done.returncode == 2 and "pass a .jsonl file or --latest" in done.stderr
    done = run("--latest", cache_dir=tmp_path)
    assert done.returncode == 2 and "no trajectory in" in done.stderr
