"""Symbol recall and precision per language, against an independent extractor on real repositories.

References: Python's ``ast`` for Python; the TypeScript compiler (``ts.createSourceFile``, driven by a
node script written to a temp dir) for TypeScript and JavaScript; Universal Ctags for Go, Rust, Java,
C and C++. Both sides see the same files: those our load indexes (so vendored, generated and ignored
files are out of both).

What counts as a definition: functions and methods with a body (constructors, accessors, object-literal
methods, ``const f = () => ...``) and the methods a Java interface or Rust trait declares, classes,
structs, unions, enums, interfaces, traits, Rust impls, namespaces and modules, and Go type declarations
and aliases. Not counted: variables, constants, fields, enum members, macros, typedefs, C/C++ prototypes
and ``= delete``/``= default`` members, TypeScript overload and interface member signatures, anonymous
types and the members of Java anonymous classes (ctags lists none of these).

Matching: a reference definition matches one of ours when the simple names agree (our qualified name's
last part; spaces dropped, so ``operator ==`` is ``operator==``) and the reference line falls inside our
definition's lines (references name the line of the name, ours start at decorators and annotations);
one-to-one, innermost first. Recall = matched / reference, precision = matched / ours. Ctags does not
look inside Rust macro bodies (``cfg_rt! { ... }``), so our definitions there are counted apart
(``in_macro_bodies``) and left out of precision.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rlm_mcp.corpus.languages import parser
from rlm_mcp.corpus.load import load_corpus
from rlm_mcp.corpus.model import Corpus
from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.symbols import item_macro_bodies

REPOS = Path("/tmp/repos")
# language -> the repositories measured; a missing one is skipped.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "python": ("sqlalchemy", "mypy"),
    "go": ("containerd", "terraform"),
    "rust": ("tokio",),
    "java": ("kafka",),
    "c": ("redis",),
    "cpp": ("leveldb", "redis"),
    "typescript": ("core",),
    "javascript": ("express", "notebook", "core"),
}
# Quick mode: one folder of the first repository, so that the whole section takes seconds.
QUICK_SUBJECTS: dict[str, str] = {
    "python": "sqlalchemy/lib/sqlalchemy/orm",
    "go": "containerd/core",
    "rust": "tokio/tokio/src/runtime",
    "java": "kafka/clients/src/main/java/org/apache/kafka/clients",
    "c": "redis/src",
    "cpp": "leveldb/db",
    "typescript": "core/packages/runtime-core/src",
    "javascript": "express/lib",
}
TARGETS = {"c": 0.97, "cpp": 0.97}
_GRAMMAR_LANGUAGES = {"typescript": {"typescript", "tsx"}}
DEFAULT_TARGET = 0.99
SAMPLES = 8
TYPESCRIPT_DIR = Path(tempfile.gettempdir()) / "rlm-bench-typescript"
INSTALL_TYPESCRIPT = f"npm install --prefix {TYPESCRIPT_DIR} typescript"

_CTAGS_KINDS = {
    "go": {"func", "struct", "interface", "type", "talias"},
    "rust": {"function", "method", "struct", "enum", "interface", "implementation", "module"},
    "java": {"class", "interface", "enum", "method", "annotation"},
    "c": {"function", "struct", "union", "enum"},
    "cpp": {"function", "struct", "union", "enum", "class", "namespace"},
}

# (path, line, simple name)
Reference = tuple[str, int, str]
_WORDS = re.compile(r"[A-Za-z_]\w*")

_TS_SCRIPT = r"""
const ts = require(process.argv[2]);
const fs = require("fs");
const files = JSON.parse(fs.readFileSync(0, "utf8"));
const kinds = {".ts": ts.ScriptKind.TS, ".mts": ts.ScriptKind.TS, ".cts": ts.ScriptKind.TS, ".tsx": ts.ScriptKind.TSX,
               ".jsx": ts.ScriptKind.JSX};
const out = [];
for (const [path, file] of files) {
  const ext = file.slice(file.lastIndexOf("."));
  const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true,
                                 kinds[ext] || ts.ScriptKind.JS);
  const emit = (node, name) => out.push([path, sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, name]);
  const nameOf = (name) => ts.isComputedPropertyName(name) ? name.getText(sf) : name.text;
  const visit = (node) => {
    if ((ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node)) && node.name) {
      emit(node, node.name.text);
    } else if (ts.isFunctionDeclaration(node) && node.name && node.body) {
      emit(node, node.name.text);
    } else if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name) &&
               !(node.flags & ts.NodeFlags.GlobalAugmentation)) {
      emit(node, node.name.text);
    } else if ((ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) && node.body) {
      emit(node, nameOf(node.name));
    } else if (ts.isConstructorDeclaration(node) && node.body) {
      emit(node, "constructor");
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer &&
               (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) {
      emit(node, node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
process.stdout.write(JSON.stringify(out));
"""


def run(quick: bool) -> dict[str, Any]:
    """Recall and precision per language; a language whose reference tool or repositories are missing says why."""
    results: dict[str, Any] = {}
    corpora: dict[str, Corpus] = {}
    for language, all_repos in SUBJECTS.items():
        repos = (QUICK_SUBJECTS[language],) if quick else all_repos
        present = [repo for repo in repos if (REPOS / repo).is_dir()]
        if not present:
            results[language] = {"skipped": f"none of {', '.join(repos)} under {REPOS}"}
            continue
        totals: dict[str, Any] = {"repos": present}
        for repo in present:
            corpus = corpora.get(repo) or corpora.setdefault(repo, load_corpus(REPOS / repo, LoadOptions()))
            measured = _measure(language, corpus)
            if "skipped" in measured:
                totals = measured
                break
            _add(totals, measured)
        results[language] = _finish(totals, TARGETS.get(language, DEFAULT_TARGET))
    return results


def _measure(language: str, corpus: Corpus) -> dict[str, Any]:
    """Our definitions and the reference's over the files of ``language`` in ``corpus``, and how they match."""
    root = corpus.root
    assert root is not None
    grammars = _GRAMMAR_LANGUAGES.get(language, {language})
    chosen = [(info.path, parsed) for info, parsed in zip(corpus.files, corpus.parsed, strict=True)]
    chosen = [(path, parsed) for path, parsed in chosen if parsed.language in grammars]
    if not chosen:
        return {"files": 0, "ours": [], "theirs": []}
    paths = [path for path, _ in chosen]
    if language == "python":
        theirs, reference = _python_references(root, paths), "ast"
    elif language in ("typescript", "tsx", "javascript"):
        found = _typescript_references(root, paths)
        if isinstance(found, str):
            return {"skipped": found}
        theirs, reference = found, "TypeScript compiler"
    else:
        found = _ctags_references(root, paths, _CTAGS_KINDS[language])
        if isinstance(found, str):
            return {"skipped": found}
        theirs, reference = found, "Universal Ctags"
    ours: list[tuple[str, int, int, str]] = []
    in_macros = 0
    for path, parsed in chosen:
        macro_lines = _rust_macro_lines(root / path) if language == "rust" else []
        for name, _, start, end in parsed.symbols:
            if macro_lines and _inside(macro_lines, start):
                in_macros += 1
                continue
            ours.append((path, start, end, _simple(name)))
    return {"files": len(chosen), "reference": reference, "ours": ours, "theirs": theirs, "in_macro_bodies": in_macros}


def _add(totals: dict[str, Any], measured: dict[str, Any]) -> None:
    matched, missed, extra = _match(measured["ours"], measured["theirs"])
    totals["reference"] = measured.get("reference", totals.get("reference"))
    for key, value in (
        ("files", measured["files"]),
        ("ours", len(measured["ours"])),
        ("theirs", len(measured["theirs"])),
        ("matched", matched),
        ("in_macro_bodies", measured.get("in_macro_bodies", 0)),
    ):
        totals[key] = totals.get(key, 0) + value
    totals.setdefault("missed_samples", []).extend(missed[: SAMPLES - len(totals["missed_samples"])])
    totals.setdefault("extra_samples", []).extend(extra[: SAMPLES - len(totals["extra_samples"])])


def _finish(totals: dict[str, Any], target: float) -> dict[str, Any]:
    if "skipped" in totals:
        return totals
    matched = totals.get("matched", 0)
    totals["recall"] = round(matched / totals["theirs"], 4) if totals.get("theirs") else None
    totals["precision"] = round(matched / totals["ours"], 4) if totals.get("ours") else None
    totals["target"] = target
    return totals


def _match(ours: list[tuple[str, int, int, str]], theirs: list[Reference]) -> tuple[int, list[str], list[str]]:
    """One-to-one matches by simple name and line inside our definition; samples of both kinds of miss."""
    by_key: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for path, start, end, name in ours:
        by_key[(path, name)].append((start, end))
    used: set[tuple[str, str, int, int]] = set()
    matched = 0
    missed: list[str] = []
    for path, line, name in sorted(theirs):
        candidates = [span for span in by_key.get((path, name), ()) if span[0] <= line <= span[1]]
        candidates = [span for span in candidates if (path, name, *span) not in used]
        if candidates:
            used.add((path, name, *max(candidates)))  # the innermost: the latest start
            matched += 1
        elif len(missed) < SAMPLES:
            missed.append(f"{path}:{line} {name}")
    extra = [f"{path}:{start} {name}" for path, start, end, name in ours if (path, name, start, end) not in used]
    return matched, missed, extra[:SAMPLES]


def _simple(name: str) -> str:
    """The last part of a qualified name (``a.B.f`` -> ``f``); of a type expression, its last word.

    Ctags names ``impl X for (IpAddr, u16)`` ``u16`` and we name it ``(IpAddr,u16)``; both become ``u16``
    (and ``operator==`` becomes ``operator``).
    """
    last = name.rpartition(".")[2]
    return last if last.isidentifier() else (_WORDS.findall(last) or [last])[-1]


def _python_references(root: Path, paths: Iterable[str]) -> list[Reference]:
    found: list[Reference] = []
    for path in paths:
        try:
            tree = ast.parse((root / path).read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((path, node.lineno, _simple(node.name)))
    return found


def _typescript_references(root: Path, paths: list[str]) -> list[Reference] | str:
    module = TYPESCRIPT_DIR / "node_modules" / "typescript"
    if shutil.which("node") is None or not module.is_dir():
        return f"needs node and the TypeScript compiler: {INSTALL_TYPESCRIPT}"
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "definitions.js"
        script.write_text(_TS_SCRIPT)
        listing = json.dumps([[path, str(root / path)] for path in paths])
        done = subprocess.run(
            ["node", str(script), str(module)], input=listing, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        return f"the TypeScript script failed: {done.stderr[-300:]}"
    return [(path, line, _simple(name)) for path, line, name in json.loads(done.stdout)]


def _ctags_references(root: Path, paths: list[str], kinds: set[str]) -> list[Reference] | str:
    if shutil.which("ctags") is None:
        return "needs Universal Ctags: apt install universal-ctags"
    done = subprocess.run(
        ["ctags", "--output-format=json", "--fields=+nK", "--sort=no", "-f", "-", "-L", "-"],
        input="\n".join(paths),
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    found: list[Reference] = []
    for line in done.stdout.splitlines():
        tag = json.loads(line)
        name = str(tag.get("name", ""))
        if tag.get("kind") in kinds and not name.startswith("__anon"):
            found.append((tag["path"], int(tag["line"]), _simple(name)))
    return found


def _rust_macro_lines(path: Path) -> list[tuple[int, int]]:
    """1-based line spans of the item macro bodies of a Rust file, sorted."""
    rust = parser("rust")
    if rust is None:
        return []
    root = rust.parse(path.read_bytes()).root_node
    return sorted((body.start_point[0] + 1, body.end_point[0] + 1) for body in item_macro_bodies(root))


def _inside(spans: list[tuple[int, int]], line: int) -> bool:
    index = bisect.bisect_right(spans, (line, 1 << 30)) - 1
    return index >= 0 and spans[index][0] <= line <= spans[index][1]
