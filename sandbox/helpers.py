"""What user code sees besides its own variables (standard library only).

`install` puts these names into the REPL's globals. They are documented in the README
("The REPL namespace"); anything that needs keys, network or tree-sitter is a request
to the host through HostLink.
"""

from __future__ import annotations

import itertools
import re
import sys
from typing import TYPE_CHECKING, Any, ClassVar

import intel
import wire
from bounded import bounded_repr
from context import ContextError, File, Store, Symbol, build_chunks, load_payload
from host import HostError
from search import MAX_CONTEXT, Hit, compile_pattern, grep_texts, split_lines

if TYPE_CHECKING:
    from repl import Repl

_PREVIEW_CHARS = 80
LAYOUT_KINDS = ("module", "lines", "section")
"""Kinds of chunks that hold no whole definition (rlm_mcp/corpus/partition.py and text_split.py)."""
MIN_BUDGET = 50


class UserError(Exception):
    """A helper was called wrongly; the message says how to call it."""


class _Loaded:
    """The context currently loaded; helpers read it at call time, so a reload is seen at once."""

    store: ClassVar[Store | None] = None
    file_list: ClassVar[list[File]] = []
    symbols: ClassVar[list[Symbol]] = []

    @classmethod
    def require(cls) -> Store:
        if cls.store is None:
            raise UserError("no context is loaded yet: call the rlm_load_context tool first")
        return cls.store


class LLMFailure:
    """Stands in the slot of a failed sub-call in `llm_batch` results (it is not raised)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"LLMFailure({self.kind}: {self.message})"


def _answer_value(answer: wire.Answer) -> Any:
    """What user code sees for one sub-call: the text, or an LLMFailure in its slot."""
    return answer.text if answer.ok else LLMFailure(answer.kind, answer.message)


def _path_patterns(paths: Any, helper: str) -> wire.PathPatterns | None:
    """`paths` as the one pattern dialect (None: every file), or a UserError showing the accepted forms."""
    if paths is None:
        return None
    try:
        return wire.PathPatterns(paths)
    except wire.PatternError as exc:
        raise UserError(f"{helper}(paths=...): {exc}") from None


def _selected_paths(paths: Any, helper: str, loaded: dict[str, File]) -> list[str]:
    """The loaded paths `paths` selects (all when None); says on stderr when it selects none."""
    selector = _path_patterns(paths, helper)
    if selector is None:
        return list(loaded)
    selected = selector.select(loaded)
    if not selected:
        print(
            f"{helper}: paths={paths!r} matched no loaded file (gitignore style: 'src/', '*.py', 'src/**/*.py'; "
            "`files` lists the loaded paths)",
            file=sys.stderr,
        )
    return selected


def _known_names(value: Any, argument: str, known: set[str]) -> set[str]:
    """`value` (a name, a list of names or None) as a set, or a UserError listing the `known` names."""
    if value is None:
        return set()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple | set) or not all(isinstance(name, str) for name in names):
        raise UserError(f"partition({argument}=...) takes a name or a list of names, e.g. {sorted(known)[:3]}")
    unknown = sorted(set(names) - known)
    if unknown:
        raise UserError(f"partition({argument}=...): unknown {unknown}; this context has {sorted(known)}")
    return set(names)


def _chunk_kinds() -> set[str]:
    """Every kind a chunk of the loaded context can have: its definitions' kinds and the layout kinds."""
    symbols = _Loaded.symbols
    return {*LAYOUT_KINDS, *(symbol.kind for symbol in symbols)}


def describe_variables(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Name, type, size and a short preview of each variable."""
    rows = []
    for name, value in variables.items():
        try:
            size: int | None = len(value)
        except Exception:
            size = None
        preview = bounded_repr(value, _PREVIEW_CHARS).replace("\n", " ")
        if len(preview) > _PREVIEW_CHARS:
            preview = preview[: _PREVIEW_CHARS - 3] + "..."
        rows.append({"name": name, "type": type(value).__name__, "len": size, "preview": preview})
    return rows


def install(repl: Repl) -> dict[str, Any]:
    """Define the helpers in the REPL's globals and return them by name."""
    host = repl.host

    def SHOW_VARS() -> None:
        """Print your variables: name, type, length and a short preview."""
        rows = describe_variables(repl.user_variables())
        if not rows:
            print("(no variables yet)")
        for row in rows:
            size = "" if row["len"] is None else f" len={row['len']:,}"
            print(f"{row['name']}: {row['type']}{size} = {row['preview']}")

    def llm_batch(prompts: list[str], model: str | None = None, **params: Any) -> list[Any]:
        """Ask the sub-LLM every prompt concurrently; answers come back in order.

        A failed item holds an LLMFailure (falsy) in its slot; the others are strings.
        """
        if isinstance(prompts, str) or not hasattr(prompts, "__iter__"):
            raise UserError("llm_batch takes a list of prompt strings; use llm_query for one prompt")
        items = [str(p) for p in prompts]
        if not items:
            return []
        try:
            answers = host.request(wire.Op.LLM, prompts=items, model=model, params=params)
        except HostError as exc:
            raise UserError(str(exc)) from None
        if not isinstance(answers, list) or len(answers) != len(items):
            raise UserError("the host's answer to llm_batch did not have one answer per prompt")
        return [_answer_value(wire.Answer.from_wire(a)) for a in answers]

    def llm_query(prompt: str, model: str | None = None, **params: Any) -> str:
        """Ask the sub-LLM one prompt and return its answer; raises on failure."""
        (answer,) = llm_batch([prompt], model=model, **params)
        if isinstance(answer, LLMFailure):
            raise UserError(f"sub-LLM call failed: {answer.kind}: {answer.message}")
        return str(answer)

    def read(path: str, start: int | None = None, end: int | None = None, numbered: bool = False) -> str:
        """Lines `start`..`end` of a loaded file (the whole file by default), numbered `N<tab>` when asked.

        path: a key of `files` (root-relative, '/'-separated). start, end: int line numbers, 1-based and
        inclusive, None for the first / last line; lines are counted by newlines (\\n) only, as in hits and chunks,
        so read(h.path, h.line, h.line) is the line of a grep hit h. numbered: bool.
        """
        store = _Loaded.require()
        for name, value in (("start", start), ("end", end)):
            if value is not None and type(value) is not int:
                raise UserError(f"read({name}=...) takes a whole line number (1-based) or None, not {value!r}")
        try:
            text = store.files[store.check(path)].text
        except ContextError as exc:
            raise UserError(str(exc)) from None
        if start is None and end is None and not numbered:
            return text
        lines = split_lines(text)
        first = max(start or 1, 1)
        last = len(lines) if end is None else min(end, len(lines))
        chosen = lines[first - 1 : last]
        if not numbered:
            return "".join(chosen)
        return "".join(f"{number:>6}\t{line}" for number, line in enumerate(chosen, first))

    def grep(
        pattern: str,
        paths: str | list[str] | None = None,
        *,
        ignore_case: bool = False,
        fixed: bool = False,
        multiline: bool = False,
        context: int = 0,
        max_hits: int = 1000,
    ) -> list[Hit]:
        """Regex search, line by line, over the loaded files -> a list of Hit (.path .line .where .text .match).

        pattern: a Python regex (str); fixed=True takes it literally. paths: None (every file), or a
        gitignore-style pattern or list of them ('src/', '*.py', 'src/**/test_*.py', '!vendor/').
        A match never spans lines unless multiline=True (then `.` and `\\s` cross newlines and the hit is
        the match's first line). context: int 0..50, lines kept on each side (hit.before, hit.after,
        hit.lines prints them). max_hits: int >= 1; past it grep stops and says so on stderr.
        """
        store = _Loaded.require()
        if type(context) is not int or not 0 <= context <= MAX_CONTEXT:
            raise UserError(f"grep(context=...) takes a whole number of lines from 0 to {MAX_CONTEXT}")
        if type(max_hits) is not int or max_hits < 1:
            raise UserError("grep(max_hits=...) takes a whole number, at least 1")
        try:
            compiled = compile_pattern(re.escape(pattern) if fixed else pattern, ignore_case, multiline)
        except (ValueError, TypeError) as exc:
            raise UserError(f"grep(pattern=...): {exc}") from None
        selected = _selected_paths(paths, "grep", store.files)
        texts = ((p, store.files[p].text) for p in selected)
        hits, truncated = grep_texts(texts, compiled, max_hits, context=context, multiline=multiline)
        if truncated:
            print(f"grep: stopped at max_hits={max_hits}; narrow the pattern or raise max_hits", file=sys.stderr)
        return hits

    def partition(
        budget: int | None = None,
        paths: str | list[str] | None = None,
        languages: str | list[str] | None = None,
        kinds: str | list[str] | None = None,
    ) -> list[Any]:
        """Re-chunk the context with another token budget and/or only some paths, languages or kinds -> chunks.

        budget: int tokens per chunk, at least 50 (None: the loaded budget). paths: a gitignore-style
        pattern or list, as for grep. languages: a name or list of names of `files[p].language`.
        kinds: a chunk kind or list ('function', 'class', 'method', 'module', 'section', 'lines', ...);
        a definition is its own chunk only when it does not fit in its parent's. An unknown language or
        kind is an error listing those of the loaded context.
        The files are chosen here in the sandbox; the host re-parses only those.
        """
        store = _Loaded.require()
        if budget is not None and (type(budget) is not int or budget < MIN_BUDGET):
            raise UserError(f"partition(budget=...) takes a whole number of tokens, at least {MIN_BUDGET}")
        wanted_languages = _known_names(languages, "languages", {f.language for f in _Loaded.file_list})
        wanted_kinds = _known_names(kinds, "kinds", _chunk_kinds())
        chosen_paths = set(_selected_paths(paths, "partition", store.files))
        chosen = [
            index
            for index, file in enumerate(_Loaded.file_list)
            if file.path in chosen_paths and (not wanted_languages or file.language in wanted_languages)
        ]
        try:
            table = host.request(
                wire.Op.PARTITION, chunk_tokens=budget, files=chosen, kinds=sorted(wanted_kinds) or None
            )
        except HostError as exc:
            raise UserError(str(exc)) from None
        chunks = build_chunks(store, _Loaded.file_list, table)
        if not chunks and wanted_kinds:
            print(
                f"partition: no chunk of kinds {sorted(wanted_kinds)} at this budget; a definition is its own chunk "
                "only when it does not fit in its parent's: lower the budget, or use `symbols` for every definition",
                file=sys.stderr,
            )
        return chunks

    names: dict[str, Any] = {
        "SHOW_VARS": SHOW_VARS,
        "llm_query": llm_query,
        "llm_batch": llm_batch,
        "LLMFailure": LLMFailure,
        "read": read,
        "grep": grep,
        "partition": partition,
        **intel.install(host, _Loaded, UserError),
    }
    repl.namespace.update(names)
    return names


CONTEXT_NAMES = ("context", "files", "chunks", "symbols")
"""The names a load defines; before one, using them is a NameError that `unloaded_hint` explains."""


def unloaded_hint(exc: BaseException) -> str:
    """What to do about a NameError for a context name used before any context is loaded, else ""."""
    if isinstance(exc, NameError) and exc.name in CONTEXT_NAMES and _Loaded.store is None:
        return " (no context is loaded yet: call the rlm_load_context tool first)"
    return ""


def load_context(repl: Repl, payload: dict[str, Any]) -> dict[str, Any]:
    """Replace the loaded context (`context`, `files`, `chunks`, `symbols`); other variables stay."""
    context, store, file_list, chunks, symbols = load_payload(payload)
    _Loaded.store, _Loaded.file_list, _Loaded.symbols = store, file_list, symbols
    names = dict(zip(CONTEXT_NAMES, (context, store.files, chunks, symbols), strict=True))
    repl.namespace.update(names)
    repl.helper_names.update(names)
    return {"files": len(file_list), "chunks": len(chunks), "symbols": len(symbols)}


_PLACEHOLDER = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)


def render_prompts(repl: Repl, message: dict[str, Any]) -> dict[str, Any]:
    """The prompt(s) of rlm_query: `{{expr}}` evaluated in the REPL, once or per item of `over`."""
    template = str(message.get("template", ""))
    into = message.get("into")
    if into in repl.helper_names:
        raise UserError(f"into={into!r} would replace the REPL's own `{into}`; store the answers under another name")
    over = message.get("over")
    if not over:
        return {"prompts": [_render(template, repl.namespace, {})]}
    limit = message.get("limit")
    try:
        found = iter(eval(compile(str(over), "<over>", "eval"), repl.namespace))
        items = list(found if limit is None else itertools.islice(found, int(limit)))
    except Exception as exc:
        raise UserError(f"`over` must be a Python expression giving a list; {over!r} raised {exc!r}") from None
    mentions_item = any("item" in expression for expression in _PLACEHOLDER.findall(template))
    prompts = []
    for index, item in enumerate(items):
        prompt = _render(template, repl.namespace, {"item": item, "index": index})
        prompts.append(prompt if mentions_item else f"{prompt}\n\n{item}")
    return {"prompts": prompts}


def _render(template: str, namespace: dict[str, Any], local: dict[str, Any]) -> str:
    def substitute(found: re.Match[str]) -> str:
        expression = found.group(1).strip()
        try:
            return str(eval(expression, namespace, local))
        except Exception as exc:
            raise UserError(f"the placeholder {{{{{expression}}}}} raised {exc!r}") from None

    return _PLACEHOLDER.sub(substitute, template)


def assign_answers(repl: Repl, payload: dict[str, Any]) -> dict[str, Any]:
    """Store rlm_query's answers in a variable: a list (or one value), failures as LLMFailure."""
    name = payload.get("name")
    answers = payload.get("answers")
    if not isinstance(name, str) or not name.isidentifier() or not isinstance(answers, list):
        raise UserError("assign takes a variable name and a list of answers")
    values = [_answer_value(wire.Answer.from_wire(a)) for a in answers]
    repl.namespace[name] = values[0] if payload.get("single") and values else values
    return {"name": name}
