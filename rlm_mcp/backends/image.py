"""Building the recommended sandbox image from the Dockerfile and the runtime shipped with us."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.runtime import dockerfile_path, runtime_dir

DEFAULT_BASE_IMAGE = "python:3.12-slim"


def build_image(tag: str, base_image: str = DEFAULT_BASE_IMAGE, log: Callable[[str], None] = print) -> str:
    """Build the sandbox image as `tag` on `base_image` (no pull if it is local); return its id."""
    import docker
    import docker.errors

    with tempfile.TemporaryDirectory(prefix="rlm-image-") as folder:
        context = Path(folder)
        shutil.copy(dockerfile_path(), context / "Dockerfile")
        shutil.copytree(runtime_dir(), context / "sandbox", ignore=shutil.ignore_patterns("__pycache__"))
        try:
            with contextlib.closing(docker.from_env()) as client:
                image, output = client.images.build(
                    path=str(context), tag=tag, buildargs={"BASE_IMAGE": base_image}, rm=True, pull=False
                )
        except docker.errors.BuildError as exc:
            lines = "".join(str(entry.get("stream", entry.get("error", ""))) for entry in exc.build_log)
            raise SandboxUnavailable(f"building {tag} failed: {exc.msg}\n{lines[-3000:]}") from None
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(f"cannot build {tag}: {exc}. Is a Docker engine running?") from None
    for entry in output:
        text = str(entry.get("stream", "")).rstrip()
        if text:
            log(text)
    return str(image.id)
