"""The one interface every sandbox backend implements.

A backend launches the sandbox runtime as a process and hands back a byte stream to its
stdin/stdout; everything above (framing, exec, interrupts) is the same for all backends.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from anyio.abc import ByteStream

CONTEXT_MOUNT = "/context"
"""Where the loaded context folder appears inside an isolated sandbox (read-only)."""


@dataclass(frozen=True)
class LaunchSpec:
    """What one sandbox needs: a name for labels and logs, host paths to expose read-only, paths to hide in them."""

    session: str
    mounts: dict[Path, str] = field(default_factory=dict)  # host file or folder -> path inside the sandbox
    masked: tuple[str, ...] = ()
    """Paths inside the mounts the sandbox must not read (folders end with ``/``); an isolated backend
    hides them, the local backend cannot (it is reported as not isolated)."""


class SandboxProcess(ABC):
    """A running sandbox runtime."""

    stream: ByteStream
    """Frames to the runtime's stdin / from its stdout."""

    paths: dict[Path, str]
    """Host folder -> the path the runtime sees it at (identity for a backend without mounts)."""

    @abstractmethod
    async def kill(self) -> None:
        """Stop the process now and release everything it held; idempotent."""

    @abstractmethod
    async def exit_reason(self) -> str:
        """Why the process is gone (exit code, out of memory, ...), for error messages."""

    @abstractmethod
    def diagnostics(self) -> str:
        """The tail of the runtime's own stderr, to explain a crash."""


class Backend(ABC):
    """Launches sandbox processes of one kind."""

    name: str
    isolation: str
    """One line for status reports: what this backend protects against."""

    @abstractmethod
    async def launch(self, spec: LaunchSpec) -> SandboxProcess:
        """Start the runtime; returns once the process exists (not necessarily ready)."""

    async def aclose(self) -> None:  # noqa: B027 - optional: most backends hold nothing to release
        """Release backend-wide resources (engine connections)."""
