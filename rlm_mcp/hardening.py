"""Keeping the server's secrets from processes of its own user, such as a local-backend sandbox.

The server holds provider API keys in its environment. A non-dumpable process has its
/proc/<pid>/environ, mem and maps closed to every process without CAP_SYS_PTRACE, its own user's
included; root holds that capability, so a local sandbox also gives up all of its capabilities
(run as `python3 hardening.py RUNTIME ARGS...`). Standard library only: it runs before the runtime.
"""

from __future__ import annotations

import ctypes
import os
import sys

_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522
_INTERPRETER_FLAGS = ("-s", "-E", "-B")


def _libc() -> ctypes.CDLL | None:
    return ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _prctl(option: int, argument: int, more: int = 0) -> bool:
    """One prctl(2) call; False where it fails or the OS has none."""
    libc = _libc()
    return libc is not None and int(libc.prctl(option, argument, more, 0, 0)) == 0


def _clear_capability_sets() -> None:
    """capset(2) with empty effective, permitted and inheritable sets (two 32-bit words each)."""
    libc = _libc()
    if libc is not None:
        header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
        libc.capset(header, (ctypes.c_uint32 * 6)())


def make_non_dumpable() -> bool:
    """Close this process's /proc files (environ: the API keys) and core dumps; False where the OS cannot."""
    return _prctl(_PR_SET_DUMPABLE, 0)


def _last_capability() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as last:
            return int(last.read())
    except (OSError, ValueError):
        return 63


def drop_capabilities() -> None:
    """Give up, for this process and whatever it executes, every capability and every way to gain one back."""
    _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
    if os.geteuid() == 0:  # only root has a bounding set worth emptying (and CAP_SETPCAP to do it)
        for capability in range(_last_capability() + 1):
            _prctl(_PR_CAPBSET_DROP, capability)
        _clear_capability_sets()
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)  # setuid programs and file capabilities grant nothing after this


def launcher_command(runtime: str, *arguments: str) -> list[str]:
    """The command that runs the sandbox `runtime` script with `arguments` after drop_capabilities()."""
    # -I -S: this first stage needs neither site-packages nor our folder on sys.path, and starts ~3x faster.
    return [sys.executable, "-I", "-S", "-B", os.path.abspath(__file__), runtime, *arguments]


if __name__ == "__main__":
    drop_capabilities()
    os.execv(sys.executable, [sys.executable, *_INTERPRETER_FLAGS, *sys.argv[1:]])
