"""The docker backend: one locked-down container per session, driven through the docker SDK.

The container runs the sandbox runtime with no network, a read-only root file system, a
tmpfs for scratch, every capability dropped, no new privileges, a non-root user, memory,
CPU and pids limits, no environment, the context folders mounted read-only, no log driver
(nothing it prints reaches the host disk) and optionally another OCI runtime (gVisor's runsc).
Frames travel over the container's attached stdin/stdout; the SDK is blocking and not
thread-safe, so each sandbox has its own client, called through a dedicated thread limiter.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.abc import ByteStream, SocketStream
from anyio.streams.buffered import BufferedByteReceiveStream

from rlm_mcp.backends.base import Backend, LaunchSpec, SandboxProcess
from rlm_mcp.backends.engine import engine_client
from rlm_mcp.backends.image import build_image, is_ours
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable
from rlm_mcp.runtime import ENTRY_POINT, runtime_dir
from rlm_mcp.sizes import parse_size

log = logging.getLogger(__name__)

MANAGED_LABEL = "rlm-mcp.managed"
OWNER_LABEL = "rlm-mcp.owner"
SESSION_LABEL = "rlm-mcp.session"
RUNTIME_MOUNT = "/opt/rlm/sandbox"
SANDBOX_USER = "65534:65534"  # nobody:nogroup, whatever the image's default user is
_DOCKER_CALLS = anyio.CapacityLimiter(8)
_STDERR_TAIL = 64
_STDERR_LINE_CHARS = 400
# The attach stream carries stdout and stderr; the engine's own copy of them (json-file by default,
# unbounded) would let sandbox code fill /var/lib/docker at disk speed, so the container has none.
_NO_LOGS = {"Type": "none", "Config": {}}
GVISOR = "runsc"
T = TypeVar("T")


async def _blocking(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs), limiter=_DOCKER_CALLS)


def _process_start_time(pid: int) -> str:
    """The kernel's start time of `pid`, so a recycled pid is not taken for a live owner."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_identity(pid: int | None = None) -> str:
    """host:pid:start-time of a server process, as stored in its containers' labels."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid)}"


def owner_is_alive(owner: str) -> bool:
    """False only when the owner is on this host and provably gone."""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _process_start_time(pid) == started


class DemuxedStream(ByteStream):
    """The container's stdin/stdout over the attach socket, stderr split off to a callback.

    Without a TTY Docker multiplexes stdout and stderr in frames with an 8-byte header:
    stream kind, three zero bytes, big-endian payload length.
    """

    def __init__(self, raw: SocketStream, on_stderr: Callable[[bytes], None]) -> None:
        self._raw = raw
        self._reader = BufferedByteReceiveStream(raw)
        self._on_stderr = on_stderr
        self._leftover = b""

    async def receive(self, max_bytes: int = 65536) -> bytes:
        while not self._leftover:
            header = await self._reader.receive_exactly(8)
            size = int.from_bytes(header[4:8], "big")
            payload = await self._reader.receive_exactly(size) if size else b""
            if header[0] == 2:
                self._on_stderr(payload)
            else:
                self._leftover = payload
        data, self._leftover = self._leftover[:max_bytes], self._leftover[max_bytes:]
        return data

    async def send(self, item: bytes) -> None:
        await self._raw.send(item)

    async def send_eof(self) -> None:
        await self._raw.send_eof()

    async def aclose(self) -> None:
        await self._raw.aclose()


class DockerSandbox(SandboxProcess):
    """One container; removed (with everything in it) by kill()."""

    def __init__(self, container: Any, attach: Any, raw: SocketStream, paths: dict[Path, str]) -> None:
        self._container = container
        self._attach = attach  # the SDK's wrapper of the attach socket: closed together with the stream
        self._stderr: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.stream = DemuxedStream(raw, self._keep_stderr)
        self.paths = paths
        self._removed = False

    def _keep_stderr(self, payload: bytes) -> None:
        lines = payload.decode(errors="replace").splitlines()[-_STDERR_TAIL:]
        self._stderr.extend(line[:_STDERR_LINE_CHARS] for line in lines)

    async def kill(self) -> None:
        if self._removed:
            return
        self._removed = True
        with anyio.CancelScope(shield=True):
            await self.stream.aclose()
            _close_attach(self._attach)
            try:
                await _blocking(self._container.remove, force=True)
            except Exception as exc:  # already gone, or the engine went away: nothing left to do
                log.debug("removing container %s: %s", self._container.short_id, exc)
            await _blocking(self._container.client.close)

    async def exit_reason(self) -> str:
        try:
            await _blocking(self._container.reload)
        except Exception:
            return "the sandbox container is gone (removed from outside?)"
        state = self._container.attrs.get("State", {})
        if state.get("OOMKilled"):
            return "the sandbox container ran out of memory (raise --memory / RLM_MEMORY if the work needs it)"
        if state.get("Running"):
            return "the sandbox container stopped answering"
        return f"the sandbox container exited with code {state.get('ExitCode')}"

    def diagnostics(self) -> str:
        return "\n".join(self._stderr)


class DockerBackend(Backend):
    """Starts sandbox containers on the engine the docker SDK finds (DOCKER_HOST and friends)."""

    name = "docker"

    def __init__(self, settings: Settings, client: Any) -> None:
        self._settings = settings
        self._client = client
        self._owner = owner_identity()
        self.image_id = ""
        """The id of the sandbox image, once connect() has found it (or its build has made it)."""
        self.building = False
        """True while the missing image is being built; launch() waits for the build."""
        self.build_failed = False
        self._image_ready = anyio.Event()
        self._image_problem: str | None = None
        kernels: dict[str | None, str] = {
            None: "the engine's default runtime: shares the host kernel",
            GVISOR: "gVisor (runsc): a user-space kernel between sandbox code and the host's",
        }
        kernel = kernels.get(settings.runtime, f"runtime {settings.runtime}")
        self.isolation = (
            "docker container: no network, read-only root file system, non-root user, all capabilities "
            "dropped, no-new-privileges, memory/CPU/pids limits, context mounted read-only, no container logs; "
            + kernel
        )

    @classmethod
    async def connect(cls, settings: Settings, build: bool = True) -> DockerBackend:
        """Reach the engine, check the runtime and the image, and remove containers left by dead servers.

        Our own image (rlm-mcp-sandbox:*) missing is built in the background when `build`, so the
        caller (an MCP handshake) need not wait; without `build`, launch() says how to build it.
        """
        client = await _blocking(engine_client)
        backend = cls(settings, client)
        try:
            await backend._check_runtime()
            await backend._check_image(build)
            await backend.remove_orphans()
        except BaseException:
            await backend.aclose()
            raise
        return backend

    async def _check_image(self, build: bool) -> None:
        import docker.errors

        settings = self._settings
        try:
            image = await _blocking(self._client.images.get, settings.image)
        except docker.errors.ImageNotFound:
            if not is_ours(settings.image):
                raise SandboxUnavailable(
                    f"Docker image {settings.image!r} is not on this engine. Pull it (`docker pull {settings.image}`), "
                    f"build ours under that name (`rlm-mcp sandbox build --tag {settings.image}`), or unset --image / "
                    "RLM_IMAGE for the recommended image, which rlm-mcp builds by itself."
                ) from None
            if build:
                self._start_build()
            else:
                self._image_problem = (
                    f"the sandbox image {settings.image} is not built yet: `rlm-mcp serve` builds it on first start "
                    f"FROM {settings.base_image} (--base-image / RLM_BASE_IMAGE), or build it now with "
                    f"`rlm-mcp doctor --fix` or `rlm-mcp sandbox build --tag {settings.image}`"
                )
                self._image_ready.set()
            return
        self.image_id = str(image.id)
        self._image_ready.set()

    async def image_ready(self) -> str | None:
        """Once the image is there or its build is over: None, or why sandboxes cannot start (not built, failed)."""
        await self._image_ready.wait()
        return self._image_problem

    def _start_build(self) -> None:
        """Build our missing image in a daemon thread (an exit mid-build must not wait for it); progress to the log."""
        settings = self._settings
        token = anyio.lowlevel.current_token()
        self.building = True

        def build() -> None:
            image_id, problem = "", None
            try:
                image_id = build_image(
                    settings.image, settings.base_image, log=lambda line: log.info("image: %s", line)
                )
            except SandboxUnavailable as exc:
                problem = str(exc)
            except Exception as exc:  # a thread of its own: nothing above would ever see this
                problem = f"building {settings.image} failed: {exc!r}. `rlm-mcp sandbox build` shows the whole error."
            with contextlib.suppress(RuntimeError):  # the server's event loop has ended meanwhile
                anyio.from_thread.run_sync(self._built, image_id, problem, token=token)

        threading.Thread(target=build, name="rlm-mcp image build", daemon=True).start()

    def _built(self, image_id: str, problem: str | None) -> None:
        self.image_id, self._image_problem, self.building, self.build_failed = image_id, problem, False, bool(problem)
        if problem:
            log.error("%s", problem)
        else:
            log.info("built the sandbox image %s (%s)", self._settings.image, image_id[:19])
        self._image_ready.set()

    async def runtimes(self) -> tuple[list[str], str]:
        """The OCI runtimes the engine offers, and its default one."""
        info = await _blocking(self._client.info)
        return sorted(info.get("Runtimes") or {}), str(info.get("DefaultRuntime", "runc"))

    async def _check_runtime(self) -> None:
        wanted = self._settings.runtime
        if wanted is None:
            return
        available, _ = await self.runtimes()
        if wanted not in available:
            hint = " (install gVisor and register runsc with the engine)" if wanted == GVISOR else ""
            raise SandboxUnavailable(
                f"this Docker engine has no runtime {wanted!r}{hint}; it offers {', '.join(available) or 'none'}. "
                "Pick one of those with --runtime / RLM_RUNTIME, or unset it for the engine's default."
            )

    async def remove_orphans(self) -> list[str]:
        """Remove our containers whose server process is gone; return their names."""
        # Other servers remove their containers while we list: one gone meanwhile is not an error.
        containers = await _blocking(
            self._client.containers.list, all=True, filters={"label": MANAGED_LABEL}, ignore_removed=True
        )
        removed = []
        for container in containers:
            if owner_is_alive(container.labels.get(OWNER_LABEL, "")):
                continue
            try:
                await _blocking(container.remove, force=True)
                removed.append(container.name)
            except Exception as exc:
                log.warning("could not remove orphaned container %s: %s", container.name, exc)
        if removed:
            log.info("removed %d container(s) left by a server that is gone: %s", len(removed), removed)
        return removed

    async def launch(self, spec: LaunchSpec) -> SandboxProcess:
        problem = await self.image_ready()
        if problem:
            raise SandboxUnavailable(problem)
        with anyio.CancelScope(shield=True):  # a cancelled caller must not drop a started container
            container, attach, raw_socket = await _blocking(self._create_and_start, spec)
            stream = await SocketStream.from_socket(raw_socket)
        return DockerSandbox(container, attach, stream, dict(spec.mounts))

    def _create_and_start(self, spec: LaunchSpec) -> tuple[Any, Any, socket.socket]:
        import docker
        import docker.errors

        client = docker.from_env()  # one client per container: the SDK is not thread-safe
        try:
            return self._create_and_start_with(client, spec)
        except docker.errors.DockerException as exc:
            client.close()
            raise SandboxUnavailable(
                f"the Docker engine refused to start the sandbox of session {spec.session!r}: {exc}. "
                "`rlm-mcp doctor` checks the engine and the image; --backend local runs without isolation."
            ) from None
        except BaseException:
            client.close()
            raise

    def _create_and_start_with(self, client: Any, spec: LaunchSpec) -> tuple[Any, Any, socket.socket]:
        settings = self._settings
        volumes = {str(runtime_dir()): {"bind": RUNTIME_MOUNT, "mode": "ro"}}
        volumes.update({str(host): {"bind": inside, "mode": "ro"} for host, inside in spec.mounts.items()})
        masks = _masks(spec.masked)
        memory = parse_size(settings.memory)
        container = client.containers.create(
            settings.image,
            command=["python3", "-s", "-E", "-B", f"{RUNTIME_MOUNT}/{ENTRY_POINT}"],
            entrypoint=[],
            stdin_open=True,
            tty=False,
            user=SANDBOX_USER,
            working_dir="/tmp",
            environment={},
            network_mode="none",
            log_config=_NO_LOGS,
            runtime=settings.runtime,
            read_only=True,
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={parse_size(settings.scratch)}"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=int(settings.cpus * 1e9),
            pids_limit=settings.pids,
            volumes=volumes,
            mounts=masks,
            labels={MANAGED_LABEL: "1", OWNER_LABEL: self._owner, SESSION_LABEL: spec.session},
        )
        attach = None
        try:
            # Attach before start so not a byte of the runtime's output is missed.
            attach = client.api.attach_socket(container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            raw_socket = getattr(attach, "_sock", attach)
            if not isinstance(raw_socket, socket.socket):
                raise SandboxUnavailable(
                    "this Docker engine is reached over TLS or SSH, which the docker backend cannot stream "
                    "through yet; use a local or plain-TCP engine, or --backend local"
                )
            container.start()
        except BaseException:
            if attach is not None:
                _close_attach(attach)
            container.remove(force=True)
            raise
        return container, attach, raw_socket

    async def aclose(self) -> None:
        await _blocking(self._client.close)


def _masks(paths: tuple[str, ...]) -> list[Any]:
    """Mounts hiding ``paths`` inside the read-only context: /dev/null over a file, an empty tmpfs over a folder."""
    from docker.types import Mount

    return [
        Mount(path.rstrip("/"), None, type="tmpfs", read_only=True, tmpfs_size=4096)
        if path.endswith("/")
        else Mount(path, "/dev/null", type="bind", read_only=True)
        for path in paths
    ]


def _close_attach(attach: Any) -> None:
    """Close the SDK's attach wrapper and the raw socket under it (closing the wrapper alone leaves it open)."""
    getattr(attach, "_sock", attach).close()
    attach.close()
