"""Chunk sizes on real repositories, ours against `astchunk` (the cAST implementation) on the same files.

For each repository under the bench's repository folder (see `repositories.py`) and each language
with a grammar, every file is partitioned at the default budget (1,500 tokens = 6,000 bytes). Where
astchunk supports the language (Python, Java, C#, TypeScript), the same files go through its
`ASTChunkBuilder` with `max_chunk_size` set to the same number; its unit is non-whitespace
characters, so its chunks may hold more bytes: "over budget" counts bytes for both, and astchunk's
count in its own unit is given beside it. A chunk's size is the span of source bytes it covers;
"bytes lost" are file bytes that no chunk covers (ours must tile every file exactly).

Goal (issue 14): at most as many chunks under 100 bytes as astchunk makes, none over budget, nothing lost.
Run: python -m bench --only chunks [--quick]
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlm_mcp.corpus.languages import detect_language, parser
from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, partition

from .repositories import find_repository

FULL = ("core", "containerd", "kafka", "redis", "sqlalchemy")
QUICK = ("core",)
SMALL_BYTES = 100
_SKIPPED_FOLDERS = frozenset({".git", "node_modules", "vendor", "third_party"})
_MAX_FILE_BYTES = 2_000_000
# Our language name -> astchunk's (it parses TypeScript with the TSX grammar).
ASTCHUNK_LANGUAGES = {
    "python": "python",
    "java": "java",
    "csharp": "csharp",
    "typescript": "typescript",
    "tsx": "typescript",
}
INSTALL_ASTCHUNK = "pip install 'rlm-mcp[bench]' (or: pip install astchunk)"


@dataclass
class Sizes:
    """The chunks one chunker made of some files: their sizes in bytes and what they failed to cover."""

    files: int = 0
    sizes: list[int] = field(default_factory=list)
    bytes_lost: int = 0
    nonspace_bytes_lost: int = 0
    over_own_unit: int = 0
    failed_files: int = 0
    seconds: float = 0.0

    def __add__(self, other: Sizes) -> Sizes:
        """These figures and ``other``'s together."""
        return Sizes(
            self.files + other.files,
            self.sizes + other.sizes,
            self.bytes_lost + other.bytes_lost,
            self.nonspace_bytes_lost + other.nonspace_bytes_lost,
            self.over_own_unit + other.over_own_unit,
            self.failed_files + other.failed_files,
            self.seconds + other.seconds,
        )

    def figures(self, budget: int) -> dict[str, Any]:
        """The distribution as the bench reports it."""
        small = sum(size < SMALL_BYTES for size in self.sizes)
        return {
            "files": self.files,
            "chunks": len(self.sizes),
            "under_100": small,
            "under_100_share": round(small / len(self.sizes), 4) if self.sizes else 0.0,
            "median_bytes": statistics.median(self.sizes) if self.sizes else 0,
            "over_budget": sum(size > budget for size in self.sizes),
            "over_budget_own_unit": self.over_own_unit,
            "bytes_lost": self.bytes_lost,
            "nonspace_bytes_lost": self.nonspace_bytes_lost,
            "failed_files": self.failed_files,
            "seconds": round(self.seconds, 2),
        }


def source_files(root: Path) -> Iterator[tuple[str, str, bytes]]:
    """(relative path, language, bytes) of every text file with a grammar, skipping vendored folders."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in _SKIPPED_FOLDERS)
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
            language = detect_language(name, data)
            if b"\0" not in data[:8192] and parser(language) is not None:
                yield str(path.relative_to(root)), language, data


def _ours(path: str, data: bytes, chunk_tokens: int, into: Sizes) -> None:
    started = time.perf_counter()
    chunks = partition(path, data, chunk_tokens).chunks
    into.seconds += time.perf_counter() - started
    into.files += 1
    into.sizes.extend(row[2] - row[1] for row in chunks)
    into.bytes_lost += len(data) - len(b"".join(data[row[1] : row[2]] for row in chunks))


def _gaps(data: bytes, spans: list[tuple[int, int]]) -> Iterator[bytes]:
    """The bytes of ``data`` that no span covers, run by run."""
    position = 0
    for start, end in sorted(spans):
        if start > position:
            yield data[position:start]
        position = max(position, end)
    if position < len(data):
        yield data[position:]


def _astchunk(builder: Any, data: bytes, into: Sizes) -> None:
    """One file through astchunk's own steps (windows, then chunks), keeping each chunk's byte span."""
    started = time.perf_counter()
    try:
        code = data.decode("utf-8")
        tree = builder.parser.parse(data)
        windows = list(builder.assign_tree_to_windows(code, tree.root_node))
        chunks = builder.convert_windows_to_chunks(windows, {}, chunk_expansion=False)
    except Exception:  # a file astchunk cannot take is counted, not fatal
        into.failed_files += 1
        return
    finally:
        into.seconds += time.perf_counter() - started
    into.files += 1
    spans = [(chunk.brange.start, chunk.brange.stop) for chunk in chunks]
    into.sizes.extend(end - start for start, end in spans)
    into.over_own_unit += sum(chunk.size > builder.max_chunk_size for chunk in chunks)
    for gap in _gaps(data, spans):
        into.bytes_lost += len(gap)
        into.nonspace_bytes_lost += len(gap.translate(None, b" \t\r\n\f\v"))


def _builders(budget: int) -> dict[str, Any] | str:
    """astchunk's builder per language we compare, or why astchunk cannot run here."""
    try:
        from astchunk import ASTChunkBuilder
    except ImportError:
        return f"astchunk is not installed: {INSTALL_ASTCHUNK}"
    return {
        ours: ASTChunkBuilder(max_chunk_size=budget, language=theirs, metadata_template="default")
        for ours, theirs in ASTCHUNK_LANGUAGES.items()
    }


def measure(root: Path, chunk_tokens: int) -> dict[str, Any]:
    """Per language of one repository: our figures and, where it applies, astchunk's on the same files."""
    budget = chunk_tokens * BYTES_PER_TOKEN
    builders = _builders(budget)
    ours: dict[str, Sizes] = {}
    theirs: dict[str, Sizes] = {}
    for path, language, data in source_files(root):
        _ours(path, data, chunk_tokens, ours.setdefault(language, Sizes()))
        if isinstance(builders, dict) and language in builders:
            _astchunk(builders[language], data, theirs.setdefault(language, Sizes()))
    languages: dict[str, Any] = {}
    for language, sizes in sorted(ours.items(), key=lambda item: -len(item[1].sizes)):
        entry: dict[str, Any] = {"ours": sizes.figures(budget)}
        if language in theirs:
            entry["astchunk"] = theirs[language].figures(budget)
        languages[language] = entry
    figures: dict[str, Any] = {"languages": languages, "all": sum(ours.values(), Sizes()).figures(budget)}
    if theirs:
        figures["compared"] = {
            "languages": sorted(theirs),
            "ours": sum((ours[language] for language in theirs), Sizes()).figures(budget),
            "astchunk": sum(theirs.values(), Sizes()).figures(budget),
        }
    if isinstance(builders, str):
        figures["astchunk_skipped"] = builders
    return figures


def _met(entry: dict[str, Any]) -> bool:
    ours, theirs = entry["ours"], entry.get("astchunk")
    fair = ours["over_budget"] == 0 and ours["bytes_lost"] == 0
    return fair and (theirs is None or ours["under_100"] <= theirs["under_100"])


def run(quick: bool, chunk_tokens: int | None = None) -> dict[str, Any]:
    """The chunk-size distribution of each repository found, ours against astchunk's."""
    tokens = chunk_tokens or LoadOptions().chunk_tokens
    results: dict[str, Any] = {"budget_tokens": tokens, "budget_bytes": tokens * BYTES_PER_TOKEN, "repositories": {}}
    missing = []
    for name in QUICK if quick else FULL:
        root = find_repository(name)
        if root is None:
            missing.append(name)
            continue
        print(f"bench: chunks: {name} ...", flush=True)
        results["repositories"][name] = measure(root, tokens)
    if missing:
        results["missing"] = missing
    if not results["repositories"]:
        return {"skipped": f"no repository found ({', '.join(missing)}): {find_repository.__doc__}"}
    entries = [entry for repo in results["repositories"].values() for entry in repo["languages"].values()]
    results["goal_met"] = all(_met(entry) for entry in entries)
    return results
