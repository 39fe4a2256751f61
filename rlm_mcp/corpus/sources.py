"""Turning what the user asked to load (a folder, a file or a glob) into a root and a filter."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rlm_mcp.errors import ContextError

_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Source:
    """A resolved source: the folder paths are relative to, and how files under it are chosen."""

    kind: Literal["folder", "file", "glob"]
    root: Path
    pattern: str = ""
    """For a glob, the gitignore-style pattern anchored at ``root``; for a file, its name."""


def resolve_source(source: str | os.PathLike[str]) -> Source:
    """Classify ``source`` and find its root; raise ``ContextError`` when it names nothing."""
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.is_dir():
        return Source("folder", path.resolve())
    if path.is_file():
        resolved = path.resolve()
        return Source("file", resolved.parent, resolved.name)
    parts = path.parts
    first_glob = next((i for i, part in enumerate(parts) if _GLOB_CHARACTERS & set(part)), None)
    if first_glob is None:
        raise ContextError(
            f"{text!r} does not exist. Pass an existing folder or file, a glob such as "
            "'src/**/*.py', or load the text itself as raw text."
        )
    root = Path(*parts[:first_glob]) if first_glob else Path(".")
    if not root.is_dir():
        raise ContextError(f"The folder {str(root)!r} in the glob {text!r} does not exist; check the path.")
    return Source("glob", root.resolve(), "/" + "/".join(parts[first_glob:]))
