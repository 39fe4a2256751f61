"""Walking a folder: which files are candidates to load, and which paths were left out and why.

Only names and ``stat`` are used here (no file is read except ``.gitignore``; git lists what it
tracks), so a warm reload of a large tree stays cheap; content checks happen when a file is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from rlm_mcp._sandbox.wire import PathPatterns
from rlm_mcp.corpus.junk import junk_by_name
from rlm_mcp.corpus.patterns import PatternSet
from rlm_mcp.corpus.screen import has_binary_extension

_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
UNDECODABLE = "undecodable_name"
"""Skip reason of a name that is not UTF-8: no path, chunk id or message can carry it, so it is listed escaped."""


class RememberedPatterns:
    """The agent's `PathPatterns` with their answers remembered (bounded): a warm reload asks again for every path.

    The dialect matches in linear time but in Python, ~30x slower than pathspec's regexes; remembered,
    a reload with the same filters costs a dict lookup per path.
    """

    MAX_REMEMBERED = 200_000

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._patterns = PathPatterns(list(patterns))
        self._answers: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, path: str) -> bool:
        answer = self._answers.get(path)
        if answer is None:
            if len(self._answers) >= self.MAX_REMEMBERED:
                self._answers.clear()
            answer = self._answers[path] = self._patterns.matches(path)
        return answer


class FileStat(NamedTuple):
    """What a file's ``stat`` says about whether it changed: a cache entry is reused only while all three match."""

    size: int
    mtime_ns: int
    ctime_ns: int
    """Moved by any write or chmod and, unlike the mtime, never set back by ``cp -p``, ``rsync -a`` or ``tar x``."""

    @classmethod
    def of(cls, stat: os.stat_result) -> FileStat:
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


MISSING = FileStat(-1, -1, -1)
"""The stat of a file that vanished: it matches no cache entry."""


@dataclass
class Walk:
    """The outcome of walking one root: candidate files in walk order and skipped paths."""

    files: list[tuple[str, FileStat]] = field(default_factory=list)
    """(posix path relative to the root, its stat)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason); folders end with ``/``."""
    vcs: list[str] = field(default_factory=list)
    """Version-control folders (``.git/``): left out of the manifest, yet hidden from the sandbox."""


@dataclass(frozen=True)
class WalkRules:
    """What to leave out while walking; patterns are gitignore-style, relative to the root.

    The agent's include/exclude (and a glob source) are the helpers' one dialect, `PathPatterns`
    (linear-time, whatever the agent writes); secret patterns and .gitignore files keep git's rules.
    """

    include: tuple[RememberedPatterns, ...]
    """Every non-empty set must select a file for it to be kept (user include, glob source)."""
    exclude: RememberedPatterns
    secrets: PatternSet
    max_file_bytes: int
    gitignore: bool = True
    root_secrets: PatternSet | None = None
    """Secret patterns naming folders (``.aws/``, ``**/.kube/config``), also matched below ``root_prefix``."""
    root_prefix: str = ""
    """The root's own folders (``home/me/.aws/``), so that loading ``~/.aws`` itself is screened."""
    prune_excluded: bool = True
    """Skip an excluded folder whole; off when an ``!pattern`` may take files under it back."""
    tracked: frozenset[str] | None = None
    """What git tracks under the root (files and their folders, ``a/b/``): loaded even where a .gitignore matches."""
    junk: bool = True
    """Skip vendored folders, lock files and generated or minified names (off when the load names its files)."""

    def is_secret(self, path: str) -> bool:
        """Whether ``path`` (relative to the root) is withheld as a secret, by its own name or its root's."""
        if self.secrets.matches(path):
            return True
        return self.root_secrets is not None and self.root_secrets.matches(self.root_prefix + path)


def walk(root: Path, rules: WalkRules) -> Walk:
    """List the files under ``root`` that pass ``rules``; never follows a symlink."""
    result = Walk()
    root_text = str(root)
    ignores: list[tuple[str, PatternSet]] = []
    if rules.gitignore:
        ignores = _ignore_file(root / ".git" / "info" / "exclude", "")
    # Each pending folder carries the gitignore rules in force there: (prefix, PatternSet) pairs.
    pending: list[tuple[str, list[tuple[str, PatternSet]]]] = [("", ignores)]
    while pending:
        prefix, inherited = pending.pop()
        folder = os.path.join(root_text, prefix) if prefix else root_text
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            result.skipped.append((prefix or "./", "unreadable"))
            continue
        rules_here = inherited
        if rules.gitignore and any(entry.name == ".gitignore" for entry in entries):
            rules_here = inherited + _ignore_file(Path(folder) / ".gitignore", prefix)
        subfolders: list[str] = []
        for entry in entries:
            shown = _shown_name(entry.name)
            path = prefix + shown
            reason = UNDECODABLE if shown != entry.name else _reason(entry, path, root_text, rules, rules_here)
            if reason == "vcs":
                result.vcs.append(path + "/")  # in every repository: listing it would only crowd the manifest
                continue
            if reason:
                result.skipped.append((path + "/" if _is_dir(entry) else path, reason))
            elif _is_dir(entry):
                subfolders.append(path + "/")
            else:
                stat = entry.stat(follow_symlinks=False)
                if stat.st_size > rules.max_file_bytes:
                    result.skipped.append((path, "too_large"))
                else:
                    result.files.append((path, FileStat.of(stat)))
        # Reversed so that popping visits folders in name order, keeping the walk deterministic.
        pending.extend((sub, rules_here) for sub in reversed(subfolders))
    return result


def _shown_name(name: str) -> str:
    """``name`` itself if it is UTF-8, else its bytes with the invalid ones escaped (``caf\\xe9.py``)."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return os.fsencode(name).decode(errors="backslashreplace")
    return name


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _reason(
    entry: os.DirEntry[str], path: str, root: str, rules: WalkRules, ignores: list[tuple[str, PatternSet]]
) -> str:
    """Why ``entry`` is left out, or ``""`` to keep it (folders are kept to be walked)."""
    if entry.name in _VCS_DIRS:
        return "vcs"
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        inside = target == root or target.startswith(root + os.sep)
        # Inside the root the target is indexed under its own path; outside it is never read.
        return "symlink" if inside else "symlink_outside_root"
    is_dir = _is_dir(entry)
    if not is_dir and not entry.is_file(follow_symlinks=False):
        return "special"  # sockets, fifos, devices
    checked = path + "/" if is_dir else path
    if rules.is_secret(checked):
        return "secret"
    if _ignored(checked, ignores) and not (rules.tracked and checked in rules.tracked):
        return "gitignored"
    if rules.exclude and (not is_dir or rules.prune_excluded) and rules.exclude.matches(checked):
        return "excluded"
    junk = junk_by_name(entry.name, is_dir) if rules.junk else ""
    if junk or is_dir:
        return junk
    if not all(patterns.matches(path) for patterns in rules.include if patterns):
        return "not_included"
    if has_binary_extension(path):
        return "binary"
    return ""


def _ignored(path: str, ignores: list[tuple[str, PatternSet]]) -> bool:
    """Apply gitignore files deepest first: the nearest one with a matching pattern decides."""
    for prefix, patterns in reversed(ignores):
        if not path.startswith(prefix):
            continue
        verdict = patterns.check(path[len(prefix) :])
        if verdict is not None:
            return verdict
    return False


def _ignore_file(file: Path, prefix: str) -> list[tuple[str, PatternSet]]:
    """The rules of one ignore file, scoped to the folder ``prefix`` it sits in."""
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    patterns = PatternSet(lines)
    return [(prefix, patterns)] if patterns else []
