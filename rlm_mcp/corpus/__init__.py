"""Reading a repository (or raw text) into files, tree-sitter chunks and a symbol index.

Plain functions with no knowledge of MCP or the sandbox: ``load_corpus`` / ``load_text``
build a ``Corpus``; ``repartition`` re-chunks one; ``Corpus.payload()`` is what the sandbox gets.
"""

from rlm_mcp.corpus.load import load_corpus, load_text, repartition
from rlm_mcp.corpus.model import Chunk, Corpus, FileInfo, LoadStats, Skipped, Symbol
from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.partition import estimate_tokens
from rlm_mcp.corpus.screen import DEFAULT_SECRET_PATTERNS

__all__ = [
    "DEFAULT_SECRET_PATTERNS",
    "Chunk",
    "Corpus",
    "FileInfo",
    "LoadOptions",
    "LoadStats",
    "Skipped",
    "Symbol",
    "estimate_tokens",
    "load_corpus",
    "load_text",
    "repartition",
]
