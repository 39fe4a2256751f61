"""Loading sources: ignore rules, secrets, binaries, symlinks, caps, filters and source kinds."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from rlm_mcp.corpus import LoadOptions, load_corpus, load_text
from rlm_mcp.errors import ContextError

MakeRepo = Callable[[dict[str, str | bytes]], Path]


def _paths(root: Path, **options: object) -> set[str]:
    return {info.path for info in load_corpus(root, LoadOptions(**options)).files}  # type: ignore[arg-type]


def _skipped(root: Path, **options: object) -> dict[str, str]:
    corpus = load_corpus(root, LoadOptions(**options))  # type: ignore[arg-type]
    return {item.path: item.reason for item in corpus.skipped}


def test_folder_paths_are_relative_and_posix(sample_repo: Path) -> None:
    """Every sample loads, named relative to the root with forward slashes."""
    (sample_repo / "pkg" / "sub").mkdir(parents=True)
    (sample_repo / "pkg" / "sub" / "mod.py").write_text("x = 1\n")
    paths = _paths(sample_repo)
    assert "pkg/sub/mod.py" in paths
    assert "shapes.py" in paths and len(paths) == 28


def test_loaded_files_rebuild_from_their_chunks(sample_repo: Path) -> None:
    """Over a whole loaded tree, each file's chunks rebuild it and files carry size, lines, sha."""
    corpus = load_corpus(sample_repo, LoadOptions(chunk_tokens=30))
    for info, parsed in zip(corpus.files, corpus.parsed, strict=True):
        data = (sample_repo / info.path).read_bytes()
        assert b"".join(data[row[1] : row[2]] for row in parsed.chunks) == data
        assert info.size == len(data) and info.lines == data.count(b"\n")


def test_nested_gitignore_with_negation(make_repo: MakeRepo) -> None:
    """Root and nested .gitignore files apply; the nearer one wins; .git/ is never loaded."""
    root = make_repo(
        {
            ".gitignore": "*.log\nbuild/\n",
            "app.log": "noise\n",
            "build/out.py": "x = 1\n",
            "src/.gitignore": "!keep.log\ngenerated.py\n",
            "src/keep.log": "kept\n",
            "src/generated.py": "x = 2\n",
            "src/main.py": "x = 3\n",
            "other/generated.py": "x = 4\n",
            ".git/config": "[core]\n",
        }
    )
    assert _paths(root) == {
        ".gitignore",
        "src/.gitignore",
        "src/keep.log",
        "src/main.py",
        "other/generated.py",
    }
    skipped = _skipped(root)
    assert skipped["app.log"] == "gitignored"
    assert skipped["build/"] == "gitignored"
    assert skipped["src/generated.py"] == "gitignored"
    assert not any(path.startswith(".git/") for path in skipped)


def test_gitignore_can_be_turned_off(make_repo: MakeRepo) -> None:
    """With gitignore=False the ignored files load too."""
    root = make_repo({".gitignore": "*.log\n", "app.log": "noise\n"})
    assert "app.log" in _paths(root, gitignore=False)


def test_binary_files_are_skipped_by_name_and_by_content(make_repo: MakeRepo) -> None:
    """Known binary extensions are skipped unread; a NUL byte marks any other file binary."""
    root = make_repo({"logo.png": b"\x89PNG\r\n", "blob.dat2": b"abc\x00def", "ok.py": "x = 1\n"})
    assert _skipped(root) == {"logo.png": "binary", "blob.dat2": "binary"}


def test_secrets_are_excluded_by_default(make_repo: MakeRepo) -> None:
    """.env files, keys and credential files never load by default; a file holding a key loads without it."""
    key = "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 64 + "\n-----END RSA PRIVATE KEY-----\n"
    root = make_repo(
        {
            ".env": "TOKEN=1\n",
            ".env.production": "TOKEN=2\n",
            "deploy/id_rsa": key,
            "certs/server.pem": key,
            ".npmrc": "//registry/:_authToken=x\n",
            "home/.aws/credentials": "[default]\n",
            "config/credentials.json": "{}\n",
            "notes.txt": "see key below\n" + key,
            "main.py": "x = 1\n",
        }
    )
    skipped = _skipped(root)
    assert set(skipped) == {
        ".env",
        ".env.production",
        "deploy/id_rsa",
        "certs/server.pem",
        ".npmrc",
        "home/.aws/",
        "config/credentials.json",
    }
    assert set(skipped.values()) == {"secret"}
    assert _paths(root) == {"main.py", "notes.txt"}


def test_secret_patterns_are_configurable(make_repo: MakeRepo) -> None:
    """An empty secret pattern list lets a named file through (content checks still apply)."""
    root = make_repo({".env": "DEBUG=1\n", "main.py": "x = 1\n"})
    assert ".env" in _paths(root, secret_patterns=())


def test_symlinks_are_never_followed(tmp_path: Path, make_repo: MakeRepo) -> None:
    """A link leaving the root is skipped unread; links inside it are skipped as duplicates."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("PASSWORD = 'x'\n")
    root = make_repo({"main.py": "x = 1\n"})
    (root / "escape.py").symlink_to(outside / "secret.py")
    (root / "escape_dir").symlink_to(outside, target_is_directory=True)
    (root / "alias.py").symlink_to(root / "main.py")
    skipped = _skipped(root)
    assert skipped["escape.py"] == "symlink_outside_root"
    assert skipped["escape_dir"] == "symlink_outside_root"
    assert skipped["alias.py"] == "symlink"
    assert _paths(root) == {"main.py"}


def test_non_utf8_text_loads(make_repo: MakeRepo) -> None:
    """Latin-1 bytes are not a reason to skip or crash; chunks keep the raw byte ranges."""
    root = make_repo({"legacy.py": "# caf\xe9\nname = 'Jos\xe9'\n".encode("latin-1")})
    corpus = load_corpus(root)
    assert [info.path for info in corpus.files] == ["legacy.py"]
    assert corpus.chunks[0].end_byte == (root / "legacy.py").stat().st_size


def test_per_file_size_cap(make_repo: MakeRepo) -> None:
    """A file over max_file_bytes is skipped as too_large."""
    root = make_repo({"big.txt": "x" * 5000, "small.txt": "y\n"})
    assert _skipped(root, max_file_bytes=1000) == {"big.txt": "too_large"}


def test_total_size_cap(make_repo: MakeRepo) -> None:
    """Once max_total_bytes is reached, later files in walk order are skipped as total_cap."""
    root = make_repo({f"f{i}.txt": "z" * 100 for i in range(10)})
    corpus = load_corpus(root, LoadOptions(max_total_bytes=450))
    assert len(corpus.files) == 4
    assert sum(item.reason == "total_cap" for item in corpus.skipped) == 6


def test_include_and_exclude(sample_repo: Path) -> None:
    """include keeps only matching files; exclude drops matching files and folders."""
    assert _paths(sample_repo, include=("*.py", "*.rs")) == {"shapes.py", "lib.rs"}
    assert "shapes.py" not in _paths(sample_repo, exclude=("*.py",))
    skipped = _skipped(sample_repo, include=("*.py",))
    assert skipped["lib.rs"] == "not_included"


def test_glob_source(make_repo: MakeRepo) -> None:
    """A glob loads the matching files, rooted at its folder part, with ignore rules applied."""
    root = make_repo({"src/a.py": "a = 1\n", "src/pkg/b.py": "b = 1\n", "src/c.txt": "c\n", "d.py": "d\n"})
    corpus = load_corpus(str(root / "src" / "**" / "*.py"))
    assert corpus.root == (root / "src").resolve()
    assert {info.path for info in corpus.files} == {"a.py", "pkg/b.py"}
    assert {info.path for info in load_corpus(str(root / "src" / "*.py")).files} == {"a.py"}


def test_glob_matching_nothing_says_so(make_repo: MakeRepo) -> None:
    """A glob with no match raises ContextError naming the source."""
    root = make_repo({"a.py": "x\n"})
    with pytest.raises(ContextError, match="matched no loadable file"):
        load_corpus(str(root / "*.rb"))


def test_single_file_source(sample_repo: Path) -> None:
    """A file loads alone, rooted at its folder, even if an ignore rule would skip it."""
    (sample_repo / ".gitignore").write_text("lib.rs\n")
    corpus = load_corpus(sample_repo / "lib.rs")
    assert corpus.root == sample_repo.resolve()
    assert [info.path for info in corpus.files] == ["lib.rs"]
    assert corpus.symbols


def test_a_named_file_is_bounded_by_the_total_cap_only(make_repo: MakeRepo) -> None:
    """A big log named on its own loads past max_file_bytes; past max_total_bytes it is refused with the fix."""
    root = make_repo({"big.log": "".join(f"line {i}\n" for i in range(1000))})
    corpus = load_corpus(root / "big.log", LoadOptions(max_file_bytes=100))
    assert [info.path for info in corpus.files] == ["big.log"] and len(corpus.chunks) >= 1
    with pytest.raises(ContextError, match="RLM_MAX_TOTAL_BYTES"):
        load_corpus(root / "big.log", LoadOptions(max_total_bytes=100))


def test_single_secret_file_is_refused_with_a_fix(make_repo: MakeRepo) -> None:
    """Naming a secret file explicitly still refuses it, and says how to allow it."""
    root = make_repo({".env": "TOKEN=1\n"})
    with pytest.raises(ContextError, match="secret pattern"):
        load_corpus(root / ".env")


def test_raw_text_source() -> None:
    """Raw text becomes one virtual file with no root, cut in line windows."""
    text = "".join(f"log line {i}\n" for i in range(2000))
    corpus = load_text(text, LoadOptions(chunk_tokens=100))
    assert corpus.root is None and corpus.text == text
    assert [info.path for info in corpus.files] == ["context.txt"]
    assert "".join(text[chunk.start_byte : chunk.end_byte] for chunk in corpus.chunks) == text
    assert {chunk.kind for chunk in corpus.chunks} == {"lines"}


def test_missing_path_says_what_to_do(tmp_path: Path) -> None:
    """A path that does not exist raises ContextError suggesting the accepted forms."""
    with pytest.raises(ContextError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_everything_skipped_is_an_error_with_reasons(make_repo: MakeRepo) -> None:
    """A folder with nothing loadable raises ContextError with the skip counts."""
    root = make_repo({"a.png": b"\x89PNG", ".env": "X=1\n"})
    with pytest.raises(ContextError, match=r"1 binary.*|1 secret.*"):
        load_corpus(root)


def test_manifest_is_bounded(make_repo: MakeRepo) -> None:
    """Thousands of skipped files still give a small manifest: counts plus a few samples."""
    files: dict[str, str | bytes] = {f"img/{i}.png": b"\x89PNG" for i in range(2000)}
    files.update({f"pkg{i}/m.py": f"def f{i}():\n    return {i}\n" for i in range(40)})
    manifest = load_corpus(make_repo(files)).manifest()
    assert manifest["skipped"]["by_reason"] == {"binary": 2000}
    assert len(manifest["skipped"]["samples"]["binary"]) <= 5
    assert len(manifest["top_folders"]) <= 15 and manifest["more_folders"] == 25
    assert manifest["languages"]["python"]["files"] == 40
    assert len(json.dumps(manifest)) < 4000


def test_payload_is_compact_json(sample_repo: Path) -> None:
    """The sandbox payload is JSON with field names once and rows pointing at file indexes."""
    corpus = load_corpus(sample_repo)
    payload = json.loads(json.dumps(corpus.payload()))
    files = payload["files"]["rows"]
    chunk_fields = payload["chunks"]["fields"]
    for row in payload["chunks"]["rows"]:
        chunk = dict(zip(chunk_fields, row, strict=True))
        assert 0 <= chunk["file"] < len(files)
    assert len(payload["chunks"]["rows"]) == len(corpus.chunks)
    assert len(payload["symbols"]["rows"]) == len(corpus.symbols)


def test_parallel_load_matches_in_process_load(make_repo: MakeRepo) -> None:
    """Worker processes produce exactly what a single process produces."""
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20000))
    root = make_repo({f"m{i}.py": body for i in range(10)})  # ~5 MB: above the parallel threshold
    parallel = load_corpus(root, LoadOptions(workers=2))
    single = load_corpus(root, LoadOptions(workers=1))
    assert parallel.stats.workers == 2 and single.stats.workers == 1
    assert parallel.parsed == single.parsed


def test_special_files_are_skipped(make_repo: MakeRepo) -> None:
    """A named pipe is never opened (reading it would block)."""
    root = make_repo({"main.py": "x = 1\n"})
    os.mkfifo(root / "pipe")
    assert _skipped(root) == {"pipe": "special"}


def test_the_manifest_counts_files_that_did_not_parse(make_repo: MakeRepo, tmp_path: Path) -> None:
    """A file with syntax errors is indexed as far as it parses; the manifest counts such files per language."""
    root = make_repo({"ok.py": "def f():\n    return 1\n", "broken.py": "def g(:\n    return (\n", "a.js": "let x = ;"})
    options = LoadOptions(cache_dir=tmp_path / "cache")
    for _ in ("cold", "warm"):
        partial = load_corpus(root, options).manifest()["partial"]
        assert partial["parse_errors"] == {"python": 1, "javascript": 1}
        assert "may be incomplete" in partial["parse_errors_note"]
