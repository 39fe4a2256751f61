"""The index cache: unchanged files are reused, only changed ones are parsed again."""

from __future__ import annotations

import os
from pathlib import Path

from rlm_mcp.corpus import LoadOptions, load_corpus, repartition


def _options(tmp_path: Path, **extra: object) -> LoadOptions:
    return LoadOptions(cache_dir=tmp_path / "cache", **extra)  # type: ignore[arg-type]


def test_warm_reload_parses_nothing(sample_repo: Path, tmp_path: Path) -> None:
    """A second load of an unchanged tree reuses every file and gives identical chunks."""
    cold = load_corpus(sample_repo, _options(tmp_path))
    warm = load_corpus(sample_repo, _options(tmp_path))
    assert cold.stats.parsed_files == len(cold.files)
    assert warm.stats.parsed_files == 0
    assert warm.stats.reused_files == len(cold.files)
    assert warm.chunks == cold.chunks and warm.symbols == cold.symbols


def test_only_changed_files_are_parsed(sample_repo: Path, tmp_path: Path) -> None:
    """Editing one file re-parses that file only; its new chunks reflect the edit."""
    load_corpus(sample_repo, _options(tmp_path))
    target = sample_repo / "shapes.py"
    target.write_text(target.read_text() + "\n\ndef added():\n    return 2\n")
    reloaded = load_corpus(sample_repo, _options(tmp_path))
    assert reloaded.stats.parsed_files == 1
    assert "added" in {symbol.name for symbol in reloaded.symbols}


def test_touched_but_identical_file_is_rehashed_not_parsed(sample_repo: Path, tmp_path: Path) -> None:
    """A new mtime with the same content costs a hash, not a parse."""
    load_corpus(sample_repo, _options(tmp_path))
    target = sample_repo / "lib.rs"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    reloaded = load_corpus(sample_repo, _options(tmp_path))
    assert (reloaded.stats.parsed_files, reloaded.stats.rehashed_files) == (0, 1)


def test_an_edit_that_keeps_size_and_mtime_is_noticed(sample_repo: Path, tmp_path: Path) -> None:
    """An edit of the same size whose mtime is set back (``cp -p``, ``rsync -a``) is re-read, as a cold load would."""
    load_corpus(sample_repo, _options(tmp_path))
    target = sample_repo / "shapes.py"
    before = target.stat()
    edited = target.read_text().replace("def norm(", "def mron(")
    target.write_text(edited)
    while target.stat().st_ctime_ns == before.st_ctime_ns:  # the kernel's clock ticks coarsely
        target.write_text(edited)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reloaded = load_corpus(sample_repo, _options(tmp_path))
    cold = load_corpus(sample_repo)
    assert reloaded.stats.parsed_files == 1
    assert "Point.mron" in {symbol.name for symbol in reloaded.symbols}
    assert [info.sha for info in reloaded.files] == [info.sha for info in cold.files]
    assert reloaded.chunks == cold.chunks and reloaded.symbols == cold.symbols


def test_deleted_and_added_files_are_noticed(sample_repo: Path, tmp_path: Path) -> None:
    """Removed files disappear from the corpus; new files are parsed."""
    load_corpus(sample_repo, _options(tmp_path))
    (sample_repo / "util.c").unlink()
    (sample_repo / "new.go").write_text("package x\n\nfunc N() {}\n")
    reloaded = load_corpus(sample_repo, _options(tmp_path))
    paths = {info.path for info in reloaded.files}
    assert "util.c" not in paths and "new.go" in paths
    assert reloaded.stats.parsed_files == 1


def test_ids_are_stable_across_reloads_without_cache(sample_repo: Path) -> None:
    """Chunk ids depend only on path, content and budget, not on the load or the cache."""
    first = [chunk.id for chunk in load_corpus(sample_repo).chunks]
    assert first == [chunk.id for chunk in load_corpus(sample_repo).chunks]


def test_a_corrupt_cache_costs_only_a_cold_load(sample_repo: Path, tmp_path: Path) -> None:
    """Garbage in the cache folder is ignored and replaced."""
    load_corpus(sample_repo, _options(tmp_path))
    for file in (tmp_path / "cache").iterdir():
        file.write_bytes(b"not marshal")
    reloaded = load_corpus(sample_repo, _options(tmp_path))
    assert reloaded.stats.parsed_files == len(reloaded.files)
    assert load_corpus(sample_repo, _options(tmp_path)).stats.parsed_files == 0


def test_repartition_with_another_budget_uses_the_cache(sample_repo: Path, tmp_path: Path) -> None:
    """Re-chunking at a new budget parses once; the next load at that budget reuses it."""
    corpus = load_corpus(sample_repo, _options(tmp_path))
    finer = repartition(corpus, chunk_tokens=20)
    assert finer.chunk_tokens == 20 and len(finer.chunks) > len(corpus.chunks)
    again = load_corpus(sample_repo, _options(tmp_path, chunk_tokens=20))
    assert again.stats.parsed_files == 0
    assert [chunk.id for chunk in again.chunks] == [chunk.id for chunk in finer.chunks]


def test_repartition_filters_keep_file_indexes(sample_repo: Path) -> None:
    """Filters by file index and kind; files stay in place so indexes still match."""
    corpus = load_corpus(sample_repo, LoadOptions(chunk_tokens=25))
    python = [index for index, info in enumerate(corpus.files) if info.path.endswith(".py")]
    python_only = repartition(corpus, files=python)
    assert {chunk.path for chunk in python_only.chunks} == {"shapes.py"}
    assert python_only.files == corpus.files
    rust_and_go = [index for index, info in enumerate(corpus.files) if info.language in ("rust", "go")]
    methods = repartition(corpus, files=rust_and_go, kinds=("method",))
    assert methods.chunks and {chunk.kind for chunk in methods.chunks} == {"method"}
    assert {chunk.language for chunk in methods.chunks} <= {"rust", "go"}


def test_repartition_raw_text() -> None:
    """Raw text re-chunks from the text held in memory."""
    from rlm_mcp.corpus import load_text

    text = "word " * 20000
    corpus = load_text(text)
    smaller = repartition(corpus, chunk_tokens=100)
    assert len(smaller.chunks) > len(corpus.chunks)
    assert "".join(text[chunk.start_byte : chunk.end_byte] for chunk in smaller.chunks) == text
