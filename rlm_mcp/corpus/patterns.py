"""Gitignore-style pattern sets, fast in the common case where nothing matches.

Checking every path of a large tree against every pattern one by one costs ~10 us per path;
one combined regex answers "no pattern matches" in one step, which is most paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pathspec

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")
_ANY_FOLDER = "^(?:.+/)?"


class PatternSet:
    """Gitignore-style patterns (``*.py``, ``build/``, ``!keep.log``, ``/src/**``) over posix paths."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(list(lines))
        # Group names repeat between patterns; the combined prefilter only needs plain groups.
        regexes = [
            _NAMED_GROUP.sub("(?:", pattern.regex.pattern)
            for pattern in self._spec.patterns
            if pattern.regex is not None
        ]
        # Name-only patterns ("*.pem") share one "start or after a slash" test instead of each
        # scanning the whole path, which keeps the prefilter near one pass per path.
        names = [regex[len(_ANY_FOLDER) :] for regex in regexes if regex.startswith(_ANY_FOLDER)]
        others = [regex for regex in regexes if not regex.startswith(_ANY_FOLDER)]
        alternatives = ([f"(?:^|/)(?:{'|'.join(names)})"] if names else []) + [f"(?:{o})" for o in others]
        self._prefilter = re.compile("|".join(alternatives)) if alternatives else None

    def __bool__(self) -> bool:
        return self._prefilter is not None

    def check(self, path: str) -> bool | None:
        """``True`` if the last matching pattern includes ``path``, ``False`` if it negates it, else ``None``.

        Directories are checked with a trailing ``/``.
        """
        if self._prefilter is None or not self._prefilter.search(path):
            return None
        return self._spec.check_file(path).include

    def matches(self, path: str) -> bool:
        """Whether ``path`` is selected by the patterns (matched and not negated)."""
        return self.check(path) is True
