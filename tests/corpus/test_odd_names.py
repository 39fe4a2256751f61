"""Names that are not UTF-8 (any bytes but '/' on Linux) are skipped with a reason; the rest of the folder loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rlm_mcp.corpus import load_corpus

pytestmark = pytest.mark.skipif(os.name != "posix", reason="only POSIX file names can be arbitrary bytes")


def make_odd_tree(root: Path) -> Path:
    """``ok.py`` next to ``caf\\xe9.py``, a folder ``d\\xe9j\\xe0/`` with ``x.py``, and ``keep/`` with one of each."""
    base = os.fsencode(root)
    for folder in (b"", b"/d\xe9j\xe0", b"/keep"):
        os.makedirs(base + folder, exist_ok=True)
    files = {b"/ok.py": b"x = 1\n", b"/caf\xe9.py": b"y = 2\n", b"/d\xe9j\xe0/x.py": b"z = 3\n"}
    files |= {b"/keep/k.py": b"k = 4\n", b"/keep/n\xe9e.txt": b"unscreened\n"}
    for name, data in files.items():
        with open(base + name, "wb") as handle:
            handle.write(data)
    return root


def test_undecodable_names_are_skipped_with_a_reason(tmp_path: Path) -> None:
    """The load succeeds; each odd name is listed once, escaped (its folder not walked), as ``undecodable_name``."""
    corpus = load_corpus(make_odd_tree(tmp_path / "repo"))
    assert sorted(info.path for info in corpus.files) == ["keep/k.py", "ok.py"]
    assert {(item.path, item.reason) for item in corpus.skipped} == {
        ("caf\\xe9.py", "undecodable_name"),
        ("d\\xe9j\\xe0/", "undecodable_name"),
        ("keep/n\\xe9e.txt", "undecodable_name"),
    }
    for item in corpus.skipped:
        item.path.encode()  # every name the agent or the sandbox is sent is valid UTF-8


def test_an_undecodable_name_is_never_masked_by_its_escaped_name(tmp_path: Path) -> None:
    """The sandbox could not hide a file by a name that is not its own, so loaded files are mounted one by one."""
    exposure = load_corpus(make_odd_tree(tmp_path / "repo")).exposure
    assert exposure is not None
    assert sorted(exposure.shown) == ["keep/k.py", "ok.py"] and exposure.hidden == ()


def test_an_odd_name_in_a_folder_without_loaded_files_is_hidden_by_that_folder(tmp_path: Path) -> None:
    """When no loaded file shares its folder, hiding the folder hides the odd name: the folder stays mounted whole."""
    root = tmp_path / "repo"
    (root / "odd").mkdir(parents=True)
    (root / "ok.py").write_text("x = 1\n")
    with open(os.fsencode(root / "odd") + b"/caf\xe9.py", "wb") as handle:
        handle.write(b"y = 2\n")
    exposure = load_corpus(root).exposure
    assert exposure is not None
    assert exposure.shown == ("",) and exposure.hidden == ("odd/",)
