"""The sandbox's file cache: texts are decoded once and kept, within a budget of bytes, least recently used out first.

The sandbox's own `context` module is imported as the runtime imports it (its folder on the path),
and fed the host's real load payload for a small repository.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rlm_mcp.corpus import LoadOptions, load_corpus
from rlm_mcp.runtime import runtime_dir

FILE_BYTES = 10_000


@pytest.fixture
def context_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The runtime's `context` module, imported as the sandbox imports it."""
    monkeypatch.syspath_prepend(str(runtime_dir()))
    return importlib.import_module("context")


@pytest.fixture
def ten_files(tmp_path: Path) -> Path:
    """Ten text files of 10,000 bytes in 80-byte lines, each with its own non-ASCII first line so a wrong text shows."""
    for number in range(10):
        head = f"# file {number} · naïve\n"
        body = ("x" * 79 + "\n") * FILE_BYTES
        (tmp_path / f"f{number}.txt").write_text(head + body[: FILE_BYTES - len(head.encode())])
    return tmp_path


def _loaded(context_module: ModuleType, root: Path, **extra: Any) -> tuple[Any, dict[str, Any]]:
    """The sandbox's store for `root` as the host's payload builds it (plus `extra` payload keys)."""
    payload = json.loads(json.dumps(load_corpus(root, LoadOptions(cache_dir=None)).payload()))
    _, store, _, _, _ = context_module.load_payload({**payload, **extra})
    return store, store.files


def _read(files: dict[str, Any], *paths: str) -> None:
    for path in paths:
        assert files[path].text


def test_a_second_scan_of_the_texts_is_served_from_the_cache(context_module: ModuleType, ten_files: Path) -> None:
    """`f.text` twice gives the very same string object: the file is neither re-read nor re-decoded."""
    _, files = _loaded(context_module, ten_files)
    first = [file.text for file in files.values()]
    assert all(again is text for again, text in zip([file.text for file in files.values()], first, strict=True))


def test_the_cache_bound_holds_and_texts_are_right_after_eviction(context_module: ModuleType, ten_files: Path) -> None:
    """With room for about three files, scanning ten twice never holds more than the budget and reads true texts."""
    budget = 3 * (FILE_BYTES + 100)
    store, files = _loaded(context_module, ten_files, cache_bytes=budget)
    for _ in range(2):
        for path, file in files.items():
            assert file.text == (ten_files / path).read_text()
            assert 0 < store.cache.used <= budget
    assert file.text is file.text  # the last one read is still held


def test_the_least_recently_used_file_goes_first(context_module: ModuleType, ten_files: Path) -> None:
    """Touching a file keeps it: after reading f0, f1, f0 and then more, f0 outlives f1."""
    store, files = _loaded(context_module, ten_files, cache_bytes=4 * (FILE_BYTES + 100))
    kept = files["f0.txt"].text
    _read(files, "f1.txt")
    assert files["f0.txt"].text is kept
    dropped = files["f1.txt"].text
    _read(files, "f2.txt", "f0.txt", "f3.txt")
    assert files["f0.txt"].text is kept
    assert files["f1.txt"].text is not dropped
    assert store.cache.used <= store.cache.budget


def test_a_file_larger_than_the_budget_is_read_but_not_kept(context_module: ModuleType, ten_files: Path) -> None:
    """Nothing past the budget is held, not even one file: it is returned and dropped."""
    store, files = _loaded(context_module, ten_files, cache_bytes=FILE_BYTES // 2)
    assert files["f4.txt"].text == (ten_files / "f4.txt").read_text()
    assert store.cache.used == 0


def test_a_file_edited_after_eviction_is_refused_not_served(context_module: ModuleType, ten_files: Path) -> None:
    """Eviction does not skip the staleness check: a re-read of an edited file says to reload."""
    _, files = _loaded(context_module, ten_files, cache_bytes=FILE_BYTES + 200)
    _read(files, "f0.txt", "f1.txt")  # f1 evicts f0
    (ten_files / "f0.txt").write_text("edited\n")
    with pytest.raises(context_module.ContextError, match="changed since the context was loaded"):
        _read(files, "f0.txt")


@pytest.mark.parametrize("bound", [-1, "256m", 1.5, None])
def test_a_cache_bound_that_is_not_a_byte_count_is_refused(
    context_module: ModuleType, ten_files: Path, bound: object
) -> None:
    """The payload's cache_bytes must be a whole number of bytes; anything else is a wire error."""
    wire = sys.modules["wire"]
    with pytest.raises(wire.WireError, match="cache_bytes"):
        _loaded(context_module, ten_files, cache_bytes=bound)
