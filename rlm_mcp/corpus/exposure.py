"""What the sandbox may see of a loaded corpus: the host paths to mount and the paths to hide in them.

The sandbox reads files from a read-only mount, so the mount is the boundary: a file named on its
own is mounted alone, a glob mounts the deepest folder holding its matches, a folder itself; every
path the manifest does not list under it (secrets, ignored or skipped files, ``.git``, files whose
secret lines were withheld) is hidden. Hidden folders without a listed file in them are hidden
whole, which keeps the count small; when it is still too large, the listed files are mounted one
by one instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rlm_mcp.corpus.sources import refuse_system_folder
from rlm_mcp.corpus.walk import UNDECODABLE
from rlm_mcp.errors import ContextError

MAX_MASKS = 1000
"""Most paths one sandbox hides (or files it mounts one by one); each costs about 0.3 ms at start."""

# Links resolve inside the sandbox's own file system, never to the host's: nothing to hide.
_HARMLESS = frozenset({"symlink", "symlink_outside_root"})


@dataclass(frozen=True)
class Exposure:
    """Host paths under ``root`` shown read-only, and paths inside them hidden.

    Paths are posix and relative to ``root``: ``""`` is the root itself, hidden folders end with ``/``.
    """

    root: Path
    shown: tuple[str, ...]
    hidden: tuple[str, ...]
    listed: tuple[str, ...]
    """The files the sandbox reads from the mount (the manifest's files less the redacted ones)."""
    sensitive: tuple[str, ...] = ()
    """The hidden paths that hold secrets (secret files and folders, redacted files), before folding."""

    def mounts(self, inside: str) -> dict[Path, str]:
        """Host path -> sandbox path of each mount, with ``root`` seen at ``inside``."""
        return {self.root / path: _join(inside, path) for path in self.shown}

    def masked(self, inside: str) -> tuple[str, ...]:
        """The sandbox paths to hide, with ``root`` seen at ``inside``; folders end with ``/``."""
        return tuple(_join(inside, path) for path in self.hidden)

    def where(self, host: Path, paths: Mapping[Path, str]) -> str:
        """Where the host folder ``host`` (under ``root``) is seen, given a sandbox's host -> sandbox paths."""
        relative = host.relative_to(self.root).as_posix()
        for shown in self.shown:
            inside = paths.get(self.root / shown)
            if inside is not None:
                base = inside[: len(inside) - len(shown)].rstrip("/") if shown else inside
                return base if relative == "." else f"{base}/{relative}"
        return str(host)

    def covers(self, other: Exposure) -> bool:
        """Whether a sandbox with this exposure serves ``other`` too: it shows all ``other`` lists, no secret of it.

        What else it shows was listed, and so screened, by this exposure's own load.
        """
        if not other.root.is_relative_to(self.root):
            return False
        prefix = other.root.relative_to(self.root).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        shown, hidden = frozenset(self.shown), frozenset(self.hidden)
        return all(_visible(prefix + path, shown, hidden) for path in other.listed) and not any(
            _visible(prefix + path, shown, hidden) for path in other.sensitive
        )


def expose(
    root: Path,
    kind: Literal["folder", "file", "glob"],
    listed: Iterable[str],
    redacted: Iterable[str],
    withheld: Iterable[tuple[str, str]],
) -> Exposure:
    """The exposure of a corpus: its kind, files, files shipped redacted, and withheld ``(path, reason)`` pairs.

    Raises ``ContextError`` when a glob's folder is a system folder, or when more than
    ``MAX_MASKS`` paths would have to be hidden and as many files mounted one by one.
    """
    redacted = set(redacted)
    files = list(listed)
    mounted = tuple(path for path in files if path not in redacted)
    withheld = list(withheld)
    sensitive = (*(path for path, reason in withheld if reason == "secret"), *sorted(redacted))
    if kind == "file" or (kind == "glob" and len(files) == 1):
        return Exposure(root, mounted, (), mounted, sensitive)
    base = _common_folder(files) if kind == "glob" else ""
    refuse_system_folder(root / base, str(root / base))
    below = base + "/" if base else ""
    hide = [path for path, reason in withheld if reason not in _HARMLESS and path.startswith(below)]
    hidden = _collapse(below, [*hide, *sorted(redacted)], mounted)
    # A name that is not UTF-8 is listed escaped and cannot be masked by it: only a folder can hide it.
    unnamed = {path for path, reason in withheld if reason == UNDECODABLE}
    if len(hidden) <= MAX_MASKS and unnamed.isdisjoint(hidden):
        return Exposure(root, (base,), hidden, mounted, sensitive)
    if len(mounted) <= MAX_MASKS:
        return Exposure(root, mounted, (), mounted, sensitive)
    raise ContextError(
        f"{root / base} has {len(hidden):,} withheld paths (secrets, ignored or skipped files) among "
        f"{len(mounted):,} loaded files, more than the sandbox can hide ({MAX_MASKS:,}); load a subfolder, "
        "or exclude whole folders (exclude=['vendor/']) so that fewer paths need hiding."
    )


def _join(inside: str, path: str) -> str:
    return f"{inside}/{path}" if path else inside


def _ancestors(path: str) -> Iterable[str]:
    """``a/``, ``a/b/`` for ``a/b/c`` (or ``a/b/c/``): the folders ``path`` is in, outermost first."""
    start = 0
    while (slash := path.find("/", start)) != -1 and slash != len(path) - 1:
        yield path[: slash + 1]
        start = slash + 1


def _visible(path: str, shown: frozenset[str], hidden: frozenset[str]) -> bool:
    folders = list(_ancestors(path))
    if "" not in shown and path.rstrip("/") not in shown and not any(folder[:-1] in shown for folder in folders):
        return False
    return path not in hidden and not any(folder in hidden for folder in folders)


def _common_folder(paths: list[str]) -> str:
    """The deepest folder (posix, no trailing slash, ``""`` for the root) holding every path."""
    common = paths[0].split("/")[:-1]
    for path in paths[1:]:
        parts = path.split("/")[:-1]
        size = 0
        while size < min(len(common), len(parts)) and common[size] == parts[size]:
            size += 1
        common = common[:size]
    return "/".join(common)


def _collapse(below: str, withheld: list[str], mounted: tuple[str, ...]) -> tuple[str, ...]:
    """Hide each withheld path by its outermost folder under ``below`` that holds no mounted file."""
    occupied = {folder for path in mounted for folder in _ancestors(path)}
    chosen: set[str] = set()
    for path in withheld:
        if path == "./":
            continue  # the root itself was unreadable: nothing of it was read, nothing to hide in it
        target = next(
            (folder for folder in _ancestors(path) if len(folder) > len(below) and folder not in occupied), path
        )
        chosen.add(target)
    folders = {path for path in chosen if path.endswith("/")}
    return tuple(sorted(path for path in chosen if not any(folder in folders for folder in _ancestors(path))))
