"""The on-disk index cache: one marshal file per repository root, one entry per file.

An entry is reused while the file's size, mtime_ns and ctime_ns are unchanged, so a warm reload
reads no file at all. ctime is in the key because ``cp -p``, ``rsync -a`` and ``tar x`` restore
the mtime of an edited file, while any write moves its ctime and no call can set it back.
marshal is used because loading tens of thousands of plain tuples is several times faster with
it than with pickle or sqlite.
"""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlm_mcp.corpus.partition import ChunkRow, ParsedFile, SymbolRow
from rlm_mcp.corpus.walk import FileStat
from rlm_mcp.private_files import write_private

# Bump whenever partitioning or the entry layout changes: older files are then ignored.
CACHE_FORMAT = "rlm-corpus-5"
# Chunk lists kept per file, one per budget; the oldest budget is dropped beyond this.
MAX_BUDGETS = 4


@dataclass(slots=True)
class FileEntry:
    """What the cache knows about one file at a given size, mtime and ctime.

    Either a verdict (``reason`` set: the file was skipped by content, e.g. binary) or its
    hash, language, line count, symbols and chunk lists per budget.
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    reason: str = ""
    sha: str = ""
    language: str = ""
    lines: int = 0
    symbols: tuple[SymbolRow, ...] = ()
    chunks: dict[int, tuple[ChunkRow, ...]] = field(default_factory=dict)
    parse_error: bool = False

    @classmethod
    def of(cls, stat: FileStat, parsed: ParsedFile, chunk_tokens: int) -> FileEntry:
        """The entry for a freshly partitioned file."""
        return cls(
            *stat,
            sha=parsed.sha,
            language=parsed.language,
            lines=parsed.lines,
            symbols=parsed.symbols,
            chunks={chunk_tokens: parsed.chunks},
            parse_error=parsed.parse_error,
        )

    @property
    def stat(self) -> FileStat:
        """The stat this entry was made at."""
        return FileStat(self.size, self.mtime_ns, self.ctime_ns)

    def parsed(self, chunk_tokens: int) -> ParsedFile | None:
        """The partition at ``chunk_tokens`` if this entry holds it."""
        chunks = self.chunks.get(chunk_tokens)
        if chunks is None:
            return None
        return ParsedFile(self.sha, self.language, self.size, self.lines, chunks, self.symbols, self.parse_error)

    def add_chunks(self, chunk_tokens: int, chunks: tuple[ChunkRow, ...]) -> None:
        """Remember another budget's chunks, forgetting the oldest beyond ``MAX_BUDGETS``."""
        self.chunks.pop(chunk_tokens, None)
        self.chunks[chunk_tokens] = chunks
        while len(self.chunks) > MAX_BUDGETS:
            del self.chunks[next(iter(self.chunks))]

    def dump(self) -> tuple[Any, ...]:
        """The entry as a plain tuple in field order, which marshal can store."""
        return tuple(getattr(self, name) for name in self.__slots__)


def cache_file(cache_dir: Path, root: Path) -> Path:
    """The cache file of one repository root."""
    digest = hashlib.blake2b(str(root).encode(), digest_size=10).hexdigest()
    return cache_dir / f"{digest}.marshal"


def read_cache(cache_dir: Path, root: Path) -> dict[str, FileEntry]:
    """The cached entries of ``root`` by relative path; empty when absent, stale or corrupt."""
    try:
        with cache_file(cache_dir, root).open("rb") as handle:
            stored = marshal.load(handle)
        format_tag, stored_root, entries = stored
        if format_tag != CACHE_FORMAT or stored_root != str(root):
            return {}
        return {path: FileEntry(*row) for path, row in entries.items()}
    except (OSError, EOFError, ValueError, TypeError):
        return {}  # a missing or unreadable cache only costs a cold load


def write_cache(cache_dir: Path, root: Path, entries: dict[str, FileEntry]) -> None:
    """Replace the cache file of ``root`` atomically (0600 in a 0700 folder: it lists the repository's files)."""
    data = marshal.dumps((CACHE_FORMAT, str(root), {path: entry.dump() for path, entry in entries.items()}))
    write_private(cache_file(cache_dir, root), data)
