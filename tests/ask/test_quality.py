"""The quality question set: reproducible from the seed, big enough, and its `ast` answers agree with tree-sitter."""

from __future__ import annotations

import hashlib
import io
import platform
import re
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter_python
from tree_sitter import Language, Node, Parser

from bench.quality import questions
from bench.quality.questions import Question, QuestionSetMismatch
from bench.quality.repository import PACKAGES, Package, PackagesMissing, Repository, package_sources
from bench.quality.scoring import score

PARSER = Parser(Language(tree_sitter_python.language()))
NO_SDISTS = Path("/nonexistent/sdists")
"""The 128k tree is the stdlib alone: no sdist folder is read."""


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[questions.QuestionSet, Repository]:
    """The 128k set and its tree, generated afresh from the seed."""
    return questions.generate("128k", tmp_path_factory.mktemp("quality"), NO_SDISTS)


def of_kind(drawn: tuple[questions.QuestionSet, Repository], kind: str) -> list[Question]:
    found = [question for question in drawn[0].questions if question.kind == kind]
    assert found, f"no {kind} question drawn"
    return found


def nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from nodes(child)


def trees(repo: Repository) -> dict[str, Node]:
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


@pytest.mark.skipif(
    platform.python_version() != questions.load("128k").inputs["python"],
    reason="the committed set comes from another Python's standard library",
)
def test_regenerating_the_128k_set_gives_the_committed_bytes(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """The committed 128k set (the quick questions among it) is what the generator makes from the recorded seed."""
    assert drawn[0].to_json() == questions.path_for("128k").read_text(encoding="utf-8")


def test_the_same_seed_draws_the_same_set_and_another_seed_another(
    tmp_path: Path, drawn: tuple[questions.QuestionSet, Repository]
) -> None:
    """Two generations agree byte for byte on any Python; another seed builds another tree and other questions."""
    again, repo = questions.generate("128k", tmp_path / "again", NO_SDISTS)
    assert again.to_json() == drawn[0].to_json() and repo.sources == drawn[1].sources
    other, _ = questions.generate("128k", tmp_path / "other", NO_SDISTS, seed=questions.SEED + 1)
    assert other.repository["sha256"] != again.repository["sha256"]
    assert {q.question for q in other.questions} != {q.question for q in again.questions}


def test_the_committed_sets_cover_every_family_at_every_size() -> None:
    """At least 200 questions; each size asks one-place, all-data and pairs questions; the quick set has every kind."""
    sets = {size: questions.load(size) for size in questions.SIZES}
    assert sum(len(s.questions) for s in sets.values()) >= 200
    for size, drawn_set in sets.items():
        assert {q.family for q in drawn_set.questions} == {"one_place", "all_data", "pairs"}, size
        assert drawn_set.repository["tokens"] >= questions.SIZES[size]
    quick = [q for q in sets["128k"].questions if q.quick]
    assert Counter(q.kind for q in quick) == Counter({kind: 1 for kind in {q.kind for q in sets["128k"].questions}})


def test_a_tree_that_differs_from_the_recorded_one_is_refused(tmp_path: Path) -> None:
    """A set whose fingerprint this Python cannot rebuild is refused, naming the Python and --regenerate."""
    committed = questions.load("128k")
    forged = questions.QuestionSet(
        committed.size, committed.inputs, {**committed.repository, "sha256": "0" * 64}, committed.needles, []
    )
    with pytest.raises(QuestionSetMismatch, match=r"Python 3\.\d+\.\d+.*--regenerate"):
        forged.build(tmp_path, NO_SDISTS)


def test_each_needle_is_planted_once_inside_a_function(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """A plain text search finds each code exactly once, at the recorded line, inside a def."""
    drawn_set, repo = drawn
    for needle in drawn_set.needles:
        found = [
            f"{path}:{number}"
            for path, source in repo.sources.items()
            for number, line in enumerate(source.splitlines(), 1)
            if needle.code in line
        ]
        assert found == [f"{needle.path}:{needle.line}"]
        root = PARSER.parse((repo.root / needle.path).read_bytes()).root_node
        functions = [n for n in nodes(root) if n.type == "function_definition"]
        assert any(f.start_point.row < needle.line - 1 <= f.end_point.row for f in functions)
    assert {q.expected for q in of_kind(drawn, "needle")} == {n.code for n in drawn_set.needles}


def test_class_locations_agree_with_tree_sitter(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """Every path:line of a class statement with the name, from tree-sitter's tree."""
    for question in of_kind(drawn, "symbol"):
        (name,) = question.args
        found = {
            f"{path}:{node.start_point.row + 1}"
            for path, root in trees(drawn[1]).items()
            for node in nodes(root)
            if node.type == "class_definition" and text(node.child_by_field_name("name")) == name
        }
        assert question.expected.splitlines() == sorted(found), question.id


def test_raise_counts_agree_with_tree_sitter(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """Functions raising the exception in their own body, counted on tree-sitter's tree."""
    for question in of_kind(drawn, "raise_count"):
        (exception,) = question.args
        raising = set()
        for path, root in trees(drawn[1]).items():
            for node in nodes(root):
                raised = node.named_children[0] if node.type == "raise_statement" and node.named_children else None
                if raised is not None and raised.type == "call":
                    raised = raised.child_by_field_name("function")
                if raised is not None and text(raised) == exception and (function := owner(node)) is not None:
                    raising.add((path, function.start_byte))
        assert question.expected == str(len(raising)), question.id


def test_most_classes_agrees_with_tree_sitter(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """The file(s) with the most class definitions, counted on tree-sitter's tree."""
    counts = {path: sum(n.type == "class_definition" for n in nodes(root)) for path, root in trees(drawn[1]).items()}
    most = max(counts.values())
    (question,) = of_kind(drawn, "most_classes")
    assert question.expected.splitlines() == sorted(p for p, c in counts.items() if c == most)


def test_importers_agree_with_tree_sitter_import_statements(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """Files importing the module, found by tree-sitter import statements' module names."""
    for question in of_kind(drawn, "importers"):
        (module,) = question.args
        importing = set()
        for path, root in trees(drawn[1]).items():
            for node in nodes(root):
                if node.type == "import_statement":
                    names = [text(n.child_by_field_name("name") or n) for n in node.named_children]
                elif node.type == "import_from_statement":
                    names = [text(node.child_by_field_name("module_name"))]
                else:
                    continue
                if any(re.fullmatch(rf"{module}(\..*)?", name) for name in names):
                    importing.add(path)
        assert question.expected.splitlines() == sorted(importing), question.id


def test_callers_agree_with_tree_sitter(drawn: tuple[questions.QuestionSet, Repository]) -> None:
    """Functions of the file whose own body calls the name, as Class.method / outer.inner."""
    for question in of_kind(drawn, "callers"):
        path, name = question.args
        root = PARSER.parse(drawn[1].sources[path].encode()).root_node
        calling = set()
        for node in nodes(root):
            called = node.child_by_field_name("function") if node.type == "call" else None
            matches = called is not None and (text(called) == name or text(called).endswith(f".{name}"))
            if matches and (function := owner(node)) is not None:
                calling.add(qualified(function))
        assert question.expected.splitlines() == sorted(calling), question.id


@pytest.mark.parametrize(
    ("scoring", "answer", "expected", "points"),
    [
        ("exact", "The code is amber-1234.", "amber-1234", 1.0),
        ("exact", "amber-12345", "amber-1234", 0.0),
        ("numeric", "There are 12 such functions.", "12", 1.0),
        ("numeric", "14", "12", 0.75**2),
        ("numeric", "none", "12", 0.0),
        ("numeric", "9" * 400, "12", 0.0),
        ("numeric", "9" * 5000, "12", 0.0),
        ("one_of", "`copy0/a.py` defines 9", "copy0/a.py\ncopy0/b.py", 1.0),
        ("f1", "- a.py\n- c.py", "a.py\nb.py", 0.5),
        ("pairs", "- `b.x` <-> `a.y`\n- a.y, c", "a.y <-> b.x\na.y <-> d", 0.5),
        ("edges", "a -> b\nb -> a", "a -> b", 2 / 3),
        ("pairs", "copy0/x.py <-> copy0/w.py", "copy0/w.py <-> copy0/x.py", 1.0),
    ],
)
def test_scores_follow_the_paper(scoring: str, answer: str, expected: str, points: float) -> None:
    """Exact match for lookups, 0.75^|error| for counts, set F1 for lists and for (un)ordered pairs."""
    assert score(scoring, answer, expected) == pytest.approx(points)  # type: ignore[arg-type]


def test_an_sdist_brings_its_own_package_files_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    """A pinned sdist gives its package folder (src/ layout too, tests left out); a file of another hash is refused."""
    archive = tmp_path / "tinypkg-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in {
            "src/tinypkg/core.py": "def f():\n    return 1\n",
            "src/tinypkg/tests/t.py": "x = 1\n",
        }.items():
            data = text.encode()
            member = tarfile.TarInfo(f"tinypkg-1.0/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    pinned = Package("tinypkg", "1.0", hashlib.sha256(archive.read_bytes()).hexdigest())
    assert package_sources(tmp_path, [pinned]) == [("tinypkg/core.py", "def f():\n    return 1\n")]
    with pytest.raises(PackagesMissing, match="--fetch-packages"):
        package_sources(tmp_path, [Package("tinypkg", "1.0", "0" * 64)])


def test_the_larger_sets_name_the_pinned_sdists_they_were_drawn_with() -> None:
    """1M and 10M record the sdists (name, version, sha256) their trees hold; 128k is the stdlib alone."""
    assert questions.load("128k").inputs["packages"] == []
    for size in questions.PACKAGED_SIZES:
        assert [p["name"] for p in questions.load(size).inputs["packages"]] == [p.name for p in PACKAGES]
