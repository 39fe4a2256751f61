"""The repository the quality questions run over: the Python standard library copied to a token size.

Only `.py` files outside test folders that parse are copied, in an order shuffled by the seed,
repeated (copy0/, copy1/, ...) until the size is reached, so the same seed builds the same tree on
the same Python. Needles (one comment line each) are then planted inside functions of distinct files.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import random
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BYTES_PER_TOKEN = 4
"""The project's token estimate (rlm_mcp.corpus.partition), so '1M tokens' means the same there."""
_SKIPPED_FOLDERS = {"site-packages", "__pycache__", "test", "tests", "idle_test"}


@dataclass(frozen=True)
class Needle:
    """One planted fact: the comment `The access code of vault <vault> is <code>.` at path:line."""

    vault: str
    code: str
    path: str
    line: int
    indent: int

    @property
    def text(self) -> str:
        return f"The access code of vault {self.vault} is {self.code}."


@dataclass(frozen=True)
class Repository:
    """A built tree: its root and every file's text by relative path."""

    root: Path
    sources: dict[str, str]

    @property
    def tokens(self) -> int:
        return sum(len(text.encode()) for text in self.sources.values()) // BYTES_PER_TOKEN

    def fingerprint(self) -> str:
        """sha256 over every path and text: equal trees, equal fingerprints."""
        digest = hashlib.sha256()
        for path in sorted(self.sources):
            digest.update(f"{path}\0{len(self.sources[path])}\0".encode())
            digest.update(self.sources[path].encode())
        return digest.hexdigest()


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


def build(target: Path, tokens: int, seed: int | str) -> Repository:
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


def needle_places(repo: Repository, rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    """(path, line, indent) of the first body line of `count` functions drawn from distinct files."""
    candidates: dict[str, list[tuple[int, int]]] = {}
    for path in sorted(repo.sources):
        for node in ast.walk(ast.parse(repo.sources[path])):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body[0].lineno > node.lineno:
                candidates.setdefault(path, []).append((node.body[0].lineno, node.body[0].col_offset))
    paths = rng.sample(sorted(candidates), count)
    return [(path, *rng.choice(candidates[path])) for path in paths]


def plant(repo: Repository, needles: Sequence[Needle]) -> None:
    """Insert each needle's comment before its line, in the files and in `repo.sources`."""
    for needle in needles:
        lines = repo.sources[needle.path].splitlines(keepends=True)
        lines.insert(needle.line - 1, f"{' ' * needle.indent}# {needle.text}\n")
        text = "".join(lines)
        (repo.root / needle.path).write_text(text, encoding="utf-8")
        repo.sources[needle.path] = text
