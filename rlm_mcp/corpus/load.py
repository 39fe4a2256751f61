"""Loading a corpus from a folder, file, glob or raw text, and re-chunking a loaded one.

Files whose size, mtime and ctime match the cache are reused without being read; the rest are
read, screened and partitioned (in parallel on a cold load), then the cache is updated.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rlm_mcp._sandbox.wire import PatternError
from rlm_mcp.corpus.cache import FileEntry, read_cache, write_cache
from rlm_mcp.corpus.exposure import expose
from rlm_mcp.corpus.git_files import tracked_paths
from rlm_mcp.corpus.ingest import UNCHANGED, Job, Outcome, Redacted, Screening, Uncached, ingest
from rlm_mcp.corpus.junk import JUNK_REASONS
from rlm_mcp.corpus.model import Corpus, FileInfo, LoadStats, Skipped, WithheldLines, chunk_record
from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.partition import ParsedFile, partition
from rlm_mcp.corpus.patterns import PatternSet
from rlm_mcp.corpus.screen import has_binary_extension
from rlm_mcp.corpus.sources import Source, resolve_source, shown_source
from rlm_mcp.corpus.walk import MISSING, FileStat, RememberedPatterns, Walk, WalkRules, walk
from rlm_mcp.errors import ContextError

TEXT_NAME = "context.txt"


def load_corpus(source: str | os.PathLike[str], options: LoadOptions | None = None) -> Corpus:
    """Load a folder, a single file or a glob (``src/**/*.py``) into a partitioned corpus."""
    options = options or LoadOptions()
    started = time.perf_counter()
    resolved = resolve_source(source)
    found = (
        _single_file(resolved, options) if resolved.kind == "file" else walk(resolved.root, _rules(resolved, options))
    )
    walked = time.perf_counter()
    files, skipped = _within_total(found, options.max_total_bytes)
    index = _Index(resolved.root, options, junk=not _asks_for_junk(resolved, options))
    results = index.partition(files, options.chunk_tokens)
    kept: list[tuple[FileInfo, ParsedFile]] = []
    for (path, _), result in zip(files, results, strict=True):
        if isinstance(result, str):
            skipped.append((path, result))
        else:
            kept.append((FileInfo(path, result.language, result.size, result.lines, result.sha), result))
    index.save(complete=resolved.kind == "folder" and not options.include)
    if resolved.kind == "file" and skipped:
        raise ContextError(_refused_file(os.fspath(source), skipped[0][1], resolved.outside))
    if not kept and resolved.kind == "glob":
        raise ContextError(
            f"The glob {os.fspath(source)!r} matched no loadable file under {resolved.root}; "
            "check the pattern ('**' spans folders, '*' does not) or load the folder itself."
        )
    if not kept:
        raise ContextError(_nothing_loaded(os.fspath(source), skipped))
    redacted = {path: index.redacted[path] for path in (info.path for info, _ in kept) if path in index.redacted}
    exposure = expose(
        resolved.root,
        resolved.kind,
        (info.path for info, _ in kept),
        redacted,
        [*skipped, *((folder, "vcs") for folder in found.vcs)],
    )
    finished = time.perf_counter()
    stats = LoadStats(
        seconds=finished - started,
        walk_seconds=walked - started,
        parse_seconds=index.parse_seconds,
        parsed_files=index.parsed,
        reused_files=index.reused,
        rehashed_files=index.rehashed,
        workers=index.workers,
    )
    return Corpus(
        source=shown_source(source),
        root=resolved.root,
        options=options,
        files=tuple(info for info, _ in kept),
        parsed=tuple(parsed for _, parsed in kept),
        skipped=tuple(Skipped(path, reason) for path, reason in skipped),
        stats=stats,
        exposure=exposure,
        redacted={path: item.text for path, item in redacted.items()},
        withheld_lines=tuple(WithheldLines(path, item.spans) for path, item in redacted.items() if item.spans),
    )


def load_text(text: str, options: LoadOptions | None = None, name: str = TEXT_NAME) -> Corpus:
    """Load raw text as one virtual file ``name``; its extension picks the splitter (lines by default)."""
    options = options or LoadOptions()
    started = time.perf_counter()
    data = text.encode("utf-8", "replace")
    if len(data) > options.max_total_bytes:
        raise ContextError(
            f"The text is {len(data):,} bytes, over the {options.max_total_bytes:,}-byte total cap; "
            "load a smaller slice or raise max_total_bytes."
        )
    parsed = partition(name, data, options.chunk_tokens)
    seconds = time.perf_counter() - started
    return Corpus(
        source="<text>",
        root=None,
        options=options,
        files=(FileInfo(name, parsed.language, parsed.size, parsed.lines, parsed.sha),),
        parsed=(parsed,),
        skipped=(),
        stats=LoadStats(seconds, 0.0, seconds, 1, 0, 0, 1),
        text=text,
    )


def repartition(
    corpus: Corpus,
    *,
    chunk_tokens: int | None = None,
    files: Sequence[int] | None = None,
    kinds: Collection[str] = (),
) -> Corpus:
    """Re-chunk ``corpus`` with another budget, only the files at indexes ``files`` (all when None).

    The sandbox picks the files (it holds the path patterns); files left out keep their place in
    ``files`` (so chunk records' file indexes stay valid) but contribute no chunks, and only chunks
    of ``kinds`` are kept when it is given.
    """
    budget = chunk_tokens or corpus.chunk_tokens
    wanted = frozenset(kinds)  # tested once per chunk: a long list from the sandbox must not multiply the work
    chosen = list(range(len(corpus.files))) if files is None else sorted(set(files))
    fresh = _rechunk(corpus, [corpus.files[index] for index in chosen], budget)
    parsed = [old._replace(chunks=()) for old in corpus.parsed]
    infos = list(corpus.files)
    for index, result in zip(chosen, fresh, strict=True):
        if isinstance(result, str):
            continue  # the file became unreadable or binary since the load: no chunks for it
        chunks = tuple(row for row in result.chunks if not wanted or chunk_record(row, index).kind in wanted)
        parsed[index] = result._replace(chunks=chunks)
        infos[index] = FileInfo(infos[index].path, result.language, result.size, result.lines, result.sha)
    return replace(
        corpus, options=replace(corpus.options, chunk_tokens=budget), files=tuple(infos), parsed=tuple(parsed)
    )


def _rechunk(corpus: Corpus, files: list[FileInfo], budget: int) -> list[ParsedFile | str]:
    """The partition of ``files`` at ``budget``: from memory, the cache, or by re-reading them."""
    if budget == corpus.chunk_tokens:
        by_path = {info.path: parsed for info, parsed in zip(corpus.files, corpus.parsed, strict=True)}
        return [by_path[info.path] for info in files]
    if corpus.root is None:
        assert corpus.text is not None
        return [partition(files[0].path, corpus.text.encode("utf-8", "replace"), budget)] if files else []
    stated: list[tuple[str, FileStat]] = []
    for info in files:
        try:
            stated.append((info.path, FileStat.of((corpus.root / info.path).stat())))
        except OSError:
            stated.append((info.path, MISSING))
    index = _Index(corpus.root, corpus.options, junk=False)  # these files were loaded: none is dropped now
    results = index.partition(stated, budget)
    index.save(complete=False)
    return results


@dataclass
class _Index:
    """The cache of one root during one load: what to reuse, what to parse, what to write back."""

    root: Path
    options: LoadOptions
    junk: bool
    """Whether junk is left out; if not, junk is loaded but never cached as loadable, nor its cached reason reused."""
    entries: dict[str, FileEntry] = field(init=False)
    updated: dict[str, FileEntry] = field(default_factory=dict)
    parsed: int = 0
    reused: int = 0
    rehashed: int = 0
    workers: int = 1
    parse_seconds: float = 0.0
    dirty: bool = False
    redacted: dict[str, Redacted] = field(default_factory=dict)
    """Files read with secret lines withheld; never cached, so every load screens them afresh."""

    def __post_init__(self) -> None:
        cache_dir = self.options.cache_dir
        self.entries = read_cache(cache_dir, self.root) if cache_dir is not None else {}

    def partition(self, files: list[tuple[str, FileStat]], budget: int) -> list[ParsedFile | str]:
        """Each file's partition at ``budget``, or why it was skipped, reusing cache entries."""
        results: list[ParsedFile | str | None] = []
        jobs: list[Job] = []
        waiting: list[int] = []
        for path, stat in files:
            entry = self.entries.get(path)
            if entry is not None and entry.stat == stat and (self.junk or entry.reason not in JUNK_REASONS):
                cached = entry.parsed(budget) if not entry.reason else None
                if entry.reason or cached is not None:
                    self.reused += 1
                    results.append(entry.reason or cached)
                    self.updated[path] = entry
                    continue
            same_size = entry is not None and entry.size == stat.size and budget in entry.chunks
            jobs.append((path, stat.size, entry.sha if same_size and entry is not None else ""))
            waiting.append(len(results))
            results.append(None)
        started = time.perf_counter()
        outcomes, self.workers = (
            ingest(self.root, jobs, budget, self.options.workers, Screening(self.options.screen_lines, self.junk))
            if jobs
            else ([], 1)
        )
        self.parse_seconds += time.perf_counter() - started
        for (path, stat), slot, outcome in zip([files[i] for i in waiting], waiting, outcomes, strict=True):
            results[slot] = self._record(path, stat, budget, outcome)
        return [result for result in results if result is not None]

    def _record(self, path: str, stat: FileStat, budget: int, outcome: Outcome) -> ParsedFile | str:
        """Fold one fresh outcome into the cache entries and return the file's result."""
        entry = self.entries.get(path)
        if isinstance(outcome, Uncached):
            if isinstance(outcome.outcome, str):  # unchanged since a load that cached it
                return (entry.parsed(budget) if entry is not None else None) or "unreadable"
            self.parsed += 1
            return outcome.outcome
        if isinstance(outcome, Redacted):
            self.redacted[path] = outcome
            if outcome.outcome == UNCHANGED and entry is not None:
                return entry.parsed(budget) or "unreadable"
            self.parsed += 1
            return outcome.outcome
        self.dirty = True
        if outcome == UNCHANGED and entry is not None:
            self.rehashed += 1
            entry.mtime_ns, entry.ctime_ns = stat.mtime_ns, stat.ctime_ns
            self.updated[path] = entry
            return entry.parsed(budget) or "unreadable"
        if isinstance(outcome, str):
            if outcome != "unreadable":  # unreadable may be transient: try again next time
                self.updated[path] = FileEntry(*stat, reason=outcome)
            return outcome
        self.parsed += 1
        if entry is not None and entry.sha == outcome.sha and not entry.reason:
            entry.size, entry.mtime_ns, entry.ctime_ns = stat
            entry.add_chunks(budget, outcome.chunks)
            self.updated[path] = entry
        else:
            self.updated[path] = FileEntry.of(stat, outcome, budget)
        return outcome

    def save(self, *, complete: bool) -> None:
        """Write the cache back if anything changed; a ``complete`` walk also drops vanished files."""
        cache_dir = self.options.cache_dir
        if cache_dir is None:
            return
        merged = self.updated if complete else {**self.entries, **self.updated}
        if self.dirty or merged.keys() != self.entries.keys():
            write_cache(cache_dir, self.root, merged)


def _rules(source: Source, options: LoadOptions) -> WalkRules:
    include = (
        _agent_patterns(options.include, "include"),
        _agent_patterns([source.pattern] if source.kind == "glob" else [], "the glob"),
    )
    prefix = source.root.as_posix().strip("/")
    # Only a walk reads .gitignore files, so only a walk needs git's list of what they must not hide.
    tracked = tracked_paths(source.root) if options.gitignore and source.kind != "file" else None
    return WalkRules(
        include=include,
        exclude=_agent_patterns(options.exclude, "exclude"),
        prune_excluded=not any(pattern.strip().startswith("!") for pattern in options.exclude),
        secrets=PatternSet(options.secret_patterns),
        max_file_bytes=options.max_file_bytes,
        gitignore=options.gitignore,
        root_secrets=PatternSet(pattern for pattern in options.secret_patterns if "/" in pattern),
        root_prefix=prefix + "/" if prefix else "",
        tracked=tracked,
        junk=not _asks_for_junk(source, options),
    )


def _asks_for_junk(source: Source, options: LoadOptions) -> bool:
    """Whether the load names its files (include=, a glob, one file), so vendored or generated ones count too."""
    return bool(options.include) or source.kind in ("glob", "file")


def _agent_patterns(patterns: Sequence[str], argument: str) -> RememberedPatterns:
    """The agent's patterns in the helpers' dialect, or a ContextError saying what is accepted."""
    try:
        return _remembered(tuple(patterns))
    except PatternError as exc:
        raise ContextError(f"{argument}: {exc}") from None


@functools.lru_cache(maxsize=4)
def _remembered(patterns: tuple[str, ...]) -> RememberedPatterns:
    """One RememberedPatterns per recent filter, so reloads with the same include/exclude reuse its answers."""
    return RememberedPatterns(patterns)


def _single_file(source: Source, options: LoadOptions) -> Walk:
    """The one-file 'walk': the name rules still apply, ignore files and the per-file cap do not.

    A file named on its own (a 400 MB log) is what the user asked for, so only the total cap
    bounds it; the per-file cap is there to keep a folder's generated giants out.
    """
    result = Walk()
    path = source.pattern
    rules = _rules(source, options)
    if source.outside is not None:
        result.skipped.append((path, "symlink_outside_root"))
        return result
    stat = (source.root / path).stat()
    if rules.is_secret(path) or rules.is_secret(source.named):
        result.skipped.append((path, "secret"))
    elif has_binary_extension(path):
        result.skipped.append((path, "binary"))
    else:
        result.files.append((path, FileStat.of(stat)))
    return result


def _within_total(found: Walk, max_total_bytes: int) -> tuple[list[tuple[str, FileStat]], list[tuple[str, str]]]:
    """Keep files in walk order until the total cap; later ones are skipped as ``total_cap``."""
    kept: list[tuple[str, FileStat]] = []
    skipped = list(found.skipped)
    total = 0
    for path, stat in found.files:
        if total + stat.size > max_total_bytes:
            skipped.append((path, "total_cap"))
        else:
            kept.append((path, stat))
            total += stat.size
    return kept, skipped


def _nothing_loaded(source: str, skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return f"{source!r} holds no files to load; point at a folder with files or use a broader glob."
    counts: dict[str, int] = {}
    for _, reason in skipped:
        counts[reason] = counts.get(reason, 0) + 1
    summary = ", ".join(f"{count} {reason}" for reason, count in sorted(counts.items(), key=lambda item: -item[1]))
    return (
        f"Nothing loadable in {source!r}: every file was skipped ({summary}). "
        "Adjust include/exclude, the size caps or the secret patterns, or pick another path."
    )


def _refused_file(source: str, reason: str, target: Path | None) -> str:
    fixes = {
        "secret": "it looks like a secret; if it is safe to share, remove the matching secret pattern",
        "binary": "it is binary; only text files can be loaded",
        "total_cap": "it is larger than max_total_bytes; raise that setting (RLM_MAX_TOTAL_BYTES) to load it",
        "symlink_outside_root": (
            f"it is a symlink to {target}, outside the context (its folder), and links out are never followed"
        ),
    }
    return f"{source!r} was not loaded: {fixes.get(reason, reason)}."
