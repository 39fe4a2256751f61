"""Turning what the user asked to load (a folder, a file or a glob) into a root and a filter."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rlm_mcp.errors import ContextError

_GLOB_CHARACTERS = frozenset("*?[")
# Folders that are never a context themselves (their subfolders may be): the whole system, or
# everyone's files. The home folder itself is refused too: it holds every credential at once.
SYSTEM_FOLDERS = frozenset(
    """
    / /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root /run /sbin
    /snap /srv /sys /tmp /usr /var /Applications /Library /System /Users /Volumes /private
    /private/etc /private/tmp /private/var
    """.split()  # noqa: SIM905 - a word list reads better than 30 one-per-line literals
)


@dataclass(frozen=True)
class Source:
    """A resolved source: the folder paths are relative to, and how files under it are chosen."""

    kind: Literal["folder", "file", "glob"]
    root: Path
    pattern: str = ""
    """For a glob, the gitignore-style pattern anchored at ``root``; for a file, its path under ``root``."""
    named: str = ""
    """For a file, the name it was given (a symlink's own name), screened as well as ``pattern``."""
    outside: Path | None = None
    """For a file that is a symlink leaving its folder: where it points (it is not followed)."""


def resolve_source(source: str | os.PathLike[str]) -> Source:
    """Classify ``source`` and find its root; raise ``ContextError`` when it names nothing."""
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.is_dir():
        root = path.resolve()
        refuse_system_folder(root, text)
        return Source("folder", root)
    if path.is_file():
        folder = path.absolute().parent.resolve()
        resolved = path.resolve()
        if not resolved.is_relative_to(folder):
            return Source("file", folder, path.name, path.name, outside=resolved)
        return Source("file", folder, resolved.relative_to(folder).as_posix(), path.name)
    parts = path.parts
    first_glob = next((i for i, part in enumerate(parts) if _GLOB_CHARACTERS & set(part)), None)
    if first_glob is None:
        expanded = f" ({path.absolute()})" if str(path.absolute()) != text else ""
        raise ContextError(
            f"{text!r}{expanded} does not exist. Pass an existing folder or file, a glob such as "
            "'src/**/*.py', or kind='text' to load the string itself as raw text."
        )
    root = Path(*parts[:first_glob]) if first_glob else Path(".")
    if not root.is_dir():
        raise ContextError(f"The folder {str(root)!r} in the glob {text!r} does not exist; check the path.")
    refuse_system_folder(root.resolve(), text)
    return Source("glob", root.resolve(), "/" + "/".join(parts[first_glob:]))


def shown_source(source: str | os.PathLike[str]) -> str:
    """How a path source is reported: absolute, with ``~`` expanded (``.`` becomes the folder's path)."""
    return os.path.abspath(os.path.expanduser(os.fspath(source)))


def refuse_system_folder(folder: Path, source: str) -> None:
    """Raise ``ContextError`` when ``folder`` is ``/``, a system folder or the home folder itself."""
    if str(folder) in SYSTEM_FOLDERS or folder == Path("~").expanduser().resolve():
        raise ContextError(
            f"{source!r} would load {folder} as a whole: a system or home folder is never loaded, nor shown "
            "to the sandbox; load the project folder inside it, or name the file itself (e.g. /etc/hostname)."
        )
