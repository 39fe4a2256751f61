"""Which language a file is written in, and the tree-sitter parser for it.

Grammars come from the per-language wheels installed with rlm-mcp (no network), are loaded
only for languages actually met, and a grammar that fails to load yields ``None`` so the
caller falls back to line windows instead of crashing.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import PurePosixPath

import tree_sitter

# language -> (module, function returning the grammar's language pointer)
GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "swift": ("tree_sitter_swift", "language"),
    "scala": ("tree_sitter_scala", "language"),
    "bash": ("tree_sitter_bash", "language"),
    "lua": ("tree_sitter_lua", "language"),
    "sql": ("tree_sitter_sql", "language"),
    "hcl": ("tree_sitter_hcl", "language"),
    "html": ("tree_sitter_html", "language"),
    # Single-file components: HTML structure; their <script> and <style> blocks get their own grammar.
    "vue": ("tree_sitter_html", "language"),
    "svelte": ("tree_sitter_html", "language"),
    "css": ("tree_sitter_css", "language"),
    "json": ("tree_sitter_json", "language"),
    "yaml": ("tree_sitter_yaml", "language"),
    "toml": ("tree_sitter_toml", "language"),
}

MARKUP = frozenset({"html", "vue", "svelte"})
"""Languages parsed as HTML whose script and style blocks are parsed again by their own grammar."""
MARKDOWN = "markdown"
RST = "rst"
PROTO = "proto"
NOTEBOOK = "notebook"
OUTLINED = frozenset({MARKDOWN, RST, PROTO, NOTEBOOK})
"""Languages without a grammar of their own that are still split along their structure (headings, blocks, cells)."""
TEXT = "text"

_EXTENSIONS: dict[str, str] = {
    **dict.fromkeys([".py", ".pyi", ".pyw"], "python"),
    **dict.fromkeys([".js", ".mjs", ".cjs", ".jsx"], "javascript"),
    **dict.fromkeys([".ts", ".mts", ".cts"], "typescript"),
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    **dict.fromkeys([".c", ".h"], "c"),
    **dict.fromkeys([".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp"], "cpp"),
    ".cs": "csharp",
    **dict.fromkeys([".rb", ".rake", ".gemspec"], "ruby"),
    **dict.fromkeys([".php", ".phtml"], "php"),
    **dict.fromkeys([".kt", ".kts"], "kotlin"),
    ".swift": "swift",
    **dict.fromkeys([".scala", ".sc"], "scala"),
    **dict.fromkeys([".sh", ".bash"], "bash"),
    ".lua": "lua",
    ".sql": "sql",
    **dict.fromkeys([".tf", ".tfvars", ".hcl", ".nomad"], "hcl"),
    **dict.fromkeys([".html", ".htm", ".xhtml"], "html"),
    ".vue": "vue",
    ".svelte": "svelte",
    ".css": "css",
    **dict.fromkeys([".json", ".jsonl", ".jsonc", ".json5", ".geojson", ".webmanifest"], "json"),
    **dict.fromkeys([".yaml", ".yml"], "yaml"),
    ".toml": "toml",
    ".proto": PROTO,
    ".ipynb": NOTEBOOK,
    **dict.fromkeys([".md", ".markdown", ".mdx"], MARKDOWN),
    **dict.fromkeys([".rst", ".rest"], RST),
    # Text formats without a grammar: named so the manifest's breakdown is informative.
    **dict.fromkeys([".xml", ".xsd", ".xsl", ".svg"], "xml"),
    **dict.fromkeys([".scss", ".sass", ".less"], "scss"),
    **dict.fromkeys([".txt", ".log"], TEXT),
}

_FILENAMES: dict[str, str] = {
    "Rakefile": "ruby",
    "Gemfile": "ruby",
    ".bashrc": "bash",
    ".bash_profile": "bash",
    ".profile": "bash",
}

_SHEBANGS: dict[str, str] = {"python": "python", "bash": "bash", "sh": "bash", "node": "javascript"}

# A ``.h`` is C unless its own text uses syntax only C++ has: C++ projects often name headers ``.h``,
# and the C grammar reads their templates and operators as functions named ``if`` or ``o``. Decided
# per file (not by the folder's other files) so the index cache, keyed by content, stays right.
_CPP_ONLY = re.compile(
    rb"^[ \t]*(?:template[ \t]*<|namespace(?:[ \t]+[\w:]+)?[ \t]*\{|(?:public|private|protected)[ \t]*:"
    rb"|class[ \t]+\w+[^;(\n]*(?:\{|:|$)|using[ \t]+(?:namespace[ \t]+)?[\w:]+[ \t]*[;=])|\bstd::|\bconstexpr\b",
    re.MULTILINE,
)
_HEADER_SNIFF_BYTES = 65536


def detect_language(path: str, head: bytes = b"") -> str:
    """Name the language of ``path`` from its extension, its name, or a shebang in ``head``.

    ``head`` is the file's bytes (or their start); a ``.h`` is C++ when its first 64 KiB use C++-only syntax.
    """
    name = PurePosixPath(path).name
    language = _FILENAMES.get(name) or _EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if language == "c" and name.endswith(".h") and _CPP_ONLY.search(head, 0, _HEADER_SNIFF_BYTES):
        return "cpp"
    if language:
        return language
    if head.startswith(b"#!"):
        interpreter = head[2:].split(b"\n", 1)[0].split()
        # "#!/usr/bin/env python3" names the program after env; otherwise the path's last part.
        words = [w.rsplit(b"/", 1)[-1].decode("ascii", "replace") for w in interpreter]
        program = words[1] if words[:1] == ["env"] and len(words) > 1 else (words[0] if words else "")
        return _SHEBANGS.get(program.rstrip("0123456789."), TEXT)
    return TEXT


@functools.cache
def grammar(language: str) -> tree_sitter.Language | None:
    """Load the grammar of ``language`` once; ``None`` when there is none or it fails to load."""
    spec = GRAMMARS.get(language)
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec[0])
        return tree_sitter.Language(getattr(module, spec[1])())
    except Exception:  # any broken wheel degrades to line windows rather than failing the load
        return None


def structured(language: str) -> bool:
    """Whether files of ``language`` are chunked along their structure, not in plain line windows."""
    return language in OUTLINED or grammar(language) is not None


@functools.cache
def parser(language: str) -> tree_sitter.Parser | None:
    """Return the cached parser for ``language``, or ``None`` when it has no usable grammar."""
    loaded = grammar(language)
    return tree_sitter.Parser(loaded) if loaded is not None else None
