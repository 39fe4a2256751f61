"""Facts about Python sources, computed with `ast`: the ground truth of the quality tasks.

Standard library only and free of host imports, so the scripted root can run this very module in
the sandbox. Every `answer_*` function maps {path: source} to the answer text a task expects.
"""

import ast
import re

_NEEDLE = re.compile(r"The vault access code is ([\w-]+)\.")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def parsed(sources: dict) -> dict:
    """path -> ast.Module for every source that parses (a truncated file does not)."""
    trees = {}
    for path, text in sources.items():
        try:
            trees[path] = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
    return trees


def _own_nodes(function: ast.AST):
    """Nodes of the function's own body: nested defs are skipped, but their decorators run here."""
    pending = [child for child in ast.iter_child_nodes(function) if not _is_decorator(child, function)]
    while pending:
        node = pending.pop()
        if isinstance(node, _DEFS):
            pending.extend(node.decorator_list)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _is_decorator(node: ast.AST, function: ast.AST) -> bool:
    return any(node is decorator for decorator in getattr(function, "decorator_list", ()))


def _raises(node: ast.AST, exception: str) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(raised, ast.Name) and raised.id == exception


def _functions(tree: ast.AST):
    """(qualified name, node) of every def and async def, at any depth."""
    stack = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                stack.append((name + ".", child))
            else:
                stack.append((prefix, child))


def answer_needle(sources: dict) -> str:
    """The planted vault access code."""
    for text in sources.values():
        found = _NEEDLE.search(text)
        if found:
            return found.group(1)
    return "not found"


def answer_raise_count(sources: dict, exception: str) -> str:
    """How many functions raise `exception` in their own body (the innermost def around the raise)."""
    count = 0
    for tree in parsed(sources).values():
        for _, function in _functions(tree):
            count += any(_raises(node, exception) for node in _own_nodes(function))
    return str(count)


def class_counts(sources: dict) -> dict:
    """path -> number of class statements in it, at any depth."""
    return {
        path: sum(isinstance(node, ast.ClassDef) for node in ast.walk(tree)) for path, tree in parsed(sources).items()
    }


def answer_most_classes(sources: dict) -> str:
    """The path(s) defining the most classes, one a line (several only on a tie)."""
    counts = class_counts(sources)
    most = max(counts.values(), default=0)
    return "\n".join(sorted(path for path, count in counts.items() if count == most))


def imported_modules(tree: ast.AST) -> set:
    """Top-level names of the modules a file imports absolutely (import x.y / from x.y import z)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def answer_importers(sources: dict, module: str) -> str:
    """The paths importing `module`, one a line."""
    return "\n".join(sorted(path for path, tree in parsed(sources).items() if module in imported_modules(tree)))


def _calls(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    called = node.func
    return (isinstance(called, ast.Name) and called.id == name) or (
        isinstance(called, ast.Attribute) and called.attr == name
    )


def callers(tree: ast.AST, name: str) -> list:
    """Qualified names of the functions whose own body calls `name(...)` or `x.name(...)`.

    A call belongs to the innermost def around it; a decorator belongs to the scope around its def.
    """
    found = set()
    for qualified, function in _functions(tree):
        if any(_calls(node, name) for node in _own_nodes(function)):
            found.add(qualified)
    return sorted(found)


def answer_callers(sources: dict, path: str, name: str) -> str:
    """The functions of `path` that call `name`, one a line."""
    tree = parsed({path: sources.get(path, "")}).get(path)
    return "\n".join(callers(tree, name)) if tree is not None else ""
