"""Code intelligence in the REPL: symbols, references, imports, a repository map, a folder tree.

Definitions ship with the load, so `find_symbols`, `symbol_at` and `tree` answer here. Identifier
occurrences and imports are indexed on the host from the syntax tree (built on first use), so
`refs`, `callers`, `imports`, `importers` and `repo_map` are bounded requests to the host; the
lines' text and enclosing symbols are filled in here from the mount (standard library only).
"""

from __future__ import annotations

import bisect
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import wire
from context import File, Store, Symbol, line_of
from host import HostError, HostLink

LINE_CHARS = 200
"""A hit's `text` is its line, stripped and cut to this many characters."""
MAX_TREE_LINES = 500
MAX_BUDGET_TOKENS = 50_000
KINDS = ("function", "method", "class", "namespace", "section")
"""Every kind a symbol can have (`find_symbols(kind=...)` refuses any other)."""


class Loaded(Protocol):
    """What the helpers read of the loaded context at call time."""

    file_list: list[File]
    symbols: list[Symbol]

    def require(self) -> Store: ...


class Outline(str):
    """Text that shows as itself (not as a quoted string) when it is an exec's value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class Hits(list[Any]):
    """A list of hits that knows how many there were in all and whether `max_hits` cut it."""

    def __init__(self, items: Iterable[Any], total: int, truncated: bool) -> None:
        super().__init__(items)
        self.total, self.truncated = total, truncated


class Ref:
    """One identifier occurrence: path, line, the line's text, whether it is a call, the enclosing symbol."""

    __slots__ = ("call", "line", "path", "symbol", "text")

    def __init__(self, path: str, line: int, text: str, call: bool, symbol: Symbol | None) -> None:
        self.path, self.line, self.text, self.call, self.symbol = path, line, text, call, symbol

    @property
    def where(self) -> str:
        """`path:line`, the citation form."""
        return f"{self.path}:{self.line}"

    def __repr__(self) -> str:
        inside = f" (in {self.symbol.name})" if self.symbol is not None else ""
        return f"{self.where}{inside}: {self.text}"


class Import:
    """One import: the importing file, the module as written, its line, and the loaded file it names (or None)."""

    __slots__ = ("line", "module", "path", "resolved")

    def __init__(self, path: str, module: str, line: int, resolved: str | None) -> None:
        self.path, self.module, self.line, self.resolved = path, module, line, resolved

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def __repr__(self) -> str:
        target = f" -> {self.resolved}" if self.resolved else ""
        return f"{self.where}: {self.module}{target}"


def install(host: HostLink, loaded: Loaded, error: type[Exception]) -> dict[str, Any]:
    """The code-intelligence helpers by name; `error` is the exception that explains a wrong call."""
    grouped: dict[str, Any] = {"symbols": None, "by_file": {}}

    def ask(op: str, **payload: Any) -> Any:
        try:
            return host.request(op, **payload)
        except HostError as exc:
            raise error(str(exc)) from None

    def file_index(path: str, helper: str) -> int:
        store = loaded.require()
        try:
            normal = store.check(path)
        except Exception as exc:
            raise error(f"{helper}: {exc}") from None
        return next(index for index, file in enumerate(loaded.file_list) if file.path == normal)

    def chosen_files(paths: Any, helper: str) -> list[int] | None:
        if paths is None:
            return None
        try:
            chosen = chosen_quietly(paths)
        except wire.PatternError as exc:
            raise error(f"{helper}(paths=...): {exc}") from None
        if not chosen:
            print(f"{helper}: paths={paths!r} matched no loaded file", file=sys.stderr)
        return chosen

    def check_hits(max_hits: Any, helper: str) -> int:
        if type(max_hits) is not int or max_hits < 1:
            raise error(f"{helper}(max_hits=...) takes a whole number of at least 1")
        return max_hits

    def report_cut(helper: str, shown: int, total: int, fix: str) -> None:
        print(f"{helper}: stopped at max_hits={shown:,} of {total:,}; {fix}", file=sys.stderr)

    def file_symbols(file: File) -> tuple[list[Symbol], list[int]]:
        """The symbols of one file sorted by start line, and their start lines (for bisect); rebuilt after a load."""
        if grouped["symbols"] is not loaded.symbols:
            by_file: dict[int, list[Symbol]] = {}
            for symbol in loaded.symbols:
                by_file.setdefault(id(symbol.file), []).append(symbol)
            grouped["by_file"] = {
                key: (ordered, [symbol.start_line for symbol in ordered])
                for key, members in by_file.items()
                for ordered in [sorted(members, key=lambda symbol: symbol.start_line)]
            }
            grouped["symbols"] = loaded.symbols
        found: tuple[list[Symbol], list[int]] = grouped["by_file"].get(id(file), ([], []))
        return found

    def enclosing(file: File, line: int) -> Symbol | None:
        ordered, starts = file_symbols(file)
        best: Symbol | None = None
        for symbol in ordered[: bisect.bisect_right(starts, line)]:
            if symbol.end_line >= line and (best is None or symbol.start_line >= best.start_line):
                best = symbol
        return best

    def find_symbols(
        pattern: str, kind: str | list[str] | None = None, paths: str | list[str] | None = None, max_hits: int = 1000
    ) -> list[Symbol]:
        """Definitions whose qualified name matches the regex `pattern` (re.search: '^Repo', 'load$', 'Cache.get').

        kind: one of 'function', 'method', 'class', 'namespace', 'section', or a list of them (None: all).
        paths: gitignore-style patterns ('src/', '*.py', ['a/**/*.ts', '!a/gen']) to look only there.
        Each Symbol has .name (qualified), .parent, .kind, .signature, .path, .start_line, .end_line, .where.
        At most `max_hits` come back (stderr says when it stopped).
        """
        loaded.require()
        try:
            compiled = re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise error(
                f"find_symbols: invalid regular expression {pattern!r}: {exc}; use re.escape for text"
            ) from None
        wanted = {kind} if isinstance(kind, str) else set(kind or ())
        unknown = sorted(map(str, wanted - set(KINDS)))
        if unknown:
            raise error(f"find_symbols(kind=...): unknown kind {', '.join(unknown)}; valid kinds: {', '.join(KINDS)}")
        limit = check_hits(max_hits, "find_symbols")
        files = chosen_files(paths, "find_symbols")
        allowed = None if files is None else {id(loaded.file_list[index]) for index in files}
        found = [
            symbol
            for symbol in loaded.symbols
            if (not wanted or symbol.kind in wanted)
            and (allowed is None or id(symbol.file) in allowed)
            and compiled.search(symbol.name)
        ]
        if len(found) > limit:
            report_cut("find_symbols", limit, len(found), "narrow the pattern, kind or paths, or raise max_hits")
        return Hits(found[:limit], len(found), len(found) > limit)

    def symbol_at(path: str, line: int) -> Symbol | None:
        """The innermost definition enclosing `line` (1-based) of `path`, or None at top level.

        "Which function is this grep hit in?": symbol_at(hit.path, hit.line).
        """
        index = file_index(path, "symbol_at")
        if type(line) is not int or line < 1:
            raise error("symbol_at(path, line) takes a 1-based line number")
        return enclosing(loaded.file_list[index], line)

    def occurrences(helper: str, name: str, calls: bool, paths: Any, max_hits: Any) -> list[Ref]:
        loaded.require()
        if not isinstance(name, str) or not name.strip():
            raise error(f"{helper}(name) takes an identifier, e.g. {helper}('load_corpus')")
        bare = name.strip().rsplit(".", 1)[-1].rsplit("::", 1)[-1]
        limit = check_hits(max_hits, helper)
        files = chosen_files(paths, helper)
        if files == []:
            return Hits([], 0, False)
        answer = ask(wire.Op.REFS, name=bare, calls=calls, files=files, max_hits=limit)
        lines: dict[int, list[bytes]] = {}
        hits = []
        for record in wire.rows(answer["refs"], wire.RefRecord):
            file = loaded.file_list[record.file]
            if record.file not in lines:
                lines[record.file] = file.data.split(b"\n")
            text = lines[record.file][record.line - 1] if record.line <= len(lines[record.file]) else b""
            hits.append(Ref(file.path, record.line, _bounded_line(text), record.call, enclosing(file, record.line)))
        if answer["truncated"]:
            report_cut(helper, limit, answer["total"], "pass paths=... or raise max_hits")
        for path in answer.get("stale", []):
            print(f"{helper}: {path} changed since the load and was not searched; load again", file=sys.stderr)
        return Hits(hits, answer["total"], bool(answer["truncated"]))

    def refs(name: str, paths: str | list[str] | None = None, max_hits: int = 1000) -> list[Ref]:
        """Every occurrence of the identifier `name` in code, from the syntax tree (comments and strings are out).

        name: a bare identifier ('load'); for 'Cache.load' the last part is searched.
        paths: gitignore-style patterns to search only there. Each Ref has .path, .line, .text (the line),
        .call (a call's callee), .symbol (the enclosing definition or None), .where. At most `max_hits`
        come back (stderr says when it stopped; the list's .total counts all). The first call indexes the repository.
        """
        return occurrences("refs", name, False, paths, max_hits)

    def callers(name: str, paths: str | list[str] | None = None, max_hits: int = 1000) -> list[Ref]:
        """Calls of `name`: call expressions whose callee is `name` or `x.name` (Python, JS/TS, Go, Rust, Java, C/C++).

        Same arguments and Ref fields as refs(); `.symbol` is the calling definition.
        """
        return occurrences("callers", name, True, paths, max_hits)

    def import_rows(answer: dict[str, Any], helper: str, limit: int) -> list[Import]:
        found = [
            Import(
                loaded.file_list[record.file].path,
                record.module,
                record.line,
                loaded.file_list[record.resolved].path if record.resolved >= 0 else None,
            )
            for record in wire.rows(answer["imports"], wire.ImportRecord)
        ]
        if answer["truncated"]:
            report_cut(helper, limit, answer["total"], "raise max_hits")
        return Hits(found, answer["total"], bool(answer["truncated"]))

    def imports(path: str, max_hits: int = 1000) -> list[Import]:
        """What one file imports (Python, JS/TS, Go, Rust, Java, C/C++ includes), in source order.

        Each Import has .module (as written: 'os.path', '.models', './util', 'std::io'), .line, .where,
        and .resolved: the loaded file it names for Python and JS/TS relative imports and absolute
        Python/Java ones when the target is loaded, else None.
        """
        limit = check_hits(max_hits, "imports")
        return import_rows(ask(wire.Op.IMPORTS, file=file_index(path, "imports"), max_hits=limit), "imports", limit)

    def importers(module: str, max_hits: int = 1000) -> list[Import]:
        """Files that import `module`: written exactly so or as a submodule ('os' finds 'os.path'), or,
        when `module` is a loaded path ('pkg/util.py'), any import that resolves to it.

        Returns Import rows (see imports()); at most `max_hits` (stderr says when it stopped).
        """
        if not isinstance(module, str) or not module.strip():
            raise error("importers(module) takes a module as written ('os.path', './util') or a loaded path")
        limit = check_hits(max_hits, "importers")
        loaded.require()
        path = next((index for index, file in enumerate(loaded.file_list) if file.path == module), None)
        answer = ask(wire.Op.IMPORTS, module=module.strip(), path=path, max_hits=limit)
        return import_rows(answer, "importers", limit)

    def repo_map(budget_tokens: int = 1000, focus: str | list[str] | None = None) -> str:
        """A ranked outline of the repository: files and their most important definitions, cut to `budget_tokens`.

        Ranked by PageRank over the reference graph (a file using a name another file defines links to
        it), as Aider's repository map. focus: paths or path patterns ('src/api/') and/or symbol names
        ('Session', 'load') that bias the ranking towards them and what they use. The first call indexes
        the repository. Print it: print(repo_map(2000, focus='rlm_mcp/session.py')).
        """
        loaded.require()
        if type(budget_tokens) is not int or not 1 <= budget_tokens <= MAX_BUDGET_TOKENS:
            raise error(f"repo_map(budget_tokens=...) takes a whole number from 1 to {MAX_BUDGET_TOKENS:,}")
        items = [focus] if isinstance(focus, str) else list(focus or [])
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise error("repo_map(focus=...) takes a path, a symbol name, or a list of them")
        focus_files: set[int] = set()
        focus_names: list[str] = []
        for item in items:
            try:
                matched = chosen_quietly(item)
            except wire.PatternError:
                matched = []
            focus_files.update(matched)
            if not matched:
                focus_names.append(item.strip())
        limit = min(wire_limit(budget_tokens), 100_000)
        answer = ask(wire.Op.REPO_MAP, focus_files=sorted(focus_files), focus_names=focus_names, limit=limit)
        return Outline(_render_map(loaded, answer["symbols"], answer["files"], budget_tokens))

    def chosen_quietly(paths: str | list[str]) -> list[int]:
        """Indexes of the loaded files `paths` selects; PatternError when a pattern is malformed."""
        patterns = wire.PathPatterns(paths)
        return [index for index, file in enumerate(loaded.file_list) if patterns.matches(file.path)]

    def tree(path: str = ".", depth: int = 2) -> str:
        """Folders under `path` (a folder of the context; '.' is the root) down to `depth` levels,
        each with its file count and estimated tokens (bytes / 4). Print it: print(tree('src', 3)).
        """
        loaded.require()
        if type(depth) is not int or depth < 0:
            raise error("tree(depth=...) takes a whole number of levels, 0 or more")
        base = posixpath.normpath(str(path).replace("\\", "/")).strip("/")
        base = "" if base == "." else base
        return Outline(_render_tree(loaded.file_list, base, depth, error))

    return {
        "find_symbols": find_symbols,
        "symbol_at": symbol_at,
        "refs": refs,
        "callers": callers,
        "imports": imports,
        "importers": importers,
        "repo_map": repo_map,
        "tree": tree,
    }


def wire_limit(budget_tokens: int) -> int:
    """How many ranked definitions to ask for: more than a budget of short lines could ever show."""
    return budget_tokens // 4 + 50


def _bounded_line(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 3] + "..."


def _tokens(text: str) -> int:
    return -(-len(text) // 4)


def _render_map(loaded: Loaded, symbol_order: list[int], file_order: list[int], budget: int) -> str:
    """Files in the order of their best definition, each with its chosen definitions in line order."""
    symbols, files = loaded.symbols, loaded.file_list
    position_of = {id(file): index for index, file in enumerate(files)}
    chosen: dict[int, list[Symbol]] = {}
    used = 0
    for position in symbol_order:
        symbol = symbols[position]
        file = position_of[id(symbol.file)]
        line = f"  {symbol.start_line:>5}| {line_of(symbol.file.data, symbol.start_line).rstrip()[:LINE_CHARS]}\n"
        cost = _tokens(line) + (0 if file in chosen else _tokens(symbol.path + ":\n"))
        if used + cost > budget:
            break
        chosen.setdefault(file, []).append(symbol)
        used += cost
    for file in file_order:
        cost = _tokens(files[file].path + "\n")
        if file in chosen:
            continue
        if used + cost > budget:
            break
        chosen[file] = []
        used += cost
    blocks = []
    for file, members in chosen.items():
        lines = [f"{files[file].path}:" if members else files[file].path]
        for symbol in sorted(members, key=lambda member: member.start_line):
            text = line_of(symbol.file.data, symbol.start_line).rstrip()[:LINE_CHARS]
            lines.append(f"  {symbol.start_line:>5}| {text}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _render_tree(file_list: list[File], base: str, depth: int, error: Callable[[str], Exception]) -> str:
    """One line per folder: indentation by level, then its files and tokens (everything below it)."""
    prefix = base + "/" if base else ""
    totals: dict[str, list[int]] = {}
    for file in file_list:
        if prefix and not file.path.startswith(prefix):
            continue
        parts = file.path[len(prefix) :].split("/")[:-1]
        for level in range(min(len(parts), depth) + 1):
            entry = totals.setdefault("/".join(parts[:level]), [0, 0])
            entry[0] += 1
            entry[1] += -(-file.size // 4)
    if not totals:
        folders = sorted({file.path.split("/", 1)[0] for file in file_list if "/" in file.path})[:20]
        raise error(f"tree: {base!r} is not a folder of the loaded context; top-level folders: {', '.join(folders)}")
    lines = []
    for folder in sorted(totals):
        count, tokens = totals[folder]
        level = folder.count("/") + 1 if folder else 0
        name = (folder.rsplit("/", 1)[-1] + "/") if folder else (prefix or "./")
        lines.append(f"{'  ' * level}{name}  {count:,} files  ~{tokens:,} tokens")
    if len(lines) > MAX_TREE_LINES:
        lines = [
            *lines[:MAX_TREE_LINES],
            f"... {len(lines) - MAX_TREE_LINES:,} more folders: lower depth or pass a path",
        ]
    return "\n".join(lines)
