"""Facts about Python sources, computed with `ast`: the ground truth of the quality questions.

Standard library only and free of host imports, so the scripted root can run this very module in
the sandbox. `index` reads each distinct file once; every `answer_*` function maps {path: source}
(and the question's arguments) to the answer text the question expects.
"""

import ast
import re
from collections import Counter

_NEEDLE = re.compile(r"The access code of vault (\w+) is ([\w-]+)\.")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BY_TEXT: dict = {}


class Function:
    """One def or async def: qualified name, lines, and what its own body raises and calls."""

    def __init__(self, name: str, node: ast.AST, raises: set, calls: set) -> None:
        self.name = name
        self.line = node.lineno
        self.lines = node.end_lineno - node.lineno + 1
        self.decorators = [_last_name(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]
        self.doc = (ast.get_docstring(node) or "").strip().split("\n")[0]
        self.raises = raises
        self.calls = calls


class FileFacts:
    """What one parsed file defines and imports (module names resolved, relative imports included)."""

    def __init__(self, tree: ast.Module, module: str, is_package: bool) -> None:
        self.classes = []
        """(name, line, has a docstring) of every class statement, at any depth."""
        self.functions = []
        self.imports = set()
        """Dotted names of the modules it imports: `import a.b` -> a.b; `from a import b` -> a and a.b."""
        package = module if is_package else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                self.classes.append((node.name, node.lineno, ast.get_docstring(node) is not None))
            elif isinstance(node, ast.Import):
                self.imports.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(package, node.module, node.level)
                if base:
                    self.imports.add(base)
                    self.imports.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        for name, function in _functions(tree):
            raises, calls = set(), set()
            for node in _own_nodes(function):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                    if isinstance(raised, ast.Name):
                        raises.add(raised.id)
                elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
                    calls.add(_last_name(node.func))
            self.functions.append(Function(name, function, raises, calls))


def _resolve(package: str, module, level: int) -> str:
    """The absolute module a `from ... import` names, relative levels resolved against `package`."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return ""
    base = ".".join(parts[: len(parts) - (level - 1)])
    return ".".join(part for part in (base, module) if part)


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _functions(tree: ast.AST):
    """(qualified name, node) of every def and async def, at any depth: Class.method, outer.inner."""
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


def _own_nodes(function: ast.AST):
    """Nodes of the function's own body: nested defs are skipped, but their decorators run here."""
    decorators = getattr(function, "decorator_list", ())
    pending = [child for child in ast.iter_child_nodes(function) if not any(child is d for d in decorators)]
    while pending:
        node = pending.pop()
        if isinstance(node, _DEFS):
            pending.extend(node.decorator_list)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def module_name(path: str) -> str:
    """The module a file of the tree is: copy0/email/utils.py -> email.utils, copy0/email/__init__.py -> email."""
    parts = path.removesuffix(".py").split("/")[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def index(sources: dict) -> dict:
    """path -> FileFacts for every source that parses (a file cut short does not); each text is read once."""
    facts = {}
    for path, text in sources.items():
        key = (module_name(path), path.endswith("/__init__.py"), text)
        if key not in _BY_TEXT:
            try:
                _BY_TEXT[key] = FileFacts(ast.parse(text), key[0], key[1])
            except (SyntaxError, ValueError):
                _BY_TEXT[key] = None
        if _BY_TEXT[key] is not None:
            facts[path] = _BY_TEXT[key]
    return facts


def _lines(items) -> str:
    return "\n".join(sorted(set(items)))


def _tied_best(counts: dict) -> str:
    """The key(s) with the highest count, one a line (several only on a tie)."""
    most = max(counts.values(), default=0)
    return _lines(key for key, count in counts.items() if count == most and most > 0)


# -- one place -------------------------------------------------------------------------------------


def answer_needle(sources: dict, vault: str) -> str:
    """The access code planted for `vault`."""
    for text in sources.values():
        for found in _NEEDLE.finditer(text):
            if found.group(1) == vault:
                return found.group(2)
    return "not found"


def answer_symbol(sources: dict, name: str) -> str:
    """path:line of every class statement named `name`, one a line."""
    return _lines(
        f"{path}:{line}" for path, facts in index(sources).items() for cls, line, _ in facts.classes if cls == name
    )


def answer_docstring(sources: dict, path: str, summary: str) -> str:
    """The functions of `path` whose docstring's first line is `summary`, one a line."""
    facts = index({path: sources.get(path, "")}).get(path)
    return _lines(f.name for f in facts.functions if f.doc == summary) if facts else ""


def answer_callers(sources: dict, path: str, name: str) -> str:
    """The functions of `path` whose own body calls `name(...)` or `x.name(...)`, one a line."""
    facts = index({path: sources.get(path, "")}).get(path)
    return _lines(f.name for f in facts.functions if name in f.calls) if facts else ""


# -- all of the data -------------------------------------------------------------------------------


def answer_raise_count(sources: dict, exception: str) -> str:
    """How many functions raise `exception` in their own body (the innermost def around the raise)."""
    return str(sum(exception in f.raises for facts in index(sources).values() for f in facts.functions))


def answer_decorated(sources: dict, decorator: str) -> str:
    """How many functions carry `@decorator` (or `@x.decorator`, or either called)."""
    return str(sum(decorator in f.decorators for facts in index(sources).values() for f in facts.functions))


def answer_private_functions(sources: dict) -> str:
    """How many functions (any depth) have a name starting with one underscore but not two (not dunders)."""
    names = [f.name.rpartition(".")[2] for facts in index(sources).values() for f in facts.functions]
    return str(sum(name.startswith("_") and not name.startswith("__") for name in names))


def answer_undocumented_classes(sources: dict) -> str:
    """How many class statements have no docstring."""
    return str(sum(not documented for facts in index(sources).values() for _, _, documented in facts.classes))


def answer_most_classes(sources: dict) -> str:
    """The path(s) with the most class statements, one a line (several only on a tie)."""
    return _tied_best({path: len(facts.classes) for path, facts in index(sources).items()})


def answer_most_raised(sources: dict) -> str:
    """The exception name(s) raised by the most functions, one a line (several only on a tie)."""
    counts = Counter(name for facts in index(sources).values() for f in facts.functions for name in f.raises)
    return _tied_best(counts)


def answer_longest_function(sources: dict) -> str:
    """The path(s) holding the function with the most lines (def line to last line)."""
    longest = {path: max((f.lines for f in facts.functions), default=0) for path, facts in index(sources).items()}
    return _tied_best(longest)


def answer_importers(sources: dict, module: str) -> str:
    """The paths importing `module` or a submodule of it, one a line."""
    return _lines(
        path
        for path, facts in index(sources).items()
        if any(name == module or name.startswith(module + ".") for name in facts.imports)
    )


# -- pairs -----------------------------------------------------------------------------------------


def import_graph(sources: dict) -> dict:
    """module -> the modules of the tree it imports (itself left out)."""
    facts = index(sources)
    modules = {module_name(path) for path in facts}
    graph = {}
    for path, file_facts in facts.items():
        module = module_name(path)
        graph.setdefault(module, set()).update(
            name for name in file_facts.imports if name in modules and name != module
        )
    return graph


def answer_mutual_imports(sources: dict) -> str:
    """Pairs of modules that import each other, one `a <-> b` a line (a before b)."""
    graph = import_graph(sources)
    return _lines(f"{a} <-> {b}" for a, targets in graph.items() for b in targets if a < b and a in graph.get(b, ()))


def answer_package_imports(sources: dict, package: str) -> str:
    """Imports between modules inside `package` (the package itself included), one `a -> b` a line."""
    graph = import_graph(sources)
    inside = {package} | {module for module in graph if module.startswith(package + ".")}
    return _lines(f"{a} -> {b}" for a in inside for b in graph.get(a, ()) if b in inside)


def answer_co_pairs(sources: dict, exception: str, module: str) -> str:
    """Pairs of files that both raise `exception` somewhere and import `module`, one `a <-> b` a line."""
    chosen = sorted(
        path
        for path, facts in index(sources).items()
        if any(exception in f.raises for f in facts.functions)
        and any(name == module or name.startswith(module + ".") for name in facts.imports)
    )
    return _lines(f"{a} <-> {b}" for n, a in enumerate(chosen) for b in chosen[n + 1 :])
