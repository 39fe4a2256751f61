"""`python -m bench` (or `rlm-mcp bench`): the whole suite, one markdown table, one JSON file.

Every figure comes from one run on this machine. --quick runs a smaller suite in under a minute;
--update-readme writes the table into README.md between the bench markers, so none is typed by hand.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable

from . import chunks, corpus, exec_latency, fanout, grep, memory, symbols
from .reference import compare
from .reference.environment import default_base_image

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# In a checkout the suite sits beside pyproject.toml (rlm_mcp/_bench resolves to it); in an installed
# wheel it is a copy inside the package, with no README to update and no results folder of its own.
IN_CHECKOUT = (ROOT / "pyproject.toml").is_file()
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
SECTIONS = ("exec", "corpus", "grep", "chunks", "symbols", "fanout", "memory", "reference")
Row = tuple[str, str, str]


def _run_section(name: str, quick: bool, base_image: str, image: str, repository: Path | None = None) -> dict[str, Any]:
    """One section's figures; only `fanout.run` is called, as its internals change independently."""
    if name == "exec":
        return exec_latency.run(quick, image)
    if name == "corpus":
        return corpus.run(quick, repository)
    if name == "grep":
        return grep.run(quick, image, repository)
    if name == "chunks":
        return chunks.run(quick)
    if name == "symbols":
        return symbols.run(quick)
    if name == "fanout":
        return fanout.run(quick)
    if name == "memory":
        return memory.run(quick, image)
    return compare.run(quick, base_image, image)


def _machine(base_image: str, image: str, quick: bool) -> dict[str, Any]:
    try:
        import docker

        docker_version = str(docker.from_env().version()["Version"])
    except Exception as exc:  # the table says docker is missing rather than failing
        docker_version = f"unavailable ({type(exc).__name__})"
    return {
        "date": datetime.date.today().isoformat(),
        "command": "python -m bench" + (" --quick" if quick else ""),
        "quick": quick,
        "cores": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "docker": docker_version,
        "base_image": base_image,
        "image": image,
    }


def collect(
    quick: bool, base_image: str, sections: tuple[str, ...] = SECTIONS, repository: Path | None = None
) -> dict[str, Any]:
    """Run the sections; one that fails is recorded as skipped with its reason, the rest still run."""
    try:
        image = compare.build_our_image(base_image)
    except SandboxUnavailable as exc:
        print(f"bench: cannot build our image FROM {base_image} ({exc}); using the configured one", file=sys.stderr)
        image = Settings.from_env().image
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": _machine(base_image, image, quick)}
    for name in sections:
        print(f"bench: {name}{' (quick)' if quick else ''} ...", file=sys.stderr, flush=True)
        try:
            results[name] = _run_section(name, quick, base_image, image, repository)
        except Exception as exc:
            results[name] = {"skipped": f"{type(exc).__name__}: {exc}"}
    results["machine"]["duration_s"] = round(time.perf_counter() - started, 1)
    return results


def _exec_rows(figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    docker, local = figures.get("docker", {}), figures.get("local", {})
    for name, backend in (("docker", docker), ("local (not isolated)", local)):
        if "skipped" in backend:
            rows.append((f"exec round trip, {name} backend", "skipped", backend["skipped"][:100]))
            continue
        versus = f"{docker['speedup_vs_docker_exec']:.0f}x faster than `docker exec`" if backend is docker else ""
        rows.append((f"exec round trip, {name} backend", _latency(backend), versus))
    if "docker_exec" in docker:
        rows.append(
            ("`docker exec <container> python3 -c pass`", _latency(docker["docker_exec"]), "a process per call")
        )
    starts = [f"{n} {b['start_to_first_exec_s']:.2f} s" for n, b in (("docker", docker), ("local", local)) if "n" in b]
    rows.append(("sandbox start to first exec", " · ".join(starts) or "skipped", ""))
    return rows


def _corpus_rows(figures: dict[str, Any]) -> list[Row]:
    size = f"{figures['tokens'] / 1e6:.1f}M tokens ({figures['text_bytes'] / 1e6:.0f} MB, {figures['files']:,} files)"
    workers = figures["workers"]
    return [
        (
            f"load + partition {size}, cold, {figures.get('repository', 'stdlib copies')}",
            f"{figures['cold_load_s']:.2f} s",
            f"{workers} workers; one worker {figures['cold_load_one_worker_s']:.2f} s "
            f"({figures['workers_vs_one']:.2f}x, target <= 1x)",
        ),
        (
            f"raw tree-sitter parse of the same files (read + parse), one process / {workers} workers",
            f"{figures['raw_parse_s']:.2f} s / {figures['raw_parse_workers_s']:.2f} s",
            f"cold load takes {figures['cold_vs_raw_parse']:.2f}x the one-process parse (target 1.5x), "
            f"{figures['cold_vs_raw_parse_same_workers']:.2f}x the {workers}-worker one",
        ),
        ("same, warm (index cache)", f"{figures['warm_reload_s']:.2f} s", ""),
        (
            "same, one file changed",
            f"{figures['incremental_reload_s']:.2f} s",
            f"{figures['incremental_parsed_files']} file re-parsed",
        ),
        (
            "host memory held by the index",
            f"{figures['index_memory_mb']:.0f} MB",
            f"{figures['index_memory_vs_corpus']:.2f}x the corpus size",
        ),
        (
            "partition vs raw tree-sitter parse, one process",
            f"{figures['partition_mb_s']:.1f} vs {figures['raw_parse_mb_s']:.1f} MB/s",
            f"partition takes {figures['partition_vs_parse']:.2f}x the parse time",
        ),
    ]


def _grep_rows(figures: dict[str, Any]) -> list[Row]:
    size = f"{figures['tokens'] / 1e6:.1f}M tokens, {figures['files']:,} files"
    rows: list[Row] = [
        (
            f"full scan of the file texts in the sandbox ({size}), first / again",
            f"{figures['first_scan_s']:.2f} s / {figures['second_scan_s'] * 1000:.0f} ms",
            "again: from the sandbox's text cache",
        )
    ]
    for name in grep.PATTERNS:
        found = figures[name]
        rows.append(
            (
                f"grep, {name} `{grep.PATTERNS[name][0]}`, every hit ({found['hits']:,})",
                f"{found['s'] * 1000:.0f} ms",
                f"ripgrep {found['rg_s'] * 1000:.0f} ms ({found['rg_hits']:,} lines): {found['vs_rg']:.2f}x, "
                f"CPU {found.get('vs_rg_cpu', 0):.2f}x; target 2x",
            )
        )
    return rows


def _fanout_rows(figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [
        (
            f"{row['calls']:,} sub-calls x {figures['latency_s'] * 1000:.0f} ms, concurrency {row['concurrency']}",
            f"{row['wall_s']:.2f} s (ideal {row['ideal_s']:.2f} s)",
            f"**{row['ratio']:.2f}x** ideal through `llm_batch`; raw aiohttp {row['raw_ratio']:.2f}x",
        )
        for row in figures["rows"]
    ]
    rows.append(
        (
            "one sub-call, no server delay: raw HTTP / through the broker / litellm alone",
            f"{figures['raw_http_ms']:.2f} / {figures['broker_ms']:.2f} / {figures['litellm_ms']:.1f} ms",
            f"broker overhead **{figures['overhead_ms']:.2f} ms** over raw HTTP (aiohttp)",
        )
    )
    return rows


def _memory_rows(figures: dict[str, Any]) -> list[Row]:
    context = f"{figures['tokens'] / 1e6:.1f}M-token repository loaded and grepped"
    container = figures.get("container_peak_mb")
    return [
        (
            f"peak memory, server, {context}",
            f"{figures['server_peak_rss_mb']:.0f} MB",
            f"{figures['server_before_load_mb']:.0f} MB before the load",
        ),
        (
            f"peak memory, sandbox ({figures['backend']})",
            f"{figures['sandbox_peak_rss_mb']:.0f} MB",
            f"container cgroup peak {container:.0f} MB" if container is not None else "",
        ),
    ]


def _reference_rows(figures: dict[str, Any]) -> list[Row]:
    reference, ours = figures["reference"], figures["ours"]
    loaded = f"{figures['context_bytes'] / 1e6:.0f} MB"
    return [
        (
            "reference `rlms` DockerREPL, exec with empty context",
            f"{reference['empty']['p50_ms']:.0f} ms",
            f"ours {ours['empty']['p50_ms']:.2f} ms: **{figures['speedup_empty']:.0f}x faster** (target 20x)",
        ),
        (
            f"reference `rlms` DockerREPL, exec with {loaded} context",
            f"{reference['loaded']['p50_ms']:.0f} ms",
            f"ours {ours['loaded']['p50_ms']:.2f} ms: **{figures['speedup_loaded']:.0f}x faster** (target 100x)",
        ),
        (
            f"reference start / {loaded} load",
            f"{reference['start_s']:.2f} s / {reference['load_s']:.2f} s",
            f"ours {ours['start_s']:.2f} s / {ours['load_s']:.2f} s",
        ),
    ]


def _chunks_rows(figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, repository in figures["repositories"].items():
        compared = repository.get("compared")
        ours = compared["ours"] if compared else repository["all"]
        languages = ", ".join(compared["languages"] if compared else repository["languages"])
        value = f"ours {ours['under_100']:,} of {ours['chunks']:,} ({ours['under_100_share']:.1%})"
        versus = f"median {ours['median_bytes']:.0f} B, {ours['over_budget']} over budget, {ours['bytes_lost']} B lost"
        if compared:
            theirs = compared["astchunk"]
            value += f" · astchunk {theirs['under_100']:,} of {theirs['chunks']:,} ({theirs['under_100_share']:.1%})"
            versus = (
                f"median {ours['median_bytes']:.0f} / {theirs['median_bytes']:.0f} B; over budget "
                f"{ours['over_budget']} / {theirs['over_budget']} (astchunk in its own unit: "
                f"{theirs['over_budget_own_unit']}); bytes lost {ours['bytes_lost']} / {theirs['bytes_lost']:,}"
            )
        elif "astchunk_skipped" in repository:
            versus += f"; astchunk skipped: {repository['astchunk_skipped']}"
        if compared:
            every = repository["all"]
            count = len(repository["languages"])
            versus += f"; all {count} languages: ours {every['under_100']:,} of {every['chunks']:,}"
        rows.append((f"chunks under 100 B at {figures['budget_tokens']} tokens, {name} ({languages})", value, versus))
    return rows


def _symbols_rows(figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for language, measured in figures.items():
        if "skipped" in measured:
            rows.append((f"symbols, {language}", "skipped", str(measured["skipped"])))
            continue
        counted = f"{measured['theirs']:,} definitions in {measured['files']:,} files"
        versus = f"target >= {measured['target']:.0%}; {counted}"
        if measured["in_macro_bodies"]:
            versus += f"; {measured['in_macro_bodies']:,} more found in macro bodies"
        recall, precision = measured["recall"] or 0.0, measured["precision"] or 0.0
        rows.append(
            (
                f"symbols, {language} ({', '.join(measured['repos'])}) vs {measured['reference']}",
                f"recall {recall:.2%} · precision {precision:.2%}",
                versus,
            )
        )
    return rows


_ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "exec": _exec_rows,
    "corpus": _corpus_rows,
    "grep": _grep_rows,
    "chunks": _chunks_rows,
    "symbols": _symbols_rows,
    "fanout": _fanout_rows,
    "memory": _memory_rows,
    "reference": _reference_rows,
}


def _latency(figures: dict[str, Any]) -> str:
    return f"p50 {figures['p50_ms']:.3g} ms · p99 {figures['p99_ms']:.3g} ms ({figures['n']:,} calls)"


def render(results: dict[str, Any]) -> str:
    """A caption naming the machine and command, then one markdown table of every section run."""
    machine = results["machine"]
    caption = (
        f"`{machine['command']}` on {machine['cores']} cores, {machine['date']} ({machine['platform']}, "
        f"Python {machine['python']}, Docker {machine['docker']}, images FROM `{machine['base_image']}`; "
        f"{machine.get('duration_s', 0):.0f} s):"
    )
    lines = [caption, "", "| figure | value | compared with |", "| --- | --- | --- |"]
    for rows in section_rows(results).values():
        lines.extend(f"| {figure} | {value} | {versus} |" for figure, value, versus in rows)
    return "\n".join(lines)


def section_rows(results: dict[str, Any]) -> dict[str, list[Row]]:
    """The table rows of each section run, in table order: its figures, or why there are none."""
    table: dict[str, list[Row]] = {}
    for name, rows_of in _ROWS.items():
        if name not in results:
            continue
        figures = results[name]
        if "skipped" in figures:
            table[name] = [(name, "skipped", str(figures["skipped"])[:160].replace("|", "/").replace("\n", " "))]
            continue
        try:
            table[name] = rows_of(figures)
        except KeyError as exc:  # a section's script changed its figures: the JSON still has them
            table[name] = [(name, "see the JSON file", f"no figure {exc} to show")]
    return table


def write_html(figures_file: Path, target: Path) -> Path:
    """Draw the figures of an earlier run as charts in one self-contained HTML page; runs no benchmark."""
    from rlm_mcp import report

    try:
        results = json.loads(figures_file.read_text())
    except FileNotFoundError:
        raise SystemExit(f"no figures at {figures_file}: run the suite first, or name the file with --json") from None
    return report.write(target, report.bench_page(results, section_rows(results)))


def update_readme(block: str, readme: Path = README) -> None:
    """Replace what lies between the bench markers in `readme` with `block`."""
    text = readme.read_text()
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no {START_MARKER} ... {END_MARKER} section to update")
    readme.write_text(f"{text[: start + len(START_MARKER)]}\n{block}\n{text[end:]}")


def default_json() -> Path:
    """Where the figures go: bench/results in a checkout, else the cache dir (an installed package may be read-only)."""
    if IN_CHECKOUT:
        return ROOT / "bench" / "results" / "latest.json"
    return Path(Settings.from_env().cache_dir) / "bench" / "latest.json"


def build_parser(prog: str = "python -m bench") -> argparse.ArgumentParser:
    """The suite's flags; `rlm-mcp bench` hands its arguments to this same parser."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller suite that runs in under a minute")
    parser.add_argument("--json", type=Path, default=default_json(), help="figures file (default %(default)s)")
    parser.add_argument(
        "--base-image",
        help="image both sandboxes are built FROM (default rlm-mcp-base:bookworm when present, else python:3.12-slim)",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument(
        "--repository", type=Path, help="a real repository for the corpus and grep sections (default: stdlib copies)"
    )
    parser.add_argument("--update-readme", action="store_true", help="write the table into README.md (a checkout's)")
    parser.add_argument(
        "--html", type=Path, help="draw the figures file (--json) as charts in this HTML file, running nothing"
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m bench") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.html:
        if args.quick or args.only or args.update_readme:
            parser.error("--html draws the figures of an earlier run: run the suite first, then --html alone")
        print(write_html(args.json, args.html))
        return 0
    if args.update_readme and args.only:
        parser.error("--update-readme needs the whole suite: drop --only")
    if args.update_readme and not IN_CHECKOUT:
        parser.error("--update-readme writes a checkout's README.md: run it from a clone of rlm-mcp")
    results = collect(
        args.quick, args.base_image or default_base_image(), tuple(args.only or SECTIONS), args.repository
    )
    results["machine"]["command"] = prog + (" --quick" if args.quick else "")  # the caption names the command run
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    block = render(results)
    print(block)
    if args.update_readme:
        update_readme(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
