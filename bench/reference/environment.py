"""A separate virtual environment with `rlms`, and a Docker image its DockerREPL can run in.

The DockerREPL imports `dill` and `requests` inside the container and installs them there with
pip, which needs a network that sandboxes do not have. So the image is built FROM the same base
as ours with their pure-Python wheels, fetched on the host, unpacked onto PYTHONPATH.
Run: python -m bench.reference.environment [--base-image IMAGE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rlm_mcp.backends.image import DEFAULT_BASE_IMAGE
from rlm_mcp.config import Settings

RLMS_REQUIREMENT = "rlms==0.1.3"
LOCAL_BASE_IMAGE = "rlm-mcp-base:bookworm"
"""The registry-free base image .ci/run makes; preferred when present, as no pull is needed."""
REFERENCE_IMAGE = "rlm-mcp-bench-rlms:latest"
_CONTAINER_PACKAGES = ("dill", "requests")
_DEPS_FOLDER = "/opt/rlms-deps"
# rlms calls `python`, which Debian's python3 package does not provide.
_DOCKERFILE = f"""\
ARG BASE_IMAGE
FROM ${{BASE_IMAGE}}
COPY deps/ {_DEPS_FOLDER}/
ENV PYTHONPATH={_DEPS_FOLDER}
RUN command -v python >/dev/null || ln -s "$(command -v python3)" /usr/local/bin/python
RUN python -c "import dill, requests"
"""


def default_base_image() -> str:
    """The local CI base image when this engine has it, else the users' default base."""
    import docker
    import docker.errors

    try:
        docker.from_env().images.get(LOCAL_BASE_IMAGE)
    except docker.errors.DockerException:
        return DEFAULT_BASE_IMAGE
    return LOCAL_BASE_IMAGE


def cache_folder() -> Path:
    """Where the reference's virtual environment and wheels are kept between runs."""
    folder = Path(Settings.from_env().cache_dir) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pip(python: Path, *arguments: str) -> str:
    """Run pip of `python`; its output only matters when it fails."""
    completed = subprocess.run([str(python), "-m", "pip", *arguments], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"pip {arguments[0]} failed: {completed.stderr.strip()[-2000:]}")
    return completed.stdout


def reference_python() -> Path:
    """The interpreter of a virtual environment holding `rlms`, created on first use."""
    venv = cache_folder() / "rlms-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if RLMS_REQUIREMENT not in _pip(python, "freeze").split():
        _pip(python, "install", RLMS_REQUIREMENT)
    return python


def _wheels(python: Path) -> list[Path]:
    """Pure-Python wheels of the container's packages and their dependencies, downloaded once."""
    folder = cache_folder() / "container-wheels"
    if not any(folder.glob("requests-*.whl")):
        pure_python = ["--only-binary=:all:", "--platform", "any", "--implementation", "py", "--python-version", "3.10"]
        _pip(python, "download", *_CONTAINER_PACKAGES, "-d", str(folder), *pure_python)
    return sorted(folder.glob("*.whl"))


def build_reference_image(base_image: str, python: Path, tag: str = REFERENCE_IMAGE) -> str:
    """Build `tag` FROM `base_image` with the reference's container packages; return the tag."""
    import docker

    with tempfile.TemporaryDirectory(prefix="rlms-image-") as folder:
        context = Path(folder)
        for wheel in _wheels(python):
            # A pure-Python wheel is a zip of importable folders: unpacked, it is installed.
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(context / "deps")
        (context / "Dockerfile").write_text(_DOCKERFILE)
        docker.from_env().images.build(
            path=str(context), tag=tag, buildargs={"BASE_IMAGE": base_image}, rm=True, pull=False
        )
    return tag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-image", help=f"image to build FROM (default {LOCAL_BASE_IMAGE} if present)")
    args = parser.parse_args()
    python = reference_python()
    image = build_reference_image(args.base_image or default_base_image(), python)
    print(f"rlms in {python.parent.parent}; image {image}")


if __name__ == "__main__":
    main()
