"""Building the recommended sandbox image from the Dockerfile and the runtime shipped with us.

`serve` builds it by itself when the engine lacks it (backends/docker.py), `doctor --fix` and
`sandbox build` on request. Blocking (the docker SDK); every failure says the command that fixes it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rlm_mcp.backends.engine import engine_client
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.runtime import dockerfile_path, runtime_dir

DEFAULT_BASE_IMAGE: str = Settings.base_image
SANDBOX_REPOSITORY = "rlm-mcp-sandbox"
"""Our image's name: a missing image of this name (any tag) is ours to build; any other is the user's."""
_LISTED_IMAGES = 8
_LOG_TAIL_CHARS = 3000


def is_ours(image: str) -> bool:
    """Whether `image` is a tag of our own image (rlm-mcp-sandbox:TAG), which may be built when missing."""
    name, _, _ = image.partition("@")
    repository, colon, tag = name.rpartition(":")
    return (repository if colon and "/" not in tag else name) == SANDBOX_REPOSITORY


def build_image(tag: str, base_image: str, log: Callable[[str], None]) -> str:
    """Build the sandbox image as `tag` FROM `base_image` (pulled only when not local); return its id.

    `log` gets the pull's and the build's progress, one line at a time; no default, as print would write
    into the MCP channel of a stdio `serve`.
    """
    with contextlib.closing(engine_client()) as client:
        _ensure_base(client, tag, base_image, log)
        with tempfile.TemporaryDirectory(prefix="rlm-image-") as folder:
            context = Path(folder)
            shutil.copy(dockerfile_path(), context / "Dockerfile")
            shutil.copytree(runtime_dir(), context / "sandbox", ignore=shutil.ignore_patterns("__pycache__"))
            log(f"building {tag} FROM {base_image}")

            def build() -> None:
                steps = client.api.build(
                    path=str(context), tag=tag, buildargs={"BASE_IMAGE": base_image}, rm=True, forcerm=True, decode=True
                )
                _follow_build(steps, tag, base_image, log)

            _docker_calls(tag, base_image, build)
        return str(_docker_calls(tag, base_image, lambda: client.images.get(tag)).id)


def _ensure_base(client: Any, tag: str, base_image: str, log: Callable[[str], None]) -> None:
    """Pull `base_image` unless the engine has it; when it cannot, say which local image to build on instead."""
    import docker.errors

    try:
        client.images.get(base_image)
        return
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.DockerException as exc:
        raise _engine_failed(tag, base_image, exc) from None
    log(f"pulling {base_image} (not on this engine yet)")
    try:
        statuses = client.api.pull(base_image, stream=True, decode=True)
        shown = ""
        for entry in statuses:
            if "error" in entry:
                raise SandboxUnavailable(_no_base(client, tag, base_image, str(entry["error"])))
            status = str(entry.get("status", ""))
            if status != shown and "id" not in entry:  # layer-by-layer progress would be hundreds of lines
                log(f"pull: {status}")
                shown = status
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(_no_base(client, tag, base_image, _reason(exc))) from None


def _follow_build(output: Iterable[dict[str, Any]], tag: str, base_image: str, log: Callable[[str], None]) -> None:
    """Pass the build's lines on to `log`; a build step that fails becomes an error with the build's tail."""
    lines: list[str] = []
    for entry in output:
        if "error" in entry:
            tail = "\n".join(lines)[-_LOG_TAIL_CHARS:]
            raise SandboxUnavailable(
                f"building {tag} FROM {base_image} failed: {entry['error']}\n{tail}\n"
                f"The base image needs python3 >= 3.10. Build on another with "
                f"`rlm-mcp sandbox build --tag {tag} --base-image IMAGE` (or set RLM_BASE_IMAGE=IMAGE), or point "
                "--image / RLM_IMAGE at any local image that has python3."
            )
        text = str(entry.get("stream", "")).rstrip()
        if text:
            lines.append(text)
            log(text)


def _docker_calls(tag: str, base_image: str, call: Callable[[], Any]) -> Any:
    """`call`, with the SDK's failures (the engine went away, refused the build) said in our words."""
    import docker.errors

    try:
        return call()
    except docker.errors.DockerException as exc:
        raise _engine_failed(tag, base_image, exc) from None


def _engine_failed(tag: str, base_image: str, exc: Exception) -> SandboxUnavailable:
    return SandboxUnavailable(
        f"the Docker engine failed building {tag} FROM {base_image}: {_reason(exc)}. "
        f"Retry with `rlm-mcp sandbox build --tag {tag} --base-image {base_image}`; `rlm-mcp doctor` checks the engine."
    )


def _no_base(client: Any, tag: str, base_image: str, reason: str) -> str:
    """The message for a base image that is neither local nor pullable (an offline engine): what to run instead."""
    return (
        f"cannot build the sandbox image {tag}: its base image {base_image} is not on this engine and pulling it "
        f"failed ({reason}). Build on a local image that has python3 >= 3.10 instead: "
        f"`rlm-mcp sandbox build --tag {tag} --base-image IMAGE`, or set RLM_BASE_IMAGE=IMAGE (--base-image) "
        f"and `serve` builds it by itself. {_local_images(client)}"
    )


def _local_images(client: Any) -> str:
    """A few of the engine's tagged images, as candidates for --base-image."""
    try:
        tags = sorted({name for image in client.images.list() for name in image.tags})
    except Exception:  # only a hint: the message stands without it
        return ""
    if not tags:
        return "This engine has no images at all."
    more = f" and {len(tags) - _LISTED_IMAGES} more" if len(tags) > _LISTED_IMAGES else ""
    return f"Images on this engine: {', '.join(tags[:_LISTED_IMAGES])}{more}."


def _reason(exc: Exception) -> str:
    """The engine's own explanation in an SDK error, without the SDK's request details."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)
