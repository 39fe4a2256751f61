"""`rlm-mcp bench` from an installed wheel: the suite ships inside it and takes the flags of `python -m bench`."""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlm_mcp import __version__
from tests.support.wheel import InstalledWheel, install_wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    yield install_wheel(tmp_path_factory.mktemp("wheel"))


def _run(installed: InstalledWheel, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The installed command, run from outside the checkout with its own HOME and cache dir."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "RLM_CACHE_DIR": str(home / "cache"),
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_") or k == "RLM_IMAGE"},
    }
    return subprocess.run(
        [installed.command, *args], cwd=home, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_wheel_carries_the_image_the_runtime_the_suite_and_the_license(installed: InstalledWheel) -> None:
    """What an installed rlm-mcp needs beyond its Python modules is inside the wheel; a checkout's figures are not."""
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for needed in (
        "rlm_mcp/Dockerfile",
        "rlm_mcp/_sandbox/repl.py",
        "rlm_mcp/_sandbox/wire.py",
        "rlm_mcp/_bench/__main__.py",
        "rlm_mcp/_bench/openai_server.py",
        "rlm_mcp/_bench/reference/probe.py",
        f"rlm_mcp-{__version__}.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    assert not [name for name in names if "/results/" in name or "__pycache__" in name]


def test_the_installed_command_reports_its_version(installed: InstalledWheel, tmp_path: Path) -> None:
    """`rlm-mcp --version` names the installed distribution's version."""
    done = _run(installed, "--version", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rlm-mcp {__version__}"


def test_bench_runs_from_the_wheel_and_writes_to_the_cache_dir(installed: InstalledWheel, tmp_path: Path) -> None:
    """`rlm-mcp bench --quick --only exec` prints the table; with no checkout around, the figures go to the cache."""
    done = _run(installed, "bench", "--quick", "--only", "exec", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| figure | value | compared with |" in done.stdout
    assert "| exec round trip, local (not isolated) backend | p50 " in done.stdout
    assert (tmp_path / "cache" / "bench" / "latest.json").is_file()


def test_bench_takes_the_suites_own_flags(installed: InstalledWheel, tmp_path: Path) -> None:
    """`rlm-mcp bench --help` is the suite's parser, and an unknown section is refused by it, naming the choices."""
    shown = _run(installed, "bench", "--help", home=tmp_path)
    assert shown.returncode == 0
    assert shown.stdout.startswith("usage: rlm-mcp bench [-h] [--quick] [--json JSON]")
    refused = _run(installed, "bench", "--only", "nosuch", home=tmp_path)
    assert refused.returncode == 2
    assert "rlm-mcp bench: error: argument --only: invalid choice: 'nosuch'" in refused.stderr


def test_update_readme_is_refused_outside_a_checkout(installed: InstalledWheel, tmp_path: Path) -> None:
    """An installed suite has no README of its own to rewrite: --update-readme says to run it from a clone."""
    done = _run(installed, "bench", "--update-readme", home=tmp_path)
    assert done.returncode == 2
    assert "run it from a clone of rlm-mcp" in done.stderr
