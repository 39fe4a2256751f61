"""The quality suite: generators are reproducible, ground truth agrees with tree-sitter, scores and report hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tree_sitter_python
from tree_sitter import Language, Node, Parser

from bench.quality import repository
from bench.quality.scoring import score
from bench.quality.suite import run
from bench.quality.tasks import Task, generate
from rlm_mcp.config import Settings

SMALL = 200_000  # tokens: ~45 files, enough for every kind of question
PARSER = Parser(Language(tree_sitter_python.language()))


def build(
    tmp_path: Path, seed: int, name: str = "repo", quick: bool = False
) -> tuple[repository.Repository, list[Task]]:
    repo = repository.build(tmp_path / name, SMALL, seed)
    return repo, generate(repo, seed, quick)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[repository.Repository, dict[str, Task]]:
    repo, tasks = build(tmp_path_factory.mktemp("quality"), seed=7)
    return repo, {task.id: task for task in tasks}


def nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from nodes(child)


def trees(repo: repository.Repository) -> dict[str, Node]:
    return {path: PARSER.parse(text.encode()).root_node for path, text in repo.sources.items()}


def text(node: Node | None) -> str:
    return node.text.decode() if node is not None and node.text is not None else ""


def owner(node: Node) -> Node | None:
    """The innermost function definition around `node` (a decorator sits outside its function)."""
    parent = node.parent
    while parent is not None and parent.type != "function_definition":
        parent = parent.parent
    return parent


def qualified(function: Node) -> str:
    names = []
    node: Node | None = function
    while node is not None:
        if node.type in ("function_definition", "class_definition"):
            names.append(text(node.child_by_field_name("name")))
        node = node.parent
    return ".".join(reversed(names))


def test_the_same_seed_builds_the_same_repository_and_questions(tmp_path: Path) -> None:
    """Two builds with one seed agree byte for byte; another seed draws other questions."""
    first, first_tasks = build(tmp_path, 3, "a", quick=True)
    second, second_tasks = build(tmp_path, 3, "b", quick=True)
    assert first.sources == second.sources and first_tasks == second_tasks
    _, other_tasks = build(tmp_path, 4, "c", quick=True)
    assert [t.question for t in other_tasks] != [t.question for t in first_tasks]


def test_the_needle_is_planted_once_inside_a_function(built: tuple[repository.Repository, dict[str, Task]]) -> None:
    """A plain text search finds the code exactly once, at the recorded line, inside a def."""
    repo, tasks = built
    needle = tasks["needle"]
    found = [
        f"{path}:{number}"
        for path, source in repo.sources.items()
        for number, line in enumerate(source.splitlines(), 1)
        if needle.expected in line
    ]
    assert found == [needle.where]
    path, line = needle.where.rsplit(":", 1)
    row = int(line) - 1
    tree = PARSER.parse((repo.root / path).read_bytes()).root_node
    functions = [n for n in nodes(tree) if n.type == "function_definition"]
    assert any(f.start_point.row < row <= f.end_point.row for f in functions)


def test_raise_counts_agree_with_tree_sitter(built: tuple[repository.Repository, dict[str, Task]]) -> None:
    """Functions raising the exception in their own body, counted on tree-sitter's tree."""
    repo, tasks = built
    raise_tasks = [t for t in tasks.values() if t.id.startswith("raise-")]
    assert len(raise_tasks) == 3
    for task in raise_tasks:
        (exception,) = task.args
        raising = set()
        for path, root in trees(repo).items():
            for node in nodes(root):
                raised = node.named_children[0] if node.type == "raise_statement" and node.named_children else None
                if raised is not None and raised.type == "call":
                    raised = raised.child_by_field_name("function")
                if raised is not None and text(raised) == exception and (function := owner(node)) is not None:
                    raising.add((path, function.start_byte))
        assert task.expected == str(len(raising)), task.id


def test_most_classes_agrees_with_tree_sitter(built: tuple[repository.Repository, dict[str, Task]]) -> None:
    """The file(s) with the most class definitions, counted on tree-sitter's tree."""
    repo, tasks = built
    counts = {path: sum(n.type == "class_definition" for n in nodes(root)) for path, root in trees(repo).items()}
    most = max(counts.values())
    assert tasks["most-classes"].expected.splitlines() == sorted(p for p, c in counts.items() if c == most)


def test_importers_agree_with_a_regex_over_import_lines(
    built: tuple[repository.Repository, dict[str, Task]],
) -> None:
    """Files importing the module, found by tree-sitter import statements' module names."""
    repo, tasks = built
    for task in (t for t in tasks.values() if t.id.startswith("importers-")):
        (module,) = task.args
        importing = set()
        for path, root in trees(repo).items():
            for node in nodes(root):
                if node.type == "import_statement":
                    names = [text(n.child_by_field_name("name") or n) for n in node.named_children]
                elif node.type == "import_from_statement":
                    names = [text(node.child_by_field_name("module_name"))]
                else:
                    continue
                if any(re.fullmatch(rf"{module}(\..*)?", name) for name in names):
                    importing.add(path)
        assert task.expected.splitlines() == sorted(importing), task.id


def test_callers_agree_with_tree_sitter(built: tuple[repository.Repository, dict[str, Task]]) -> None:
    """Functions of the file whose own body calls the name, as Class.method / outer.inner."""
    repo, tasks = built
    for task in (t for t in tasks.values() if t.id.startswith("callers-")):
        path, name = task.args
        root = PARSER.parse(repo.sources[path].encode()).root_node
        calling = set()
        for node in nodes(root):
            called = node.child_by_field_name("function") if node.type == "call" else None
            matches = called is not None and (text(called) == name or text(called).endswith(f".{name}"))
            if matches and (function := owner(node)) is not None:
                calling.add(qualified(function))
        assert task.expected.splitlines() == sorted(calling), task.id


@pytest.mark.parametrize(
    ("scoring", "answer", "expected", "points"),
    [
        ("exact", "The code is amber-1234.", "amber-1234", 1.0),
        ("exact", "amber-12345", "amber-1234", 0.0),
        ("numeric", "There are 12 such functions.", "12", 1.0),
        ("numeric", "14", "12", 0.75**2),
        ("numeric", "none", "12", 0.0),
        ("one_of", "`copy0/a.py` defines 9", "copy0/a.py\ncopy0/b.py", 1.0),
        ("f1", "- a.py\n- c.py", "a.py\nb.py", 0.5),
    ],
)
def test_scores_follow_the_paper(scoring: str, answer: str, expected: str, points: float) -> None:
    """Exact match for the needle, 0.75^|error| for counts, set F1 for lists."""
    assert score(scoring, answer, expected) == pytest.approx(points)  # type: ignore[arg-type]


def test_the_suite_runs_both_systems_with_the_scripted_root(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """With no model configured the scripted root answers; the report has scores, tokens, cost and time."""
    printed: list[str] = []
    report = run(True, 5, settings=make_settings(backend="local"), tokens=SMALL, window_tokens=4000, log=printed.append)
    assert report["root_model"] == "scripted" and len(report["tasks"]) == 5
    assert all(row["rlm"]["stop_reason"] == "answered" for row in report["tasks"])
    rlm, baseline = report["summary"]["rlm_ask"], report["summary"]["baseline"]
    assert rlm["accuracy"] == 1.0 and baseline["accuracy"] < 1.0
    assert rlm["tokens"] > 0 and baseline["tokens"] > 0 and rlm["seconds"] > 0
    assert "rlm_ask" in printed[0] and "baseline" in printed[0]
