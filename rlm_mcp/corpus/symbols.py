"""Definitions (functions, methods, classes) found in a syntax tree, with qualified names.

One tree-sitter query per language finds every definition in C; Python only names them and
nests them by byte range, so the cost stays close to the parse itself. Rust macro bodies at item
level (``cfg_rt! { ... }``) are token trees to the grammar, so they are parsed again as items.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import tree_sitter

from rlm_mcp.corpus.languages import grammar, parser

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
# A body is required: ``X(const X&) = delete;`` and ``~X() = default;`` parse as function_definition too.
_C = """
(function_definition body: (_)) @function
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
    "go": "(function_declaration) @function (method_declaration) @method [(type_spec) (type_alias)] @class",
    "rust": """
        [(function_item) (function_signature_item)] @function
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
    "lua": "(function_declaration) @function",
    # Terraform's top-level blocks (resource, module, variable, ...); nested blocks are their settings.
    "hcl": "(config_file (body (block) @class))",
    "sql": """
        [(create_table) (create_view) (create_materialized_view) (create_type)] @class
        [(create_function) (create_trigger)] @function
    """,
}

# Name-bearing nodes for grammars whose definitions have no "name" field.
_NAME_TYPES = frozenset({"identifier", "type_identifier", "simple_identifier", "constant", "name", "word"})
# Rust types an impl may name through a wrapper: ``impl R for &mut T`` is an impl of ``T``.
_C_NOT_NAMES = frozenset({"", "if", "else", "for", "while", "do", "switch", "case", "return", "sizeof", "goto", "void"})
_RUST_WRAPPERS = {"reference_type": "type", "pointer_type": "type", "dynamic_type": "trait", "generic_type": "type"}
# Where a Rust macro invocation stands for items (not an expression), and how deep macro bodies nest.
_RUST_ITEM_PARENTS = frozenset({"source_file", "declaration_list"})
# Items that hold items (``mod m { ... }``, impls, traits): macro invocations inside them count too.
_RUST_ITEM_HOLDERS = frozenset({"mod_item", "impl_item", "trait_item"})
_MAX_MACRO_DEPTH = 8


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
    found: dict[tuple[int, int], tuple[str, tree_sitter.Node, int]] = {}
    _capture(language, query, root, found, 0, 0, 0)
    definitions: list[Definition] = []
    open_scopes: list[int] = []  # indexes into definitions, innermost last
    for (start, negative_end), (kind, node, row_shift) in sorted(found.items()):
        name = _name(language, node)
        if not name or _in_anonymous_class(node):
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
        first, last = node.start_point[0] + 1 + row_shift, node.end_point[0] + 1 + row_shift
        definitions.append(Definition(start, -negative_end, kind, name, first, last, parent))
        open_scopes.append(len(definitions) - 1)
    return definitions


def _capture(
    language: str,
    query: tree_sitter.Query,
    root: tree_sitter.Node,
    found: dict[tuple[int, int], tuple[str, tree_sitter.Node, int]],
    byte_shift: int,
    row_shift: int,
    depth: int,
) -> None:
    """Add the definitions under ``root``, a tree whose byte 0 is at ``byte_shift`` (row ``row_shift``) of the file."""
    for kind, nodes in tree_sitter.QueryCursor(query).captures(root).items():
        for node in nodes:
            found.setdefault((node.start_byte + byte_shift, -(node.end_byte + byte_shift)), (kind, node, row_shift))
    if language != "rust" or depth >= _MAX_MACRO_DEPTH:
        return
    rust = parser("rust")
    for body in item_macro_bodies(root):
        # The body without its braces, parsed on its own: its offsets count from the byte after "{".
        inner = rust.parse(body.text[1:-1]) if rust is not None and body.text is not None else None
        if inner is not None:
            shift = byte_shift + body.start_byte + 1
            _capture(language, query, inner.root_node, found, shift, row_shift + body.start_point[0], depth + 1)


def item_macro_bodies(root: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The ``{ ... }`` token trees of Rust macro invocations standing where items stand (``cfg_rt! { ... }``)."""
    bodies: list[tree_sitter.Node] = []
    pending = [root]
    while pending:
        node = pending.pop()
        if node.type == "macro_invocation":
            if node.parent is not None and node.parent.type in _RUST_ITEM_PARENTS:
                body = node.named_children[-1] if node.named_children else None
                if body is not None and body.type == "token_tree" and body.text and body.text.startswith(b"{"):
                    bodies.append(body)
            continue
        if node.type in _RUST_ITEM_PARENTS or node.type in _RUST_ITEM_HOLDERS:
            pending.extend(node.named_children)
    return bodies


def _name(language: str, node: tree_sitter.Node) -> str:
    """The definition's own name: dotted for scoped names (``A::B``), empty when anonymous."""
    if node.type == "init_declaration":
        return "init"
    if node.type == "impl_item":
        named = _impl_type(node)
    elif language in ("c", "cpp") and node.type == "function_definition":
        named = _c_function_name(node)
    elif language == "hcl":
        return _hcl_address(node)
    elif language == "sql":  # the created object's (schema-qualified) name
        named = next((child for child in node.named_children if child.type == "object_reference"), None)
    else:
        named = node.child_by_field_name("name") or next(
            (child for child in node.named_children if child.type in _NAME_TYPES), None
        )
    if named is None or named.text is None:
        return ""
    text = _without_type_arguments(named.text.decode("utf-8", "replace")).strip()
    if named.type == "string":  # a quoted method name (``'foo'() {}``) is named foo
        text = text[1:-1]
    if language in ("c", "cpp"):
        text = _c_name(text)
    if node.type == "method_declaration" and language == "go":
        receiver = _receiver_type(node)
        text = f"{receiver}.{text}" if receiver else text
    return text.replace("::", ".")


def _hcl_address(block: tree_sitter.Node) -> str:
    """A Terraform block's address: ``aws_instance.web`` for a resource, ``module.vpc``, ``variable.region``."""
    words = [
        (child.text or b"").decode("utf-8", "replace").strip('"')
        for child in block.named_children
        if child.type in ("identifier", "string_lit")
    ]
    return ".".join(words[1:] if words[:1] == ["resource"] and len(words) > 1 else words)


def _c_name(text: str) -> str:
    """A C/C++ name cleared of what macros make the grammar take into it, or ``""`` when it names nothing.

    ``MACRO type\nname`` is ``name``; ``TEST_BEGIN(test_x) {`` is ``test_x``; ``MACRO(x)\n if (x) {`` is
    read as a function named ``if``, and ``MACRO type f(void)`` as one named ``(void)``: neither is one.
    """
    scope, dot, last = text.rpartition("::")
    if "operator" in last:  # ``operator ==`` is ``operator==``, ``operator  new[]`` is ``operator new[]``
        symbol = "".join(last[last.index("operator") + len("operator") :].split())
        return f"{scope}{dot}operator{' ' if symbol[:1].isalpha() else ''}{symbol}"
    words = last.split()
    last = words[-1].strip("()") if words else ""
    return "" if last in _C_NOT_NAMES else scope + dot + last


def _without_type_arguments(text: str) -> str:
    """``SkipList<K, C>::Insert`` -> ``SkipList::Insert``; ``operator<<`` and what follows ``operator`` stay whole."""
    head, operator, tail = text.partition("operator")
    kept: list[str] = []
    depth = 0
    for char in head:
        if char == "<":
            depth += 1
        elif char == ">" and depth:
            depth -= 1
        elif not depth:
            kept.append(char)
    return "".join(kept) + operator + tail


def _impl_type(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The type a Rust impl is for, through references and pointers (``T`` for ``impl R for &mut T``)."""
    named = node.child_by_field_name("type")
    while named is not None and named.type in _RUST_WRAPPERS:
        named = named.child_by_field_name(_RUST_WRAPPERS[named.type])
    return named


def _in_anonymous_class(node: tree_sitter.Node) -> bool:
    """Whether ``node`` is a member of a Java anonymous class (``new T() { ... }``): it has no name to qualify it by."""
    body = node.parent
    return (
        body is not None
        and body.type == "class_body"
        and body.parent is not None
        and (body.parent.type == "object_creation_expression")
    )


def _c_function_name(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The name of a C/C++ function definition, also when an annotation macro follows its declarator.

    The grammar reads ``void F(int n) LOCKS_EXCLUDED(mu) {`` either as a declaration of ``F`` (with no
    ``;``) then a definition named ``LOCKS_EXCLUDED``, or as one definition holding ``F(int n)`` in an
    ERROR node: either way the name is ``F``.
    """
    declarator = node.child_by_field_name("declarator")
    for child in node.named_children:
        if declarator is None or child.start_byte >= declarator.start_byte:
            break
        annotated = next((c for c in child.named_children if c.type == "function_declarator"), None)
        if child.type == "ERROR" and annotated is not None:
            return _innermost_declarator(annotated)
    previous = node.prev_named_sibling
    if (
        node.child_by_field_name("type") is None
        and previous is not None
        and previous.type in ("field_declaration", "declaration")
        and previous.end_point[0] == node.start_point[0]
        and previous.text is not None
        and not previous.text.rstrip().endswith(b";")
    ):
        return _innermost_declarator(previous)
    return _innermost_declarator(node)


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
