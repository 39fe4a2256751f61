"""Loaders for external question sets, read from files the user downloaded (nothing is fetched here).

* LongBench-v2 (huggingface.co/datasets/THUDM/LongBench-v2, `data.json`): a JSON list of items with
  `_id`, `domain`, `sub_domain`, `difficulty`, `length`, `question`, `choice_A`..`choice_D`, `answer`
  (a letter) and `context` (one string). Only the "Code Repository Understanding" domain is kept;
  the context becomes one file, `context.txt`; scored by the letter chosen.
* RepoQA's Search Needle Function (github.com/evalplus/repoqa_release, `repoqa-2024-04-20.json`, or
  the `.jsonl.gz` release whose one line is that object): {language: [repository]} where a repository
  has `repo`, `content` ({path: text}) and `needles` ([{name, path, description, ...}]). Each needle is
  a question over the repository's files: which function does the description describe? Scored by
  the function's name (RepoQA itself scores the reproduced code's similarity; naming it is our form).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from rlm_mcp.errors import RLMError

from .questions import Question

LONGBENCH_CODE_DOMAIN = "Code Repository Understanding"
FORMATS = ("longbench", "repoqa")


@dataclass(frozen=True)
class ExternalItem:
    """One question of an external set and the files it is asked over."""

    files: dict[str, str]
    question: Question


def load(kind: str, path: Path) -> list[ExternalItem]:
    """The items of an external set file of `kind` (one of FORMATS)."""
    try:
        body = _read(path)
    except (OSError, ValueError) as exc:
        raise RLMError(f"cannot read the {kind} file {path}: {exc}; pass the file as downloaded") from exc
    try:
        return _longbench(body) if kind == "longbench" else _repoqa(body)
    except (KeyError, TypeError, AttributeError) as exc:
        raise RLMError(
            f"{path} is not in the {kind} format ({type(exc).__name__}: {exc}); see bench/quality/external.py"
        ) from exc


def _read(path: Path) -> Any:
    raw = path.read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    return json.loads(text)


def _longbench(items: list[dict[str, Any]]) -> list[ExternalItem]:
    found = []
    for item in items:
        if item["domain"] != LONGBENCH_CODE_DOMAIN:
            continue
        choices = "\n".join(f"({letter}) {item[f'choice_{letter}']}" for letter in "ABCD")
        text = (
            f"{item['question'].strip()}\n\n{choices}\n\nThe repository is in context.txt. "
            "Answer with the letter of the correct choice only."
        )
        question = Question(
            f"longbench-{item['_id']}",
            "one_place",
            f"longbench/{item['sub_domain']}",
            text,
            "",
            (),
            item["answer"],
            "choice",
        )
        found.append(ExternalItem({"context.txt": item["context"]}, question))
    return found


def _repoqa(languages: dict[str, list[dict[str, Any]]]) -> list[ExternalItem]:
    found = []
    for language, repositories in languages.items():
        for repository in repositories:
            for needle in repository.get("needles", []):
                text = (
                    f"Function description:{needle['description']}\n\nWhich function of this {language} repository "
                    "does the description describe? Answer with the function's name only."
                )
                name = f"repoqa-{language}-{repository['repo'].replace('/', '_')}-{needle['name']}"
                question = Question(name, "one_place", f"repoqa/{language}", text, "", (), needle["name"], "exact")
                found.append(ExternalItem(_files(repository["content"]), question))
    return found


def _files(content: dict[str, str]) -> dict[str, str]:
    """A repository's {path: text}, refused when a path would be written outside the folder it is put in."""
    for path in content:
        parts = PurePosixPath(path).parts
        if not parts or PurePosixPath(path).is_absolute() or ".." in parts or "\\" in path:
            raise RLMError(f"the path {path[:200]!r} would leave the repository's folder; pass the file as downloaded")
    return dict(content)
