"""The versioned question set: drawn from the standard library with `ast` ground truth, stored as JSON.

Three families: one place (a planted needle, a class definition, a docstring, the callers of a name
in one file), all of the data (counts and arg-max over every function, class and import, as OOLONG
aggregates) and pairs (modules that import each other, as OOLONG-Pairs). `generate` rebuilds a size's
tree and questions from the seed; the same Python gives the same bytes, which `questions/*.json` hold
(`python -m bench.quality --write-set` rewrites them).
"""

from __future__ import annotations

import json
import platform
import random
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from rlm_mcp.errors import RLMError

from . import facts
from .repository import PACKAGES, Needle, Repository, build, needle_places, plant, stdlib_sources

VERSION = 1
"""Bumped whenever a question, an answer or the tree they are asked over changes."""
SEED = 16
SIZES = {"128k": 128_000, "1m": 1_000_000, "10m": 10_000_000}
PACKAGED_SIZES = ("1m", "10m")
"""Sizes whose tree also holds the pinned sdists (128k stays stdlib-only, so its set rebuilds offline)."""
FOLDER = Path(__file__).parent / "questions"

Family = Literal["one_place", "all_data", "pairs"]
Scoring = Literal["exact", "numeric", "one_of", "f1", "pairs", "edges", "choice"]
EXCEPTIONS = ("ValueError", "TypeError", "KeyError", "RuntimeError", "NotImplementedError", "IndexError")
DECORATORS = ("property", "staticmethod", "classmethod", "contextmanager", "abstractmethod", "wraps")
_VAULTS = [
    "amber",
    "cobalt",
    "delta",
    "ember",
    "falcon",
    "granite",
    "harbor",
    "indigo",
    "juniper",
    "krypton",
    "lantern",
    "meadow",
    "nickel",
    "onyx",
    "pepper",
    "quartz",
    "raven",
    "saffron",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]
_IMPORTS = (
    "Module A imports module B when A has `import B`, `from B import ...`, or `from P import N` with B = P.N "
    "(relative imports resolved)."
)
# Questions of each drawn kind per size (128k, 1m, 10m); the kinds asked once per size come on top.
_DRAWN = {
    "needle": (6, 8, 10),
    "symbol": (8, 10, 12),
    "docstring": (6, 10, 12),
    "callers": (6, 10, 12),
    "importers": (8, 10, 12),
    "package_imports": (8, 10, 12),
    "co_pairs": (6, 6, 6),
}


class QuestionSetMismatch(RLMError):
    """The tree built here is not the one a question set was made from (another standard library)."""


@dataclass(frozen=True)
class Question:
    """One question, the `facts.answer_*` call that answers it from {path: source}, and its answer."""

    id: str
    family: Family
    kind: str
    question: str
    function: str
    args: tuple[str, ...]
    expected: str
    scoring: Scoring
    quick: bool = False
    """In the quick set (`--quick`): the first question of each kind at 128k."""

    def solve(self, sources: dict[str, str]) -> str:
        """The answer computed over `sources` (all: the ground truth; a part: less); '' for external questions."""
        if not self.function:
            return ""
        answer: str = getattr(facts, self.function)(sources, *self.args)
        return answer


@dataclass(frozen=True)
class QuestionSet:
    """The questions of one size, the inputs that made them, and the tree they are asked over."""

    size: str
    inputs: dict[str, Any]
    repository: dict[str, Any]
    needles: list[Needle]
    questions: list[Question]
    version: int = VERSION

    def to_json(self) -> str:
        """The set as JSON text; equal sets give equal bytes."""
        body = {
            "set": "rlm-mcp quality",
            "version": self.version,
            "size": self.size,
            "inputs": self.inputs,
            "repository": self.repository,
            "needles": [asdict(needle) for needle in self.needles],
            "questions": [asdict(question) for question in self.questions],
        }
        return json.dumps(body, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> QuestionSet:
        body = json.loads(text)
        questions = [Question(**{**q, "args": tuple(q["args"])}) for q in body["questions"]]
        needles = [Needle(**needle) for needle in body["needles"]]
        return cls(body["size"], body["inputs"], body["repository"], needles, questions, body["version"])

    def build(self, target: Path, packages: Path) -> Repository:
        """The tree these questions are about, in `target` (sdists read from `packages`); QuestionSetMismatch
        when this Python makes another."""
        folder = packages if self.inputs["packages"] else None
        repo = build(target, self.repository["target_tokens"], self.inputs["seed"], folder)
        plant(repo, self.needles)
        if repo.fingerprint() != self.repository["sha256"]:
            raise QuestionSetMismatch(
                f"the {self.size} question set was made from Python {self.inputs['python']}'s standard library, and "
                f"this Python ({platform.python_version()}) builds another tree: run the suite with that Python, or "
                "pass --regenerate to draw a set from this one (its scores are not comparable with published ones)"
            )
        return repo


def path_for(size: str) -> Path:
    return FOLDER / f"{size}.json"


def load(size: str) -> QuestionSet:
    """The committed question set of `size`."""
    return QuestionSet.from_json(path_for(size).read_text(encoding="utf-8"))


def generate(size: str, target: Path, packages: Path, seed: int = SEED) -> tuple[QuestionSet, Repository]:
    """Build the `size` tree in `target`, plant its needles and draw its questions, all from `seed`.

    The sizes in PACKAGED_SIZES also copy the pinned sdists, read from the folder `packages`.
    """
    tokens = SIZES[size]
    rng = random.Random(f"{seed}-{size}")
    packaged = size in PACKAGED_SIZES
    repo = build(target, tokens, seed, packages if packaged else None)
    count = _DRAWN["needle"][list(SIZES).index(size)]
    codes = [f"{rng.choice(_VAULTS)}-{rng.randint(1000, 9999)}" for _ in range(count)]
    places = needle_places(repo, rng, count)
    needles = [
        Needle(vault, code, path, line, indent)
        for vault, code, (path, line, indent) in zip(rng.sample(_VAULTS, count), codes, places, strict=True)
    ]
    plant(repo, needles)
    drawer = _Drawer(repo, rng, size, needles)
    questions = [question for group in _GROUPS for question in drawer.questions(group)]
    inputs = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "sources": "the standard library: .py files outside test folders that parse as UTF-8",
        "stdlib_files": len(stdlib_sources()),
        "packages": [asdict(package) for package in PACKAGES] if packaged else [],
        "seed": seed,
        "sizes": SIZES,
    }
    repository = {"target_tokens": tokens, "files": len(repo.sources), "tokens": repo.tokens}
    return QuestionSet(size, inputs, {**repository, "sha256": repo.fingerprint()}, needles, questions), repo


class _Drawer:
    """Draws the questions of each kind over one built tree, their answers computed over all of it."""

    def __init__(self, repo: Repository, rng: random.Random, size: str, needles: list[Needle]) -> None:
        self.repo, self.rng, self.size, self.needles = repo, rng, size, needles
        self.index = facts.index(repo.sources)
        self.quota = {kind: counts[list(SIZES).index(size)] for kind, counts in _DRAWN.items()}
        self.asked: Counter[str] = Counter()

    def questions(self, group: str) -> list[Question]:
        """The questions of one drawing method; a question whose answer is empty is dropped."""
        made = []
        for family, text, function, args, scoring in getattr(self, group)():
            answer = getattr(facts, function)(self.repo.sources, *args)
            if answer == "":
                continue
            kind = function.removeprefix("answer_")
            self.asked[kind] += 1
            quick = self.size == "128k" and self.asked[kind] == 1
            number = self.asked[kind]
            made.append(
                Question(f"{self.size}-{kind}-{number}", family, kind, text, function, args, answer, scoring, quick)
            )
        return made

    def _sample(self, kind: str, candidates: list[Any]) -> list[Any]:
        return self.rng.sample(sorted(candidates), min(self.quota[kind], len(candidates)))

    def needle(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        for needle in self.needles:
            text = (
                f"Somewhere in this repository a code comment gives the access code of vault {needle.vault}. "
                "What is that code? Answer with the code only."
            )
            yield "one_place", text, "answer_needle", (needle.vault,), "exact"

    def symbol(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        defined = Counter(name for f in self.index.values() for name, _, _ in f.classes)
        most = 1 if self.size != "10m" else 4  # at 10M every file has copies
        for name in self._sample("symbol", [n for n, c in defined.items() if c <= most and len(n) > 6]):
            text = (
                f"Where is a class named `{name}` defined (a `class {name}` statement, at any depth)? Give every "
                "definition as path:line (the line of the class statement), one per line, nothing else."
            )
            yield "one_place", text, "answer_symbol", (name,), "f1"

    def docstring(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        candidates = []
        for path, file_facts in self.index.items():
            summaries = Counter(f.doc for f in file_facts.functions)
            candidates += [(path, doc) for doc, n in summaries.items() if n == 1 and len(doc.split()) >= 5]
        for path, doc in self._sample("docstring", candidates):
            text = (
                f'In the file `{path}`, which function or method has a docstring whose first line is "{doc}"? '
                "Answer with its name only, methods as Class.method and nested functions as outer.inner."
            )
            yield "one_place", text, "answer_docstring", (path, doc), "exact"

    def callers(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        candidates = []
        for path, file_facts in self.index.items():
            calls = Counter(name for f in file_facts.functions for name in f.calls)
            candidates += [(path, name) for name, n in calls.items() if len(name) > 3 and 1 <= n <= 3]
        for path, name in self._sample("callers", candidates):
            text = (
                f"In the file `{path}`, which functions or methods call `{name}` (as `{name}(...)` or "
                f"`<something>.{name}(...)`) in their own body? Name methods as Class.method and nested functions "
                "as outer.inner. Answer with the names, one per line, nothing else."
            )
            yield "one_place", text, "answer_callers", (path, name), "f1"

    def raise_count(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        for exception in EXCEPTIONS:
            text = (
                f"How many functions and methods (def or async def, at any depth) contain a `raise {exception}` or "
                f"`raise {exception}(...)` statement in their own body (a raise inside a nested def counts for that "
                "nested def only)? Answer with one integer."
            )
            yield "all_data", text, "answer_raise_count", (exception,), "numeric"

    def decorated(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        for decorator in DECORATORS:
            text = (
                f"How many functions and methods are decorated with `@{decorator}` (also written "
                f"`@<module>.{decorator}`, with or without arguments)? Answer with one integer."
            )
            yield "all_data", text, "answer_decorated", (decorator,), "numeric"

    def totals(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        yield (
            "all_data",
            "Label every function and method (any depth) by its name: private when it starts with exactly one "
            "underscore, else public (dunders like __init__ are public). How many are private? One integer.",
            "answer_private_functions",
            (),
            "numeric",
        )
        yield (
            "all_data",
            "How many class statements (at any depth) have no docstring? Answer with one integer.",
            "answer_undocumented_classes",
            (),
            "numeric",
        )
        yield (
            "all_data",
            "Which file defines the most classes (class statements at any depth)? "
            "Answer with its path only, as listed in the repository.",
            "answer_most_classes",
            (),
            "one_of",
        )
        yield (
            "all_data",
            "Which exception name is raised (`raise X` or `raise X(...)`) by the most functions and methods, "
            "counting each function once per name? Answer with the name only.",
            "answer_most_raised",
            (),
            "exact",
        )
        yield (
            "all_data",
            "Which file holds the longest function or method (most lines from its def line to its last line)? "
            "Answer with its path only.",
            "answer_longest_function",
            (),
            "one_of",
        )

    def importers(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        usage = Counter(name for f in self.index.values() for name in {n.split(".")[0] for n in f.imports})
        for module in self._sample("importers", [name for name, n in usage.items() if 2 <= n <= 12]):
            text = (
                f"Which files import the module `{module}` or one of its submodules (`import {module}`, "
                f"`import {module}.<sub>`, `from {module} import ...`, `from {module}.<sub> import ...`, anywhere "
                "in the file)? Answer with their paths, one per line, nothing else."
            )
            yield "all_data", text, "answer_importers", (module,), "f1"

    def mutual_imports(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        yield (
            "pairs",
            "Name each file by its module (copy0/email/utils.py is email.utils, a package's __init__.py is the "
            f"package). {_IMPORTS} Which pairs of modules import each other? "
            "One pair per line as `A <-> B`, nothing else.",
            "answer_mutual_imports",
            (),
            "pairs",
        )

    def package_imports(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        graph = facts.import_graph(self.repo.sources)
        packages = {m.rpartition(".")[0] for m in graph if "." in m}
        sized = [p for p in packages if 2 <= len(facts.answer_package_imports(self.repo.sources, p).split("\n")) <= 25]
        for package in self._sample("package_imports", sized):
            text = (
                f"Name each file by its module (copy0/{package.replace('.', '/')}/x.py is {package}.x). {_IMPORTS} "
                f"Among `{package}` and its submodules, which imports which? "
                "One pair per line as `A -> B` (A imports B), nothing else."
            )
            yield "pairs", text, "answer_package_imports", (package,), "edges"

    def co_pairs(self) -> Iterator[tuple[Family, str, str, tuple[str, ...], Scoring]]:
        raising = {e: {p for p, f in self.index.items() if any(e in g.raises for g in f.functions)} for e in EXCEPTIONS}
        importing: dict[str, set[str]] = {}
        for path, file_facts in self.index.items():
            for name in {n.split(".")[0] for n in file_facts.imports}:
                importing.setdefault(name, set()).add(path)
        most = 7 if self.size != "10m" else 16
        fitting = [(e, m) for e in EXCEPTIONS for m in importing if 3 <= len(raising[e] & importing[m]) <= most]
        for exception, module in self._sample("co_pairs", fitting):
            text = (
                f"Consider the files that both raise `{exception}` (`raise {exception}` or `raise {exception}(...)`, "
                f"in any function) and import the module `{module}` or a submodule of it. List every pair of such "
                "files, one pair per line as `path A <-> path B`, nothing else."
            )
            yield "pairs", text, "answer_co_pairs", (exception, module), "pairs"


_GROUPS: tuple[str, ...] = (
    "needle",
    "symbol",
    "docstring",
    "callers",
    "raise_count",
    "decorated",
    "totals",
    "importers",
    "mutual_imports",
    "package_imports",
    "co_pairs",
)


def write(sizes: Sequence[str], packages: Path) -> None:
    """Regenerate the committed sets of `sizes` into FOLDER (the sdists read from `packages`)."""
    FOLDER.mkdir(exist_ok=True)
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="rlm-questions-") as tmp:
            drawn, _ = generate(size, Path(tmp), packages)
        path_for(size).write_text(drawn.to_json(), encoding="utf-8")
        print(f"{path_for(size)}: {len(drawn.questions)} questions over {drawn.repository['files']} files")
