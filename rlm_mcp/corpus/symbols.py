"""Definitions (functions, methods, classes) found in a syntax tree, with qualified names.

One tree-sitter query per language finds every definition in C; Python only names them and
nests them by byte range, so the cost stays close to the parse itself.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import tree_sitter

from rlm_mcp.corpus.languages import grammar

FUNCTION = "function"
METHOD = "method"
CLASS = "class"
NAMESPACE = "namespace"

_JS = """
(function_declaration) @function
(generator_function_declaration) @function
(class_declaration) @class
(method_definition) @method
(variable_declarator name: (identifier) value: [(arrow_function) (function_expression)]) @function
"""
_TS = (
    _JS
    + """
(abstract_class_declaration) @class
(interface_declaration) @class
(enum_declaration) @class
(internal_module) @namespace
"""
)
_C = """
(function_definition) @function
(struct_specifier name: (_) body: (_)) @class
(union_specifier name: (_) body: (_)) @class
(enum_specifier name: (_) body: (_)) @class
"""

# Capture names are the kind: "class" covers every type-like scope (struct, trait, impl, ...),
# "namespace" the scopes that only group (C++/C# namespaces, Rust mod, Ruby module).
_QUERIES: dict[str, str] = {
    "python": "(function_definition) @function (class_definition) @class",
    "javascript": _JS,
    "typescript": _TS,
    "tsx": _TS,
    "go": "(function_declaration) @function (method_declaration) @method (type_spec) @class",
    "rust": """
        (function_item) @function
        [(struct_item) (enum_item) (union_item) (trait_item) (impl_item)] @class
        (mod_item) @namespace
    """,
    "java": """
        [(method_declaration) (constructor_declaration)] @method
        [(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
         (annotation_type_declaration)] @class
    """,
    "c": _C,
    "cpp": _C + "(class_specifier name: (_) body: (_)) @class (namespace_definition) @namespace",
    "csharp": """
        [(method_declaration) (constructor_declaration)] @method
        (local_function_statement) @function
        [(class_declaration) (struct_declaration) (interface_declaration) (enum_declaration)
         (record_declaration)] @class
        [(namespace_declaration) (file_scoped_namespace_declaration)] @namespace
    """,
    "ruby": "(method) @function (singleton_method) @method (class) @class (module) @namespace",
    "php": """
        (function_definition) @function
        (method_declaration) @method
        [(class_declaration) (interface_declaration) (trait_declaration) (enum_declaration)] @class
    """,
    "kotlin": "(function_declaration) @function [(class_declaration) (object_declaration)] @class",
    "swift": """
        (function_declaration) @function
        (init_declaration) @method
        [(class_declaration) (protocol_declaration)] @class
    """,
    "scala": """
        (function_definition) @function
        [(class_definition) (object_definition) (trait_definition) (enum_definition)] @class
    """,
    "bash": "(function_definition) @function",
}

# Name-bearing nodes for grammars whose definitions have no "name" field.
_NAME_TYPES = frozenset({"identifier", "type_identifier", "simple_identifier", "constant", "name", "word"})


class Definition(NamedTuple):
    """One definition: its byte range, kind, dotted qualified name and 1-based lines."""

    start_byte: int
    end_byte: int
    kind: str
    name: str
    start_line: int
    end_line: int
    parent: int  # index of the enclosing definition in the same list, -1 at top level


@functools.cache
def _query(language: str) -> tree_sitter.Query | None:
    loaded = grammar(language)
    source = _QUERIES.get(language)
    if loaded is None or source is None:
        return None
    try:
        return tree_sitter.Query(loaded, source)
    except Exception:  # a grammar version without one of the node types: no symbols, still chunks
        return None


def find_definitions(language: str, root: tree_sitter.Node) -> list[Definition]:
    """List every named definition under ``root`` in source order, nested by byte range."""
    query = _query(language)
    if query is None:
        return []
    found: dict[tuple[int, int], tuple[str, tree_sitter.Node]] = {}
    for kind, nodes in tree_sitter.QueryCursor(query).captures(root).items():
        for node in nodes:
            found.setdefault((node.start_byte, -node.end_byte), (kind, node))
    definitions: list[Definition] = []
    open_scopes: list[int] = []  # indexes into definitions, innermost last
    for (start, negative_end), (kind, node) in sorted(found.items()):
        name = _name(language, node)
        if not name:
            continue
        # Sorted by start, so the innermost open scope that still reaches our end contains us.
        while open_scopes and definitions[open_scopes[-1]].end_byte < -negative_end:
            open_scopes.pop()
        parent = open_scopes[-1] if open_scopes else -1
        if parent >= 0:
            enclosing = definitions[parent]
            if kind == FUNCTION and enclosing.kind == CLASS:
                kind = METHOD
            name = f"{enclosing.name}.{name}"
        definitions.append(
            Definition(start, -negative_end, kind, name, node.start_point[0] + 1, node.end_point[0] + 1, parent)
        )
        open_scopes.append(len(definitions) - 1)
    return definitions


def _name(language: str, node: tree_sitter.Node) -> str:
    """The definition's own name: dotted for scoped names (``A::B``), empty when anonymous."""
    if node.type == "init_declaration":
        return "init"
    if node.type == "impl_item":
        named = node.child_by_field_name("type")
    elif language in ("c", "cpp") and node.type == "function_definition":
        named = _innermost_declarator(node)
    else:
        named = node.child_by_field_name("name") or next(
            (child for child in node.named_children if child.type in _NAME_TYPES), None
        )
    if named is None or named.text is None:
        return ""
    text = named.text.decode("utf-8", "replace").split("<", 1)[0].strip()
    if node.type == "method_declaration" and language == "go":
        receiver = _receiver_type(node)
        text = f"{receiver}.{text}" if receiver else text
    return text.replace("::", ".")


def _innermost_declarator(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """Follow C/C++ ``declarator`` fields (pointer, function, reference) down to the name."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None:
        inner = declarator.child_by_field_name("declarator")
        if inner is None and declarator.type == "reference_declarator" and declarator.named_children:
            inner = declarator.named_children[-1]  # no field there: the name is the last child
        if inner is None:
            return declarator
        declarator = inner
    return None


def _receiver_type(node: tree_sitter.Node) -> str:
    """The type a Go method is declared on (``T`` for ``func (t *T) M()``)."""
    receiver = node.child_by_field_name("receiver")
    pending = [receiver] if receiver is not None else []
    while pending:
        current = pending.pop()
        if current.type == "type_identifier" and current.text is not None:
            return current.text.decode("utf-8", "replace")
        pending.extend(reversed(current.named_children))
    return ""
