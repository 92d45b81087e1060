"""`crosscloud`: offline preview, synth, policy check and model catalog for a crosscloud Pulumi project.

Exit codes: 0 clean (or advisory findings only), 1 mandatory violations, 2 bad input or usage,
3 a policy pack or the program itself failed, 130 / 143 cancelled by SIGINT / SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from crosscloud.catalog import CatalogError, load_catalog
from crosscloud.declaration import (
    ConfigIssue,
    DeclarationError,
    declaration_from_config,
    printable,
    read_stack_file,
    stack_name_problem,
)
from crosscloud.engine.config import merge_project_config, stack_tags
from crosscloud.engine.processes import Cancelled, become_subreaper, kill_children, signal_handlers
from crosscloud.engine.project import Project, find_project

# Each command imports what it uses when it runs (`synth` loads no analyzer, report or policy-config code; `models`
# no engine): a CLI start pays only for its own path.
if TYPE_CHECKING:
    from crosscloud.engine.check import PackRun, StartedPacks
    from crosscloud.engine.graph import Graph
    from crosscloud.engine.violations import CheckResult

# The keys of crosscloud.reports.RENDERERS (tests/test_cli.py checks they agree), for --format without importing them.
REPORT_FORMATS = ("json", "markdown", "sarif", "text")

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_FAILURE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse turns the ValueError into a usage error, exit 2)."""
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(text)
    return value


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "-C", "--project-dir", type=Path, default=Path("."), help="folder of Pulumi.yaml (default: here)"
    )
    packs = _Parser(add_help=False)
    packs.add_argument(
        "--policy-pack",
        action="append",
        type=Path,
        metavar="DIR",
        help="a pack folder (repeatable); default: every policies/*/PulumiPolicy.yaml",
    )
    packs.add_argument(
        "--policy-config",
        action="append",
        type=Path,
        metavar="FILE",
        help="policy config JSON for the pack in the same position (repeatable), as pulumi's --policy-pack-config; "
        "default: policies/config/<stack>/<pack-folder>.json where it exists",
    )
    packs.add_argument(
        "--organization",
        default=os.environ.get("PULUMI_ORGANIZATION") or "organization",
        help="the organization packs see (default: $PULUMI_ORGANIZATION, else 'organization' as the local backend)",
    )
    packs.add_argument(
        "--graph-out",
        type=Path,
        metavar="FILE",
        help="write the graph the packs analysed (inputs after remediation) to FILE",
    )
    packs.add_argument(
        "--pack-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long a pack may take to start and to answer one call (default 60)",
    )
    stack_file = _Parser(add_help=False)
    stack_file.add_argument(
        "--config-file",
        type=Path,
        metavar="FILE",
        help="read the stack's config from FILE instead of Pulumi.<stack>.yaml",
    )

    parser = _Parser(prog="crosscloud", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "preview", parents=[common, packs, stack_file], help="offline preview of a stack with policy results"
    )
    p.add_argument("stack")
    p = sub.add_parser("synth", parents=[common, stack_file], help="the stack's resource graph as JSON")
    p.add_argument("stack")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    p = sub.add_parser(
        "check", parents=[common, packs, stack_file], help="run the policy packs over a stack or a graph"
    )
    p.add_argument("stack", nargs="?")
    p.add_argument("--graph", type=Path, help="a graph from 'crosscloud synth' (uses its stack and config)")
    p.add_argument("--format", choices=REPORT_FORMATS, default="text")
    p.add_argument("-o", "--output", type=Path, help="write the report to FILE (default: stdout)")
    p = sub.add_parser("models", help="the model catalog: where each model can run, and how")
    p.add_argument("--residency", help="only offerings that keep processing inside this residency set")
    p.add_argument("--cloud", choices=["aws", "azure"])
    p.add_argument("--both", action="store_true", help="only models resident on both clouds (needs --residency)")
    _evidence_parsers(sub, common, stack_file)
    return parser


def _evidence_parsers(sub: Any, common: argparse.ArgumentParser, stack_file: argparse.ArgumentParser) -> None:
    """exit-plan, cost, graph and prices (crosscloud/evidence/)."""
    p = sub.add_parser("exit-plan", parents=[common, stack_file], help="what leaving a cloud takes, per endpoint")
    p.add_argument("stack", nargs="?")
    p.add_argument("--graph", type=Path, help="a graph from 'crosscloud synth' instead of running the program")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    p = sub.add_parser("cost", parents=[common, stack_file], help="the monthly committed cost, per cloud and component")
    p.add_argument("stack")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    p = sub.add_parser("graph", parents=[common, stack_file], help="the component tree as a Mermaid flowchart")
    p.add_argument("stack", nargs="?")
    p.add_argument("--graph", type=Path, help="a graph from 'crosscloud synth' instead of running the program")
    p.add_argument("--format", choices=["mermaid", "markdown"], default="mermaid")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    prices = sub.add_parser("prices", help="the price table behind 'crosscloud cost'")
    actions = prices.add_subparsers(dest="prices_command", required=True, parser_class=_Parser)
    p = actions.add_parser("refresh", help="read the vendors' public price lists into an overlay (needs network)")
    p.add_argument("--write", type=Path, metavar="FILE", help="save the overlay (CROSSCLOUD_PRICES_OVERLAY=FILE)")
    p.add_argument(
        "--capacity-blocks",
        type=Path,
        metavar="FILE",
        help="output of 'aws ec2 describe-capacity-block-offerings' (its upfrontFee prices the blocks)",
    )


def _fail(lines: str, code: int) -> int:
    """Bad input: one line per problem. Any other failure: one line, whatever the exception's text held."""
    text = printable(lines)
    for line in text.splitlines() if code == EXIT_INPUT else [" ".join(text.split())]:
        print(line if line.startswith("crosscloud") or code == EXIT_INPUT else f"crosscloud: {line}", file=sys.stderr)
    return code


def _synth(
    project: Project,
    stack: str,
    config_file: Path | None,
    before_program: Callable[[dict[str, Any]], None] | None = None,
) -> Graph:
    """Validate the stack file, then run the program (`before_program` gets the merged config just before)."""
    path, config = _stack_config(project, stack, config_file)
    from crosscloud.engine.synth import synthesize

    if before_program is not None:
        before_program(config)
    graph = synthesize(project, stack, config)
    graph.tags = stack_tags(project, graph.config, str(path))
    return graph


def _stack_config(project: Project, stack: str, config_file: Path | None) -> tuple[Path, dict[str, Any]]:
    """The stack file and its config merged with Pulumi.yaml's, checked as a declaration (bad input stops here)."""
    problem = stack_name_problem(stack)
    if problem:
        raise DeclarationError([ConfigIssue.given("crosscloud", "STACK", stack, problem)])
    path = config_file or project.stack_file(stack)
    if path.is_dir():
        raise DeclarationError([ConfigIssue(str(path), "-", "is a directory, not a stack file")])
    if not path.is_file():
        stacks = ", ".join(project.stacks()) or "none"
        raise DeclarationError(
            [
                ConfigIssue(
                    str(path.name if config_file is None else path), "-", f"no such stack file; stacks here: {stacks}"
                )
            ]
        )
    config = merge_project_config(project, read_stack_file(path), str(path))
    # Bad input stops here, with every problem on its own line.
    declaration_from_config(config, str(path), project=project.name, stack=stack)
    return path, config


def _packs(project: Project, stack: str, chosen: list[Path] | None, configs: list[Path] | None) -> list[PackRun]:
    """The packs and the config file paired with each: `--policy-config` in the order of the packs, else the
    stack's file under policies/config/<stack>/<pack-folder>.json where one exists."""
    from crosscloud.engine.check import PackRun
    from crosscloud.engine.policy_config import read_policy_config

    packs = [p.resolve() for p in chosen] if chosen else project.policy_packs()
    for pack in packs:
        if not (pack / "PulumiPolicy.yaml").is_file():
            raise DeclarationError([ConfigIssue(str(pack), "-", "is not a policy pack (no PulumiPolicy.yaml)")])
    if not packs:
        raise DeclarationError([ConfigIssue(str(project.root / "policies"), "-", "no policy packs found")])
    if configs:
        if len(configs) != len(packs):
            names = ", ".join(p.name for p in packs)
            raise DeclarationError(
                [
                    ConfigIssue(
                        "--policy-config",
                        "-",
                        f"{len(configs)} given for {len(packs)} policy packs ({names}); "
                        "give one per --policy-pack, in the same order",
                    )
                ]
            )
        files: list[Path | None] = list(configs)
    else:
        defaults = [project.root / "policies" / "config" / stack / f"{pack.name}.json" for pack in packs]
        files = [path if path.is_file() else None for path in defaults]
    return [PackRun(pack, read_policy_config(f) if f else None) for pack, f in zip(packs, files, strict=True)]


def _check(
    project: Project, graph: Graph, args: argparse.Namespace, prestarted: StartedPacks | None = None
) -> CheckResult:
    from crosscloud.engine.check import check_graph

    result = check_graph(
        graph,
        prestarted.runs if prestarted else _packs(project, graph.stack, args.policy_pack, args.policy_config),
        start_timeout=args.pack_timeout,
        rpc_timeout=args.pack_timeout,
        organization=args.organization,
        prestarted=prestarted,
    )
    if args.graph_out is not None and result.graph is not None:
        result.graph.write(args.graph_out)
    return result


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DeclarationError(
            [ConfigIssue(str(output), "-", f"cannot write the output file: {exc.strerror}")]
        ) from None


def _verdict(result: CheckResult) -> int:
    return EXIT_VIOLATIONS if result.mandatory else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "models":
        catalog = load_catalog()
        if args.residency is not None and args.residency not in catalog.residency_names:
            raise DeclarationError(
                [
                    ConfigIssue(
                        "--residency",
                        "-",
                        f"{args.residency!r} is not a residency set",
                        ", ".join(catalog.residency_names),
                    )
                ]
            )
        if args.both and args.residency is None:
            raise DeclarationError([ConfigIssue("--both", "-", "needs --residency SET")])
        from crosscloud.models_table import models_table

        _emit(models_table(catalog, args.residency, args.cloud, both=args.both), None)
        return EXIT_OK
    if args.command == "prices":
        from crosscloud.evidence.commands import prices_command

        return prices_command(args, _emit)
    project = find_project(args.project_dir)
    if args.command in ("exit-plan", "cost", "graph"):
        from crosscloud.evidence.commands import evidence_command

        return evidence_command(args, project, _stack_config, _synth, _emit)
    if args.command == "synth":
        graph = _synth(project, args.stack, args.config_file)
        _emit(json.dumps(graph.to_json(), indent=2) + "\n", args.output)
        return EXIT_OK
    if args.command == "check":
        if (args.stack is None) == (args.graph is None):
            raise DeclarationError([ConfigIssue("crosscloud check", "-", "name a STACK or --graph FILE (one of them)")])
        if args.graph:
            from crosscloud.engine.graph import Graph

            graph = Graph.read(args.graph)
            graph.tags = graph.tags or stack_tags(project, graph.config, str(args.graph))
        else:
            graph = _synth(project, args.stack, args.config_file)
        result = _check(project, graph, args)
        from crosscloud.reports import RENDERERS

        _emit(RENDERERS[args.format](result), args.output)
        return _verdict(result)
    started = time.perf_counter()
    prestarted: list[StartedPacks] = []

    def start_packs(config: dict[str, Any]) -> None:
        """Start the packs now: each imports and loads while the program runs."""
        from crosscloud.engine.check import StartedPacks
        from crosscloud.engine.config import engine_config

        runs = _packs(project, args.stack, args.policy_pack, args.policy_config)
        prestarted.append(
            StartedPacks(
                runs,
                project.name,
                args.stack,
                engine_config(config).values,
                start_timeout=args.pack_timeout,
                rpc_timeout=args.pack_timeout,
                organization=args.organization,
            )
        )

    try:
        return _preview(project, args, started, start_packs, prestarted)
    finally:
        for packs in prestarted:
            packs.close()


def _preview(
    project: Project,
    args: argparse.Namespace,
    started: float,
    start_packs: Callable[[dict[str, Any]], None],
    prestarted: list[StartedPacks],
) -> int:
    graph = _synth(project, args.stack, args.config_file, before_program=start_packs)
    synth_seconds = time.perf_counter() - started
    from crosscloud.reports import RENDERERS
    from crosscloud.reports.text import render_counts, render_outputs, render_tree

    print(f"Previewing {project.name}/{args.stack} offline (no credentials; provider-computed values are unknown)\n")
    print(render_tree(graph), end="\n\n")
    print(render_counts(graph), end="\n\n")
    print(render_outputs(graph), end="\n\n")
    result = _check(project, graph, args, prestarted[0] if prestarted else None)
    print(RENDERERS["text"](result), end="")
    print(
        f"\nsynth {synth_seconds:.2f}s, policy check {result.seconds:.2f}s, total {time.perf_counter() - started:.2f}s"
    )
    return _verdict(result)


def main(argv: list[str] | None = None) -> int:
    """The CLI. Run as the `crosscloud` command (argv None), the process also becomes a child subreaper and kills
    every process left under it at the end, so nothing a pack started outlives the run, and it ends as soon as its
    output is flushed (see `_exit`)."""
    as_command = argv is None
    if as_command:
        become_subreaper()
    args = _parser().parse_args(argv)
    try:
        with signal_handlers():
            code = _cancellable(args)
    finally:
        if as_command:
            kill_children()
    if as_command:
        _exit(code)
    return code


def _exit(code: int) -> NoReturn:
    """End the process without the interpreter's teardown. Every file and pack is closed by now, but tearing down the
    heap a program leaves (the provider SDKs' modules, the graph) took 1.5 s of a 7.5 s `preview prod`."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written
            stream.flush()
    os._exit(code)


def _cancellable(args: argparse.Namespace) -> int:
    try:
        return _guarded(args)
    except Cancelled as exc:  # the packs are stopped by now: every session closes on the way out
        return _fail(f"cancelled by {signal.Signals(exc.signum).name}; every policy pack was stopped", exc.exit_code)
    except KeyboardInterrupt:
        return _fail("cancelled by SIGINT; every policy pack was stopped", 130)
    except Exception as exc:  # anything unforeseen is our failure (3), never a verdict (0/1)
        if args.debug:
            traceback.print_exc()
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        hint = "" if args.debug else " (run with --debug for the traceback)"
        return _fail(f"internal error: {detail}{hint}", EXIT_FAILURE)


def _guarded(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except DeclarationError as exc:
        return _fail(str(exc), EXIT_INPUT)
    except CatalogError as exc:
        return _fail(f"catalog data is invalid: {exc}", EXIT_FAILURE)
    except Exception as exc:
        failure = _engine_failure(exc)
        if failure is None:
            raise
        return _fail(f"{failure}: {exc}", EXIT_FAILURE)


def _engine_failure(exc: Exception) -> str | None:
    """What failed, for the program's ProgramError and a pack's PackError. Their modules are imported lazily: one that
    was never imported cannot have raised."""
    synth, analyzer = sys.modules.get("crosscloud.engine.synth"), sys.modules.get("crosscloud.engine.analyzer")
    if synth is not None and isinstance(exc, synth.ProgramError):
        return "the program failed"
    if analyzer is not None and isinstance(exc, analyzer.PackError):
        return "policy check failed"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
