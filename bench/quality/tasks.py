"""The quality tasks, generated from a built repository and a seed, each with its ground truth.

Three families, scored the way the RLM paper scores them (see scoring.py): a needle planted in one
function (exact match), OOLONG-style aggregations that need every file (numeric 0.75^|error|,
or the right file), and code QA on import and call relations (F1 over the listed items).
"""

from __future__ import annotations

import ast
import random
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from . import facts
from .repository import Repository

Scoring = Literal["exact", "numeric", "one_of", "f1"]
Family = Literal["needle", "aggregation", "code_qa"]
EXCEPTIONS = ("ValueError", "TypeError", "KeyError", "RuntimeError", "NotImplementedError", "IndexError")
_CODE_WORDS = ("amber", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "indigo", "juniper", "krypton")


@dataclass(frozen=True)
class Task:
    """One question, how to compute its answer from sources, and the expected answer."""

    id: str
    family: Family
    question: str
    function: str
    """The `facts.answer_*` function that answers it from {path: source}."""
    args: tuple[str, ...]
    expected: str
    scoring: Scoring
    where: str = ""
    """For the needle: path:line of the planted fact."""

    def solve(self, sources: dict[str, str]) -> str:
        """The answer computed over `sources` (all of them: the ground truth; a truncated part: less)."""
        answer: str = getattr(facts, self.function)(sources, *self.args)
        return answer


def plant_needle(repo: Repository, rng: random.Random) -> tuple[str, str]:
    """Write a comment with a fresh code into the body of one function; return the code and path:line."""
    code = f"{rng.choice(_CODE_WORDS)}-{rng.randint(1000, 9999)}"
    candidates = []
    for path in sorted(repo.sources):
        tree = ast.parse(repo.sources[path])
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body[0].lineno > node.lineno:
                candidates.append((path, node.body[0].lineno, node.body[0].col_offset))
    path, line, indent = rng.choice(candidates)
    lines = repo.sources[path].splitlines(keepends=True)
    lines.insert(line - 1, f"{' ' * indent}# The vault access code is {code}.\n")
    text = "".join(lines)
    (repo.root / path).write_text(text, encoding="utf-8")
    repo.sources[path] = text
    return code, f"{path}:{line}"


def generate(repo: Repository, seed: int, quick: bool) -> list[Task]:
    """Plant the needle in `repo` and draw the questions for `seed`; quick draws one of each kind."""
    rng = random.Random(seed)
    code, where = plant_needle(repo, rng)
    tasks = [
        Task(
            "needle",
            "needle",
            "Somewhere in this repository a code comment gives the vault access code. "
            "What is the code? Answer with the code only.",
            "answer_needle",
            (),
            code,
            "exact",
            where,
        )
    ]
    exceptions = rng.sample(EXCEPTIONS, 1 if quick else 3)
    tasks += [_raise_count(repo, exception) for exception in exceptions]
    tasks.append(_most_classes(repo))
    tasks += _importers(repo, rng, 1 if quick else 2)
    tasks += _callers(repo, rng, 1 if quick else 2)
    return tasks


def _task(
    repo: Repository, id: str, family: Family, question: str, function: str, args: tuple[str, ...], scoring: Scoring
) -> Task:
    """A task whose expected answer is computed over every source of `repo`."""
    answer: str = getattr(facts, function)(repo.sources, *args)
    return Task(id, family, question, function, args, answer, scoring)


def _raise_count(repo: Repository, exception: str) -> Task:
    question = (
        f"How many functions and methods (def or async def, at any depth) contain a `raise {exception}` or "
        f"`raise {exception}(...)` statement in their own body (a raise inside a nested def counts for that "
        f"nested def only)? Answer with one integer."
    )
    return _task(repo, f"raise-{exception}", "aggregation", question, "answer_raise_count", (exception,), "numeric")


def _most_classes(repo: Repository) -> Task:
    question = (
        "Which file defines the most classes (class statements at any depth)? "
        "Answer with its path only, as listed in the repository."
    )
    return _task(repo, "most-classes", "aggregation", question, "answer_most_classes", (), "one_of")


def _importers(repo: Repository, rng: random.Random, count: int) -> list[Task]:
    """Modules imported by 2 to 6 files: small enough to list, spread enough to need a search."""
    trees = facts.parsed(repo.sources)
    usage = Counter(name for tree in trees.values() for name in facts.imported_modules(tree))
    modules = sorted(name for name, files in usage.items() if 2 <= files <= 6)
    tasks = []
    for module in rng.sample(modules, count):
        question = (
            f"Which files import the module `{module}` (as `import {module}`, `import {module}.<sub>`, "
            f"`from {module} import ...` or `from {module}.<sub> import ...`, anywhere in the file)? "
            "Answer with their paths, one per line, nothing else."
        )
        tasks.append(_task(repo, f"importers-{module}", "code_qa", question, "answer_importers", (module,), "f1"))
    return tasks


def _callers(repo: Repository, rng: random.Random, count: int) -> list[Task]:
    """Names called by 1 to 3 functions of a file, in files drawn by the seed."""
    paths = sorted(repo.sources)
    rng.shuffle(paths)
    pairs: list[tuple[str, str]] = []
    for path in paths:
        if len(pairs) == count:
            break
        tree = ast.parse(repo.sources[path])
        names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        fitting = [name for name in sorted(names) if len(name) > 3 and 1 <= len(facts.callers(tree, name)) <= 3]
        if fitting:
            pairs.append((path, rng.choice(fitting)))
    tasks = []
    for path, name in pairs:
        question = (
            f"In the file `{path}`, which functions or methods call `{name}` (as `{name}(...)` or "
            f"`<something>.{name}(...)`) in their own body? Name methods as Class.method and nested functions "
            "as outer.inner. Answer with the names, one per line, nothing else."
        )
        tasks.append(_task(repo, f"callers-{name}", "code_qa", question, "answer_callers", (path, name), "f1"))
    return tasks
