"""How a corpus is loaded: filters, caps, chunk budget, cache and parallelism."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlm_mcp.corpus.screen import DEFAULT_SECRET_PATTERNS


@dataclass(frozen=True)
class LoadOptions:
    """Settings of one load; every field has a safe default."""

    include: tuple[str, ...] = ()
    """Gitignore-style globs; when given, only files matching one of them are loaded, vendored or lock files too."""
    exclude: tuple[str, ...] = ()
    """Gitignore-style globs of files and folders to leave out."""
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
    """Names that look like secrets and are never loaded (empty tuple to allow all)."""
    screen_lines: bool = True
    """Withhold secret lines (tokens, private key blocks) of the files that are loaded."""
    gitignore: bool = True
    """Honour ``.gitignore`` files (nested ones too) and ``.git/info/exclude``, except for files git tracks."""
    max_file_bytes: int = 2_000_000
    """Files larger than this are skipped (listed as ``too_large``)."""
    max_total_bytes: int = 512_000_000
    """Once this many bytes are loaded, later files are skipped (``total_cap``)."""
    chunk_tokens: int = 1500
    """Chunk budget in estimated tokens (bytes / 4)."""
    cache_dir: Path | None = None
    """Where the per-repository index cache lives; ``None`` disables the on-disk cache."""
    workers: int = 0
    """Processes for parsing on a cold load; 0 picks the CPU count, 1 parses in-process."""
