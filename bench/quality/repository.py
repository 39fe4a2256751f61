"""The repository the quality questions run over: the standard library, plus pinned sdists, copied to a size.

Only `.py` files outside test folders that parse are copied, in an order shuffled by the seed,
repeated (copy0/, copy1/, ...) until the size is reached, so the same seed builds the same tree on
the same Python. The sdists' own packages (click/, idna/) join the stdlib when `packages` is given.
Needles (one comment line each) are then planted inside functions of distinct files.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import os
import random
import subprocess
import sys
import sysconfig
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rlm_mcp.errors import RLMError

BYTES_PER_TOKEN = 4
"""The project's token estimate (rlm_mcp.corpus.partition), so '1M tokens' means the same there."""
_SKIPPED_FOLDERS = {"site-packages", "__pycache__", "test", "tests", "idle_test"}


@dataclass(frozen=True)
class Package:
    """A pinned PyPI sdist whose package folder joins the tree."""

    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}.tar.gz"


PACKAGES = (
    Package("click", "8.1.7", "ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de"),
    Package("idna", "3.7", "028ff3aadf0609c1fd278d8ea3089299412a7a8b9bd005dd08b9f8285bcb5cfc"),
)


class PackagesMissing(RLMError):
    """A pinned sdist is not in the folder it is read from, or is not the pinned file."""


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
        return _text_parses(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return False


def _text_parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def package_sources(folder: Path, packages: Sequence[Package] = PACKAGES) -> list[tuple[str, str]]:
    """(path, text) of the parseable `.py` files of each sdist's own package (src/ layout or not), sorted."""
    found = []
    for package in packages:
        archive = folder / package.filename
        if not archive.is_file() or hashlib.sha256(data := archive.read_bytes()).hexdigest() != package.sha256:
            raise PackagesMissing(
                f"{archive} is missing or not the pinned {package.filename}: run python -m bench.quality "
                f"--fetch-packages (pip download --no-deps --no-binary :all: "
                f"{' '.join(f'{p.name}=={p.version}' for p in packages)} -d {folder})"
            )
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                parts = member.name.split("/")[1:]
                parts = parts[1:] if parts[:1] == ["src"] else parts
                if member.isfile() and parts[:1] == [package.name] and parts[-1].endswith(".py"):
                    extracted = tar.extractfile(member)
                    text = extracted.read().decode("utf-8", "replace") if extracted else ""
                    if not _SKIPPED_FOLDERS.intersection(parts) and _text_parses(text):
                        found.append(("/".join(parts), text))
    return sorted(found)


def fetch_packages(folder: Path, packages: Sequence[Package] = PACKAGES) -> None:
    """Download the pinned sdists into `folder` with pip (only when asked: --fetch-packages)."""
    folder.mkdir(parents=True, exist_ok=True)
    pins = [f"{package.name}=={package.version}" for package in packages]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(folder), *pins]
    subprocess.run(command, check=True)
    package_sources(folder, packages)  # checks the hashes


def build(target: Path, tokens: int, seed: int | str, packages: Path | None = None) -> Repository:
    """Copy stdlib files (and the pinned sdists' in `packages`) into `target` to about `tokens`, in the seed's order."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    pool = [(path.relative_to(stdlib).as_posix(), path.read_text(encoding="utf-8")) for path in stdlib_sources()]
    pool += package_sources(packages) if packages is not None else []  # sorted, after the stdlib's walk order
    random.Random(seed).shuffle(pool)
    sources: dict[str, str] = {}
    size = 0
    copy = 0
    while size < tokens * BYTES_PER_TOKEN:
        for name, text in pool:
            relative = f"copy{copy}/{name}"
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
