"""Partitioning: chunks rebuild every file exactly, respect the budget, and name their symbols."""

from __future__ import annotations

import ast
import os
import sysconfig
from pathlib import Path

import pytest

from rlm_mcp.corpus.languages import GRAMMARS, detect_language, grammar, parser
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, partition

from .conftest import SAMPLES

REPO_ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _rebuilt(data: bytes, chunks: tuple[tuple[object, ...], ...]) -> bytes:
    return b"".join(data[row[1] : row[2]] for row in chunks)  # type: ignore[misc]


def _stdlib_slice(count: int) -> list[Path]:
    found = []
    for folder, subfolders, names in os.walk(STDLIB):
        subfolders[:] = sorted(name for name in subfolders if name not in {"site-packages", "__pycache__"})
        found.extend(Path(folder, name) for name in sorted(names) if name.endswith(".py"))
    return found[:: max(1, len(found) // count)][:count]


def test_every_grammar_loads_offline() -> None:
    """Each of the 16 grammars (15 languages, TypeScript as ts and tsx) loads from its wheel."""
    assert all(grammar(language) is not None for language in GRAMMARS)


def test_samples_cover_every_grammar() -> None:
    """The sample tree has one real file per grammar, so the other tests exercise all of them."""
    found = {detect_language(path.name, path.read_bytes()[:256]) for path in SAMPLES.iterdir()}
    assert set(GRAMMARS) <= found


@pytest.mark.parametrize("chunk_tokens", [1, 8, 40, 1500])
def test_samples_rebuild_byte_for_byte_at_any_budget(chunk_tokens: int) -> None:
    """Joining a file's chunks in order gives back the file exactly, whatever the budget."""
    for path in SAMPLES.iterdir():
        data = path.read_bytes()
        assert _rebuilt(data, partition(path.name, data, chunk_tokens).chunks) == data, path.name


def test_chunks_never_exceed_the_budget() -> None:
    """Oversized definitions are split (down to line windows), so no chunk is over budget."""
    for path in SAMPLES.iterdir():
        for chunk in partition(path.name, path.read_bytes(), 20).chunks:
            assert chunk[2] - chunk[1] <= 20 * BYTES_PER_TOKEN, path.name


def test_line_numbers_match_the_bytes() -> None:
    """start_line/end_line are the 1-based lines of the chunk's first and last bytes."""
    data = (SAMPLES / "shapes.py").read_bytes()
    for _, start, end, first, last, *_ in partition("shapes.py", data, 10).chunks:
        assert first == data.count(b"\n", 0, start) + 1
        assert last == data.count(b"\n", 0, end - 1) + 1


def test_this_repository_rebuilds_byte_for_byte() -> None:
    """Every text file of rlm-mcp itself survives partitioning unchanged."""
    checked = 0
    for folder in ("rlm_mcp", "tests", "sandbox", "bench"):
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                data = path.read_bytes()
                assert _rebuilt(data, partition(path.name, data, 200).chunks) == data, path
                checked += 1
    assert checked > 20


def test_stdlib_slice_rebuilds_byte_for_byte() -> None:
    """A spread of standard-library modules, at a small budget to force deep splits."""
    for path in _stdlib_slice(60):
        data = path.read_bytes()
        assert _rebuilt(data, partition(path.name, data, 300).chunks) == data, path


def _ast_definitions(source: bytes) -> list[tuple[str, int]]:
    """Functions and classes as the ``ast`` module sees them: dotted qualified name and line."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}" if prefix else child.name
                found.append((name, child.lineno))
                visit(child, name)
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return sorted(found, key=lambda item: (item[1], item[0]))


def test_python_symbols_match_ast_on_the_sample() -> None:
    """Qualified names and lines of the sample's definitions equal what ``ast`` finds."""
    data = (SAMPLES / "shapes.py").read_bytes()
    symbols = partition("shapes.py", data, 1500).symbols
    assert sorted(((name, line) for name, _, line, _ in symbols), key=lambda i: (i[1], i[0])) == _ast_definitions(data)


def test_python_symbols_match_ast_on_the_stdlib() -> None:
    """Same check over a slice of the standard library (files tree-sitter parses without errors)."""
    python = parser("python")
    assert python is not None
    compared = 0
    for path in _stdlib_slice(80):
        data = path.read_bytes()
        try:
            expected = _ast_definitions(data)
        except SyntaxError:
            continue
        if python.parse(data).root_node.has_error:
            continue
        symbols = partition(path.name, data, 1500).symbols
        found = sorted(((name, line) for name, _, line, _ in symbols), key=lambda i: (i[1], i[0]))
        assert found == expected, path
        compared += 1
    assert compared > 50


def test_methods_and_classes_are_told_apart() -> None:
    """A function inside a class is a method; nested functions keep the function kind."""
    kinds = {name: kind for name, kind, _, _ in partition("s.py", (SAMPLES / "shapes.py").read_bytes(), 1500).symbols}
    assert kinds["Point"] == "class"
    assert kinds["Point.norm"] == "method"
    assert kinds["fetch.helper"] == "function"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("Main.java", {"Main", "Main.count", "Main.Visitor"}),
        ("server.go", {"Server", "Server.Start", "New"}),
        ("lib.rs", {"Stack", "Stack.push", "Stack.fmt", "free_function"}),
        ("widget.cpp", {"ui", "ui.Widget", "ui.Widget.draw", "ui.twice"}),
        ("util.c", {"pair", "add", "find", "main"}),
        ("app.js", {"Greeter", "Greeter.greet", "add", "square", "counter"}),
        ("service.ts", {"UserService.find", "makeService", "User"}),
        ("view.tsx", {"Title", "Panel.render"}),
        ("Program.cs", {"Demo.Account.Deposit", "Demo.ILogger"}),
        ("store.rb", {"Shop.Store.total", "Shop.Store.open", "helper"}),
        ("index.php", {"Greeter.greet", "make_greeter", "Loud.shout"}),
        ("Main.kt", {"User.display", "Registry.add", "main"}),
        ("Shapes.swift", {"Circle.area", "Canvas.init", "total"}),
        ("Main.scala", {"Dog.sound", "Main.main", "Counter.inc"}),
        ("deploy.sh", {"log", "build"}),
    ],
)
def test_symbols_in_every_language(sample: str, expected: set[str]) -> None:
    """Each grammar yields its definitions with qualified names."""
    symbols = partition(sample, (SAMPLES / sample).read_bytes(), 1500).symbols
    assert expected <= {name for name, *_ in symbols}


def test_a_chunk_holding_one_definition_is_named_after_it() -> None:
    """With a small budget, each method lands in its own chunk labelled ``Class.method``."""
    chunks = partition("shapes.py", (SAMPLES / "shapes.py").read_bytes(), 25).chunks
    assert ("method", "Point.norm") in {(row[5], row[6]) for row in chunks}


def test_ids_are_stable_and_depend_on_the_budget() -> None:
    """Same path, content and budget give the same ids; another budget gives other chunks."""
    data = (SAMPLES / "lib.rs").read_bytes()
    first = [row[0] for row in partition("lib.rs", data, 30).chunks]
    assert first == [row[0] for row in partition("lib.rs", data, 30).chunks]
    assert len(set(first)) == len(first)
    assert first != [row[0] for row in partition("lib.rs", data, 5).chunks]


def test_markdown_splits_at_headings_outside_fences() -> None:
    """Headings start sections; a ``#`` line inside a fenced block is not a heading."""
    parsed = partition("README.md", (SAMPLES / "README.md").read_bytes(), 1)
    names = [name for name, *_ in parsed.symbols]
    assert names == ["Samples", "Samples > Python", "Samples > Notes", "Samples > Notes > Deeper"]
    assert {row[5] for row in parsed.chunks} == {"section"}


def test_text_without_grammar_is_cut_in_line_windows() -> None:
    """Plain text is split at line ends into windows within the budget."""
    data = b"".join(b"line %d\n" % i for i in range(1000))
    chunks = partition("notes.txt", data, 100).chunks
    assert all(data[row[2] - 1 : row[2]] == b"\n" for row in chunks)
    assert {row[5] for row in chunks} == {"lines"}
    assert _rebuilt(data, chunks) == data


def test_a_long_line_is_cut_between_characters() -> None:
    """A single line over the budget is cut, never inside a multi-byte UTF-8 character."""
    data = "é" * 5000
    chunks = partition("one.txt", data.encode(), 10).chunks
    assert "".join(data.encode()[row[1] : row[2]].decode("utf-8") for row in chunks) == data


def test_unknown_language_has_no_grammar() -> None:
    """A language without a grammar yields no parser, which means line windows, not a crash."""
    assert grammar("cobol") is None
    assert parser("cobol") is None


def test_deeply_nested_code_falls_back_without_recursion_error() -> None:
    """A 3,000-term expression nests past any sane recursion depth and still partitions."""
    data = ("x = " + " + ".join(["1"] * 3000) + "\n").encode()
    chunks = partition("deep.py", data, 10).chunks
    assert _rebuilt(data, chunks) == data


def test_invalid_utf8_and_syntax_errors_do_not_crash() -> None:
    """Broken bytes and broken syntax still give a byte-exact partition."""
    data = b"def f(:\n    return \xff\xfe\n\nclass C:\n    pass\n" * 50
    assert _rebuilt(data, partition("broken.py", data, 20).chunks) == data
