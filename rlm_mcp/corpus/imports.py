"""Import statements from the syntax tree (the module strings as written) and the graph they make.

Python and JS/TS imports are resolved to loaded paths where the target is in the corpus (relative
ones by folder, absolute Python and Java ones by their dotted path); other languages keep the string.
"""

from __future__ import annotations

import functools
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import tree_sitter

from rlm_mcp.corpus.languages import grammar

_JS = """
(import_statement source: (string) @module)
(export_statement source: (string) @module)
(call_expression function: (identifier) @_require arguments: (arguments . (string) @module)
  (#eq? @_require "require"))
(call_expression function: (import) arguments: (arguments . (string) @module))
"""
_C = "(preproc_include path: (_) @module)"
_QUERIES: dict[str, str] = {
    "python": """
        (import_statement name: [(dotted_name) @module (aliased_import name: (dotted_name) @module)])
        (import_from_statement module_name: (_) @module)
        (future_import_statement) @future
    """,
    "javascript": _JS,
    "typescript": _JS,
    "tsx": _JS,
    "go": "(import_spec path: (_) @module)",
    "rust": "(use_declaration argument: (_) @module) (extern_crate_declaration name: (identifier) @module)",
    "java": "(import_declaration) @java",
    "c": _C,
    "cpp": _C,
}
_PY_SUFFIXES = (".py", ".pyi", "/__init__.py", "/__init__.pyi")
_JS_SUFFIXES = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts", "/index.ts", "/index.tsx", "/index.js")
_MAX_MODULE_CHARS = 300


class Import(NamedTuple):
    """One imported module string as written, and its 1-based line."""

    module: str
    line: int


@functools.cache
def _query(language: str) -> tree_sitter.Query | None:
    loaded = grammar(language)
    source = _QUERIES.get(language)
    return tree_sitter.Query(loaded, source) if loaded is not None and source is not None else None


def find_imports(language: str, root: tree_sitter.Node) -> list[Import]:
    """The modules one file imports, in source order (quotes stripped, whitespace collapsed)."""
    query = _query(language)
    if query is None:
        return []
    found: list[tuple[int, Import]] = []
    for capture, nodes in tree_sitter.QueryCursor(query).captures(root).items():
        if capture.startswith("_"):
            continue
        for node in nodes:
            text = _module_text(capture, node)
            if text:
                found.append((node.start_byte, Import(text[:_MAX_MODULE_CHARS], node.start_point[0] + 1)))
    return [item for _, item in sorted(found)]


def _module_text(capture: str, node: tree_sitter.Node) -> str:
    raw = (node.text or b"").decode("utf-8", "replace")
    if capture == "future":
        return "__future__"
    if capture == "java":  # `import static a.b.C.*;` -> a.b.C.*
        words = raw.removeprefix("import").strip().rstrip(";").split()
        return "".join(word for word in words if word != "static")
    return "".join(raw.split()).strip("\"'`<>")


@dataclass
class ImportGraph:
    """Per file (by index) the modules it imports and, where found, the loaded path each resolves to."""

    by_file: dict[int, list[Import]] = field(default_factory=dict)
    resolved: dict[tuple[int, str], int] = field(default_factory=dict)
    """(importing file, module as written) -> index of the loaded file it names."""

    def add(self, file_index: int, imports: list[Import]) -> None:
        if imports:
            self.by_file[file_index] = imports

    def resolve(self, paths: list[str]) -> None:
        """Resolve Python, JS/TS and Java module strings to loaded files where the target is loaded."""
        position = {path: index for index, path in enumerate(paths)}
        dotted = _dotted_suffixes(paths)
        for file_index, imports in self.by_file.items():
            importer = paths[file_index]
            for item in imports:
                target = _resolve(importer, item.module, position, dotted)
                if target is not None and target != file_index:
                    self.resolved[(file_index, item.module)] = target

    def importers(self, module: str, module_path: int | None) -> list[tuple[int, Import]]:
        """Files importing `module` as written (or a submodule of it), or a module that resolves to `module_path`."""
        prefixes = (module + ".", module + "/", module + "::")
        hits = []
        for file_index, imports in sorted(self.by_file.items()):
            for item in imports:
                resolved = self.resolved.get((file_index, item.module))
                if (
                    item.module == module
                    or item.module.startswith(prefixes)
                    or (module_path is not None and resolved == module_path)
                ):
                    hits.append((file_index, item))
        return hits


def _dotted_suffixes(paths: list[str]) -> dict[str, list[int]]:
    """Dotted module name (every tail of the path: `a.b.c`, `b.c`, `c`) -> files it may name (Python, Java)."""
    names: dict[str, list[int]] = defaultdict(list)
    for index, path in enumerate(paths):
        stem, extension = posixpath.splitext(path)
        if extension not in (".py", ".pyi", ".java"):
            continue
        parts = stem.split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            names[".".join(parts[start:])].append(index)
    return names


def _resolve(importer: str, module: str, position: dict[str, int], dotted: dict[str, list[int]]) -> int | None:
    extension = posixpath.splitext(importer)[1]
    folder = posixpath.dirname(importer)
    if extension in (".py", ".pyi"):
        if module.startswith("."):
            level = len(module) - len(module.lstrip("."))
            base = folder
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            rest = module[level:].replace(".", "/")
            stem = posixpath.join(base, rest) if rest else base
            suffixes = _PY_SUFFIXES if rest else ("/__init__.py", "/__init__.pyi")
            return _first(position, (stem + suffix for suffix in suffixes))
        return _unique(dotted.get(module, []))
    if extension == ".java":
        return _unique(dotted.get(module, []))
    if module.startswith(("./", "../")):
        stem = posixpath.normpath(posixpath.join(folder, module))
        bare = posixpath.splitext(stem)[0] if stem.endswith((".js", ".jsx", ".mjs", ".cjs")) else stem
        candidates = [stem + suffix for suffix in _JS_SUFFIXES] + [bare + suffix for suffix in _JS_SUFFIXES]
        return _first(position, candidates)
    return None


def _first(position: dict[str, int], candidates: Iterable[str]) -> int | None:
    return next((position[path] for path in candidates if path in position), None)


def _unique(indexes: list[int]) -> int | None:
    """The one loaded file a dotted name names; None when several could be meant."""
    return indexes[0] if len(indexes) == 1 else None
