"""The `rlm-mcp` command: serve, ask, sandbox build, doctor, setup, report, bench."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

from rlm_mcp import __version__
from rlm_mcp.clients.setup import CLIENTS as CLIENT_NAMES
from rlm_mcp.config import Settings
from rlm_mcp.errors import RLMError
from rlm_mcp.hardening import make_non_dumpable


def _serve(args: argparse.Namespace) -> int:
    from rlm_mcp.serving import run_server

    make_non_dumpable()  # the API keys in our environment stay out of reach of the user's other processes
    settings = Settings.from_args(args)
    run_server(settings, transport=args.transport, host=args.host, port=args.port)
    return 0


def _build(args: argparse.Namespace) -> int:
    """Build the sandbox image: progress on stderr, the tag and id on stdout."""
    from rlm_mcp.backends.image import build_image

    settings = Settings.from_args(args)
    image_id = build_image(settings.image, settings.base_image, log=lambda line: print(line, file=sys.stderr))
    print(f"built {settings.image} ({image_id[:19]})")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    """Say which backend `serve` would use here, how isolated it is, and where sub-calls and files go."""
    from rlm_mcp.doctor import report

    lines, status = report(Settings.from_args(args), fix=args.fix)
    print("\n".join(lines))
    return status


def _ask(args: argparse.Namespace) -> int:
    """Answer one question over PATH with the RLM loop: the answer on stdout, how it went on stderr."""
    from rlm_mcp.ask import ask

    make_non_dumpable()
    result = ask(args.source, args.question, settings=Settings.from_args(args))
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(result.answer)
        cost = f"{result.usage['total_tokens']:,} tokens, ${result.usage['cost_usd']:.4f}"
        print(f"[{result.stop_reason}] {result.note} ({cost}; trajectory {result.trajectory})", file=sys.stderr)
    return 0 if result.finished else 1


def _bench(args: argparse.Namespace) -> int:
    """Run the benchmark suite: the main of `python -m bench`, which the wheel carries as rlm_mcp._bench."""
    suite = importlib.import_module("rlm_mcp._bench.__main__")  # by name: its code is checked on its own, not here
    return int(suite.main(args.bench_args, prog="rlm-mcp bench"))


def _report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML page of a trajectory (the newest with --latest) and print where it went."""
    from rlm_mcp import report
    from rlm_mcp.ask import trajectory

    if (args.trajectory is None) == (not args.latest):
        raise RLMError("name one trajectory: pass a .jsonl file or --latest (the newest in the trajectory folder)")
    source = args.trajectory or report.newest(trajectory.folder(Settings.from_args(args)))
    target = args.output or source.with_suffix(".html")
    print(report.write(target, report.trajectory_page(report.read(source))))
    return 0


def _setup(args: argparse.Namespace) -> int:
    """Register this installation's absolute command with an MCP client, or print the entry (--print)."""
    from rlm_mcp import clients

    # The flags alone (not this shell's RLM_* variables), refused here if bad, not when the client starts the server.
    chosen = Settings.from_args(args, environ={})
    server = clients.Server(
        name=args.name,
        command=clients.installed_command(),
        args=clients.serve_arguments(vars(args)),
        env_names=clients.checked_env_names(args.env),
        call_timeout_s=chosen.ask_max_seconds + clients.TIMEOUT_MARGIN_S,
    )
    if args.print_only:
        print(clients.snippet(args.client, server, args.scope), end="")
        if args.policy:
            print("\n" + clients.policy(server.name), end="")
        return 0
    for line in clients.setup(args.client, server, scope=args.scope, path=args.path, with_policy=args.policy):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlm-mcp",
        description="MCP server: a persistent, sandboxed Python REPL over your repository, with sub-LLM calls.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    serve.add_argument(
        "--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1; others need --http-allow-remote)"
    )
    serve.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    Settings.add_arguments(serve)
    serve.set_defaults(run=_serve)

    sandbox = commands.add_parser("sandbox", help="manage the sandbox image")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    build = sandbox_commands.add_parser("build", help="build the recommended sandbox image")
    build.add_argument("--tag", dest="image", help=f"image tag [env RLM_IMAGE; default {Settings.image}]")
    build.add_argument(
        "--base-image",
        dest="base_image",
        help="any image with python3 >= 3.10; a local one needs no registry "
        f"[env RLM_BASE_IMAGE; default {Settings.base_image}]",
    )
    build.set_defaults(run=_build)

    doctor = commands.add_parser(
        "doctor",
        help="show which sandbox would be used, how isolated, and what is wrong; exit 0 if all is well, "
        "1 if something needs fixing (not isolated, image not built, a key unset), 2 if sessions cannot start",
    )
    doctor.add_argument("--fix", action="store_true", help="build the sandbox image first if the engine lacks it")
    Settings.add_arguments(doctor)
    doctor.set_defaults(run=_doctor)

    ask = commands.add_parser("ask", help="answer a question over a folder, file or text with the RLM loop")
    ask.add_argument("source", help="a folder, a file, a glob, or the raw text itself")
    ask.add_argument("question", help="the question; the answer is printed on stdout")
    ask.add_argument("--json", action="store_true", help="print the whole result (usage, stop reason) as JSON")
    Settings.add_arguments(ask)
    ask.set_defaults(run=_ask)

    setup = commands.add_parser(
        "setup",
        help="register this rlm-mcp (by its absolute path) with an MCP client, or --print the entry",
        description="Write CLIENT's MCP configuration for this installation's rlm-mcp, merged into the existing "
        "file (kept as <file>.bak). Settings flags given here (--model, ...) are passed to `serve`.",
    )
    setup.add_argument("client", choices=CLIENT_NAMES, help="the MCP client to register with")
    setup.add_argument("--print", dest="print_only", action="store_true", help="print the entry, write nothing")
    setup.add_argument(
        "--scope", choices=["user", "project"], default="user", help="the user's config or this folder's (default user)"
    )
    setup.add_argument("--path", type=Path, help="write this config file instead of the client's own")
    setup.add_argument("--name", default="rlm", help="the server's name in the client (default rlm)")
    setup.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME",
        help="a variable the client passes on to the server by name, e.g. ANTHROPIC_API_KEY (repeatable)",
    )
    setup.add_argument(
        "--policy", action="store_true", help="also write when to use the rlm tools into CLAUDE.md/AGENTS.md/GEMINI.md"
    )
    Settings.add_arguments(setup)
    setup.set_defaults(run=_setup)

    report = commands.add_parser(
        "report",
        help="write a trajectory as one self-contained HTML page: timeline, code, output, sub-calls, budgets",
    )
    report.add_argument("trajectory", nargs="?", type=Path, help="a trajectory .jsonl file")
    report.add_argument("--latest", action="store_true", help="the newest trajectory in <cache-dir>/trajectories")
    report.add_argument("-o", "--output", type=Path, help="the HTML file (default: the trajectory's name, .html)")
    Settings.add_arguments(report)
    report.set_defaults(run=_report)

    # Every argument goes to the suite's own parser ("+" prefix: no "--flag" is an option here), so
    # `rlm-mcp bench` and `python -m bench` take one set of flags and other commands never import the suite.
    bench = commands.add_parser(
        "bench",
        help="run the benchmark suite and print the table (flags as `python -m bench`: rlm-mcp bench --help)",
        add_help=False,
        prefix_chars="+",
    )
    bench.add_argument("bench_args", nargs="*", help="--quick, --only SECTION ..., --json FILE, --base-image IMAGE")
    bench.set_defaults(run=_bench)
    return parser


def _leaf_errors(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, as the server's task groups wrap them."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaf_errors(inner)]
    return [error]


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        sys.exit(args.run(args))
    except (RLMError, BaseExceptionGroup) as exc:
        errors = _leaf_errors(exc)
        if not all(isinstance(error, RLMError) for error in errors):
            raise
        for error in errors:
            print(f"rlm-mcp: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
