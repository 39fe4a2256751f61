"""The local backend: the sandbox runtime as a plain subprocess of the server.

For machines without Docker. It is NOT isolated: user code can read and write whatever the
server's user can, and reach the network. It gets no API keys (a minimal environment), no
capabilities and no way to gain any (so even under root it cannot read the non-dumpable server's
/proc files, where the keys are), its own process group (so it is killed whole), a scratch
working folder, and a memory limit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections import deque
from pathlib import Path

import anyio
from anyio.abc import ByteStream, Process, TaskGroup
from anyio.streams.stapled import StapledByteStream

from rlm_mcp.backends.base import Backend, LaunchSpec, SandboxProcess
from rlm_mcp.config import Settings
from rlm_mcp.hardening import launcher_command
from rlm_mcp.runtime import ENTRY_POINT, runtime_dir
from rlm_mcp.sizes import parse_size

_STDERR_TAIL = 64


class LocalSandbox(SandboxProcess):
    """One runtime subprocess; its stderr is drained into a short tail for diagnostics."""

    def __init__(self, process: Process, scratch: Path, paths: dict[Path, str]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._scratch = scratch
        self._stderr: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.stream: ByteStream = StapledByteStream(process.stdin, process.stdout)
        self.paths = paths

    async def drain_stderr(self) -> None:
        """Keep the last lines the runtime wrote to stderr; ends when the process does."""
        if self._process.stderr is None:
            return
        async for chunk in self._process.stderr:
            self._stderr.extend(chunk.decode(errors="replace").splitlines()[-_STDERR_TAIL:])

    async def kill(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True):
            await self._process.wait()
            await self.stream.aclose()
        shutil.rmtree(self._scratch, ignore_errors=True)

    async def exit_reason(self) -> str:
        with anyio.move_on_after(2):
            await self._process.wait()
        code = self._process.returncode
        if code is None:
            return "the sandbox process stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return f"the sandbox process was killed by {name}{hint}"
        return f"the sandbox process exited with code {code}"

    def diagnostics(self) -> str:
        return "\n".join(self._stderr)


class LocalBackend(Backend):
    """Runs sandboxes as subprocesses of this server, with the same runtime as Docker."""

    name = "local"

    def __init__(self, settings: Settings, tasks: TaskGroup, reason: str = "--backend local") -> None:
        self._memory_bytes = parse_size(settings.memory)
        self._tasks = tasks
        self.isolation = (
            f"NONE, NOT isolated ({reason}): local subprocess with the server's user rights, file system and "
            "network (no API keys in its environment, no capabilities; memory-limited)"
        )

    async def launch(self, spec: LaunchSpec) -> SandboxProcess:
        scratch = Path(tempfile.mkdtemp(prefix=f"rlm-{spec.session}-"))
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(scratch),
            "LANG": "C.UTF-8",
        }
        process = await anyio.open_process(
            launcher_command(str(runtime_dir() / ENTRY_POINT), "--limit-memory", str(self._memory_bytes)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=scratch,
            env=environment,
            start_new_session=True,
        )
        sandbox = LocalSandbox(process, scratch, {host: str(host) for host in spec.mounts})
        self._tasks.start_soon(sandbox.drain_stderr)
        return sandbox
