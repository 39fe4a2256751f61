"""The repository the quality tasks run over: the Python standard library copied to a token size.

Only `.py` files outside test folders that parse are copied, in an order shuffled by the seed,
repeated (copy0/, copy1/, ...) until the size is reached, so the same seed builds the same tree.
"""

from __future__ import annotations

import ast
import functools
import os
import random
import sysconfig
from dataclasses import dataclass
from pathlib import Path

BYTES_PER_TOKEN = 4
"""The project's token estimate (rlm_mcp.corpus.partition), so '1M tokens' means the same there."""
_SKIPPED_FOLDERS = {"site-packages", "__pycache__", "test", "tests", "idle_test"}


@dataclass(frozen=True)
class Repository:
    """A built tree: its root and every file's text by relative path."""

    root: Path
    sources: dict[str, str]

    @property
    def tokens(self) -> int:
        return sum(len(text.encode()) for text in self.sources.values()) // BYTES_PER_TOKEN


@functools.cache
def stdlib_sources() -> tuple[Path, ...]:
    """The standard library's parseable, UTF-8 `.py` files, sorted."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for folder, subfolders, names in os.walk(stdlib):
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        found.extend(Path(folder, name) for name in sorted(names) if name.endswith(".py"))
    return tuple(path for path in found if not path.is_symlink() and _parses(path))


def _parses(path: Path) -> bool:
    try:
        ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return False
    return True


def build(target: Path, tokens: int, seed: int) -> Repository:
    """Copy stdlib files into `target` until about `tokens` tokens, in the seed's order."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = list(stdlib_sources())
    random.Random(seed).shuffle(files)
    sources: dict[str, str] = {}
    size = 0
    copy = 0
    while size < tokens * BYTES_PER_TOKEN:
        for source in files:
            relative = f"copy{copy}/{source.relative_to(stdlib).as_posix()}"
            text = source.read_text(encoding="utf-8")
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            sources[relative] = text
            size += len(text.encode())
            if size >= tokens * BYTES_PER_TOKEN:
                break
        copy += 1
    return Repository(target, sources)
