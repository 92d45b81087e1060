"""`crosscloud`: offline preview, synth, policy check and model catalog for a crosscloud Pulumi project.

Exit codes: 0 clean (or advisory findings only), 1 mandatory violations, 2 bad input or usage (the program raising
is the program's failure: 2, naming its file and line), 3 a policy pack or crosscloud's own code failed,
130 / 143 cancelled by SIGINT / SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from crosscloud import catalog_command
from crosscloud.catalog import CatalogError, load_catalog
from crosscloud.declaration import (
    ConfigIssue,
    Declaration,
    DeclarationError,
    declaration_from_config,
    printable,
    read_stack_file,
    stack_name_problem,
)
from crosscloud.declaration.input_file import refuse_leaving, write_text
from crosscloud.declaration.secrets import without_key_material
from crosscloud.engine.config import merge_project_config, stack_tags
from crosscloud.engine.processes import Cancelled, become_subreaper, kill_children, signal_handlers
from crosscloud.engine.progress import PROGRESS
from crosscloud.engine.project import Project, find_project, shipped_packs

# Each command imports what it uses when it runs (`synth` loads no analyzer, report or policy-config code; `models`
# no engine): a CLI start pays only for its own path.
if TYPE_CHECKING:
    from crosscloud.catalog.loader import Cloud
    from crosscloud.engine.check import PackRun, StartedPacks
    from crosscloud.engine.graph import Graph
    from crosscloud.engine.redaction import Redactor
    from crosscloud.engine.violations import CheckResult

# The keys of crosscloud.reports.RENDERERS (tests/test_cli.py checks they agree), for --format without importing them.
REPORT_FORMATS = ("json", "markdown", "sarif", "text")

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_FAILURE = 0, 1, 2, 3
SHOWN_SECRET = "[secret]"  # noqa: S105 - what stderr shows in place of a secret
# The run's secrets, once its graph exists: every line on stderr passes through this redactor.
_REDACTOR: list[Redactor] = []


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("crosscloud")
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


class _Version(argparse.Action):
    """`--version`, looked up only when asked for (package metadata is not read on every start)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"crosscloud {version()}")
        parser.exit()


@dataclass(frozen=True)
class Report:
    """One rendering of the check's result and where it goes (None: stdout)."""

    format: str
    path: Path | None


def _report(text: str) -> Report:
    """`--report FORMAT=PATH`."""
    fmt, sep, path = text.partition("=")
    if not sep or fmt not in REPORT_FORMATS or not path:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not FORMAT=PATH with FORMAT one of {', '.join(REPORT_FORMATS)} (e.g. markdown=comment.md)"
        )
    return Report(fmt, Path(path))


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
    reports = _Parser(add_help=False)
    reports.add_argument(
        "--report",
        action="append",
        type=_report,
        default=[],
        metavar="FORMAT=PATH",
        help=f"also write the report as FORMAT ({', '.join(REPORT_FORMATS)}) to PATH (repeatable: every format "
        "from one run); paths are checked before the run starts",
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
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "preview", parents=[common, packs, reports, stack_file], help="offline preview of a stack with policy results"
    )
    p.add_argument("stack")
    p = sub.add_parser("synth", parents=[common, stack_file], help="the stack's resource graph as JSON")
    p.add_argument("stack")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    p = sub.add_parser(
        "check", parents=[common, packs, reports, stack_file], help="run the policy packs over a stack or a graph"
    )
    p.add_argument("stack", nargs="?")
    p.add_argument("--graph", type=Path, help="a graph from 'crosscloud synth' (uses its stack and config)")
    p.add_argument("--format", choices=REPORT_FORMATS, default="text")
    p.add_argument("-o", "--output", type=Path, help="write the report to FILE (default: stdout)")
    p = sub.add_parser(
        "endpoints", parents=[common, stack_file], help="the endpoints contract as JSON or a LiteLLM proxy config"
    )
    p.add_argument("stack")
    p.add_argument("--format", choices=["json", "litellm"], default="json")
    p.add_argument(
        "--stack-output",
        metavar="FILE|-",
        help="`pulumi stack output --json` of the deployed stack (- for stdin); default: an offline preview, with "
        "placeholders for what only `pulumi up` knows",
    )
    p.add_argument("--workload", help="the workload the LiteLLM proxy runs as (default: the stack's only one)")
    p.add_argument("--runs-on", choices=["aws", "azure"], help="where the proxy runs (default: implied by federation)")
    p.add_argument("--token-file", help="AWS outbound identity token file the proxy reads on AWS (absolute path)")
    p.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    p = sub.add_parser("models", help="the model catalog: where each model can run, and how")
    p.add_argument("--residency", help="only offerings that keep processing inside this residency set")
    p.add_argument("--cloud", choices=["aws", "azure"])
    p.add_argument("--kind", help="only models of this kind (chat, embedding)")
    p.add_argument("--region", help="only offerings in this Region or Azure location")
    p.add_argument("--both", action="store_true", help="only models resident on both clouds (needs --residency)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    catalog_command.add_lifecycle_arguments(p)
    catalog_command.add_parsers(sub)
    _evidence_parsers(sub, common, stack_file)
    from crosscloud.fleet import command as fleet_command

    fleet_command.add_parsers(sub, parser_class=_Parser, report_type=_report, seconds_type=_seconds)
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
    """Bad input: one line per problem. Any other failure: one line, whatever the exception's text held. Every line
    passes the run's redactor (the secrets of its graph) and loses anything shaped like key material."""
    text = lines
    for redactor in _REDACTOR:
        text = redactor.secrets_only(text)
    text = printable(without_key_material(text, SHOWN_SECRET))
    for line in text.splitlines() if code == EXIT_INPUT else [" ".join(text.split())]:
        print(line if line.startswith("crosscloud") or code == EXIT_INPUT else f"crosscloud: {line}", file=sys.stderr)
    return code


def _remember_secrets(graph: Graph) -> None:
    from crosscloud.engine.redaction import Redactor

    _REDACTOR[:] = [Redactor.for_graph(graph)]


# -- terminal niceties: progress on stderr and colour, only where a person watches ------------------------------------
def _color(stream: Any) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def _progress() -> Iterator[None]:
    """While the body runs, the engine's phase and counts on one self-rewriting stderr line, if stderr is a
    terminal; nothing at all otherwise (CI logs, pipes, files)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if not (isatty and isatty()):
        yield
        return
    stop = threading.Event()

    def tick() -> None:
        shown = ""
        while not stop.wait(0.2):
            line = PROGRESS.line()
            if line and line != shown:
                sys.stderr.write(f"\r\x1b[K{line}")
                sys.stderr.flush()
                shown = line

    ticker = threading.Thread(target=tick, name="progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()
        PROGRESS.start("")


# -- inputs ---------------------------------------------------------------------------------------------------------
def _synth(
    project: Project,
    stack: str,
    config_file: Path | None,
    before_program: Callable[[dict[str, Any]], None] | None = None,
) -> Graph:
    """Validate the stack file, then run the program (`before_program` gets the merged config just before)."""
    path, config, declaration = _declared(project, stack, config_file)
    from crosscloud.engine.synth import synthesize

    if before_program is not None:
        before_program(config)
    PROGRESS.start("running the program: resources registered")
    with _progress():
        graph = synthesize(project, stack, config)
    _remember_secrets(graph)
    graph.tags = stack_tags(project, graph.config, str(path))
    graph.notes.extend(declaration.notes)  # e.g. a model retiring soon: shown with the report's notes
    return graph


def _stack_config(project: Project, stack: str, config_file: Path | None) -> tuple[Path, dict[str, Any]]:
    """The stack file and its config merged with Pulumi.yaml's, checked as a declaration (bad input stops here)."""
    path, config, _declaration = _declared(project, stack, config_file)
    return path, config


def _declared(project: Project, stack: str, config_file: Path | None) -> tuple[Path, dict[str, Any], Declaration]:
    """The stack file, its merged config and the declaration checked from it."""
    problem = stack_name_problem(stack)
    if problem:
        raise DeclarationError([ConfigIssue.given("crosscloud", "STACK", stack, problem)])
    path = config_file or project.stack_file(stack)
    if path.is_dir():
        raise DeclarationError([ConfigIssue(str(path), "-", "is a directory, not a stack file")])
    if not path.exists() and not path.is_symlink():
        stacks = ", ".join(project.stacks()) or "none"
        raise DeclarationError(
            [
                ConfigIssue(
                    str(path.name if config_file is None else path), "-", f"no such stack file; stacks here: {stacks}"
                )
            ]
        )
    refuse_leaving(path, project.root, "stack file")
    config = merge_project_config(project, read_stack_file(path), str(path))
    # Bad input stops here, with every problem on its own line.
    return path, config, declaration_from_config(config, str(path), project=project.name, stack=stack)


def _packs(project: Project, stack: str, chosen: list[Path] | None, configs: list[Path] | None) -> list[PackRun]:
    """The packs and the config file paired with each: `--policy-config` in the order of the packs, else the
    stack's file under policies/config/<stack>/<pack-folder>.json where one exists. A project without packs of its
    own is checked by the packs crosscloud ships, each with the shipped config for the stack beside it."""
    from crosscloud.engine.check import PackRun
    from crosscloud.engine.policy_config import read_policy_config

    own = [p.resolve() for p in chosen] if chosen else project.policy_packs()
    packs = own or shipped_packs()
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
        for config in configs:
            refuse_leaving(config, project.root, "policy config file")
        files: list[Path | None] = list(configs)
    else:
        files = []
        for pack in packs:
            candidates = [(project.root, project.root / "policies" / "config" / stack / f"{pack.name}.json")]
            if not own:  # the shipped packs: their own config for this stack name, where the project has none
                candidates.append((pack.parent.parent, pack.parent / "config" / stack / f"{pack.name}.json"))
            found = None
            for root, candidate in candidates:
                if candidate.is_file() or candidate.is_symlink():
                    refuse_leaving(candidate, root, "policy config file")
                    found = candidate
                    break
            files.append(found)
    return [PackRun(pack, read_policy_config(f) if f else None) for pack, f in zip(packs, files, strict=True)]


# -- outputs --------------------------------------------------------------------------------------------------------
def _outputs(args: argparse.Namespace) -> list[Report]:
    """Every report this run writes: check's `--format`/`-o`, then each `--report`."""
    primary = [Report(args.format, args.output)] if args.command == "check" else []
    return [*primary, *getattr(args, "report", [])]


def _check_writable(paths: list[tuple[str, Path]]) -> None:
    """Before the run starts: each output path must be writable (its folder exists and may be written, it is not a
    folder) and named once; every problem on its own line, exit 2, and no run."""
    issues: list[ConfigIssue] = []
    seen: dict[Path, str] = {}
    for what, path in paths:
        target = path.absolute()
        if target in seen:
            issues.append(ConfigIssue(str(path), "-", f"named twice ({seen[target]} and {what}); give each its own"))
            continue
        seen[target] = what
        if path.is_dir():
            problem = "is a directory"
        elif path.exists():
            problem = "" if os.access(path, os.W_OK) else "is not writable"
        elif not path.parent.is_dir():
            problem = f"its folder {path.parent} does not exist"
        else:
            problem = "" if os.access(path.parent, os.W_OK) else f"its folder {path.parent} is not writable"
        if problem:
            issues.append(ConfigIssue(str(path), "-", f"cannot write the {what} here: {problem}"))
    if issues:
        raise DeclarationError(issues)


def _planned_outputs(args: argparse.Namespace) -> None:
    paths = [(f"{r.format} report", r.path) for r in _outputs(args) if r.path is not None]
    if getattr(args, "graph_out", None) is not None:
        paths.append(("graph (--graph-out)", args.graph_out))
    if getattr(args, "output", None) is not None and args.command == "synth":
        paths.append(("graph (-o)", args.output))
    _check_writable(paths)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    write_text(output, text)


def _check(
    project: Project, graph: Graph, args: argparse.Namespace, prestarted: StartedPacks | None = None
) -> CheckResult:
    from crosscloud.engine.check import check_graph

    with _progress():
        result = check_graph(
            graph,
            prestarted.runs if prestarted else _packs(project, graph.stack, args.policy_pack, args.policy_config),
            start_timeout=args.pack_timeout,
            rpc_timeout=args.pack_timeout,
            organization=args.organization,
            prestarted=prestarted,
        )
    if args.graph_out is not None and result.graph is not None:
        _emit(json.dumps(result.graph.to_json(result.redactor), indent=2) + "\n", args.graph_out)
    return result


def _render(report: Report, result: CheckResult, color: bool) -> str:
    from crosscloud.reports import RENDERERS
    from crosscloud.reports.text import render_violations

    if report.format == "text":
        return render_violations(result, color=color)
    return RENDERERS[report.format](result)


def _write_reports(reports: list[Report], result: CheckResult) -> None:
    for report in reports:
        _emit(_render(report, result, color=report.path is None and _color(sys.stdout)), report.path)


def _verdict(result: CheckResult) -> int:
    return EXIT_VIOLATIONS if result.mandatory else EXIT_OK


# -- commands -------------------------------------------------------------------------------------------------------
def _models(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    issues = []
    if args.residency is not None and args.residency not in catalog.residency_names:
        issues.append(
            ConfigIssue(
                "--residency", "-", f"{args.residency!r} is not a residency set", ", ".join(catalog.residency_names)
            )
        )
    kinds = sorted({m.kind for m in catalog.models.values()})
    if args.kind is not None and args.kind not in kinds:
        issues.append(ConfigIssue("--kind", "-", f"{args.kind!r} is not a model kind", ", ".join(kinds)))
    clouds: list[Cloud] = [args.cloud] if args.cloud else ["aws", "azure"]
    regions = sorted({r for c in clouds for r in catalog.regions_of(c)})
    if args.region is not None and args.region not in regions:
        from crosscloud.declaration.errors import did_you_mean, join_allowed

        issues.append(
            ConfigIssue(
                "--region",
                "-",
                f"{args.region!r} is not a known {' or '.join(clouds)} region{did_you_mean(args.region, regions)}",
                join_allowed(regions),
            )
        )
    if args.both and args.residency is None:
        issues.append(ConfigIssue("--both", "-", "needs --residency SET"))
    if issues:
        raise DeclarationError(issues)
    from crosscloud.models_table import models_table

    table = models_table(
        catalog,
        args.residency,
        args.cloud,
        both=args.both,
        kind=args.kind,
        region=args.region,
        as_json=args.format == "json",
    )
    _emit(table, None)
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "catalog":
        _emit(catalog_command.sync(args), None)
        return EXIT_OK
    if args.command == "models" and args.lifecycle:
        _emit(catalog_command.lifecycle_view(args), None)
        return EXIT_OK
    if args.command == "models":
        return _models(args)
    if args.command == "prices":
        from crosscloud.evidence.commands import prices_command

        return prices_command(args, _emit)
    if args.command == "fleet":
        from crosscloud.fleet.command import run as fleet

        return fleet(args)
    project = find_project(args.project_dir)
    _planned_outputs(args)
    if args.command == "endpoints":
        return _endpoints(project, args)
    if args.command in ("exit-plan", "cost", "graph"):
        from crosscloud.evidence.commands import evidence_command

        return evidence_command(args, project, _stack_config, _synth, _emit)
    if args.command == "synth":
        graph = _synth(project, args.stack, args.config_file)
        _emit(json.dumps(graph.to_json(_REDACTOR[0] if _REDACTOR else None), indent=2) + "\n", args.output)
        return EXIT_OK
    if args.command == "check":
        if (args.stack is None) == (args.graph is None):
            raise DeclarationError([ConfigIssue("crosscloud check", "-", "name a STACK or --graph FILE (one of them)")])
        if args.graph:
            from crosscloud.engine.graph import Graph

            graph = Graph.read(args.graph)
            _remember_secrets(graph)
            graph.tags = graph.tags or stack_tags(project, graph.config, str(args.graph))
        else:
            graph = _synth(project, args.stack, args.config_file)
        result = _check(project, graph, args)
        _write_reports(_outputs(args), result)
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


def _endpoints(project: Project, args: argparse.Namespace) -> int:
    """The contract from a deployed stack's outputs, or offline from a preview (placeholders named on stderr)."""
    from crosscloud.endpoints import DEFAULT_TOKEN_FILE, contract_from_outputs, offline_outputs, read_stack_output
    from crosscloud.endpoints import render as render_endpoints

    problem = stack_name_problem(args.stack)
    if problem:
        raise DeclarationError([ConfigIssue.given("crosscloud", "STACK", args.stack, problem)])
    if args.stack_output is not None:
        source = "stdin" if args.stack_output == "-" else args.stack_output
        try:
            raw = sys.stdin.buffer.read() if args.stack_output == "-" else Path(args.stack_output).read_bytes()
        except OSError as exc:
            raise DeclarationError([ConfigIssue(source, "-", f"cannot be read: {exc.strerror}")]) from None
        outputs, offline = read_stack_output(raw, source), False
    else:
        graph = _synth(project, args.stack, args.config_file)
        source, outputs, offline = f"preview of {args.stack}", offline_outputs(graph.outputs), True
    contract = contract_from_outputs(outputs, stack=args.stack, source=source, offline=offline)
    text = render_endpoints(
        contract,
        args.format,
        workload=args.workload,
        runs_on=args.runs_on,
        token_file=args.token_file or DEFAULT_TOKEN_FILE,
    )
    _emit(text, args.output)
    if contract.placeholders:
        print(
            f"crosscloud: offline preview: {len(contract.placeholders)} values are placeholders until `pulumi up` "
            "(known-after-pulumi-up); pass --stack-output for the deployed stack's",
            file=sys.stderr,
        )
    return EXIT_OK


def _preview(
    project: Project,
    args: argparse.Namespace,
    started: float,
    start_packs: Callable[[dict[str, Any]], None],
    prestarted: list[StartedPacks],
) -> int:
    graph = _synth(project, args.stack, args.config_file, before_program=start_packs)
    synth_seconds = time.perf_counter() - started
    from crosscloud.reports.text import render_counts, render_outputs, render_tree, render_violations

    print(f"Previewing {project.name}/{args.stack} offline (no credentials; provider-computed values are unknown)\n")
    print(render_tree(graph), end="\n\n")
    print(render_counts(graph), end="\n\n")
    print(render_outputs(graph, _REDACTOR[0] if _REDACTOR else None), end="\n\n")
    sys.stdout.flush()
    result = _check(project, graph, args, prestarted[0] if prestarted else None)
    print(render_violations(result, color=_color(sys.stdout)), end="")
    _write_reports(args.report, result)
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
    _REDACTOR.clear()
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


def _cancellable(args: argparse.Namespace, run: Callable[[argparse.Namespace], int] | None = None) -> int:
    """`run` (default: the command `args` name) with every failure turned into its exit code and stderr line;
    `crosscloud fleet` runs each stack's check through it, so a stack fails exactly as it fails alone."""
    try:
        return _guarded(args, run)
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


def _guarded(args: argparse.Namespace, run: Callable[[argparse.Namespace], int] | None = None) -> int:
    try:
        return (run or _run)(args)
    except DeclarationError as exc:
        return _fail(str(exc), EXIT_INPUT)
    except CatalogError as exc:
        return _fail(f"catalog data is invalid: {exc}", EXIT_FAILURE)
    except Exception as exc:
        failure = _engine_failure(exc)
        if failure is None:
            raise
        what, code = failure
        if args.debug:
            traceback.print_exc()
        return _fail(" ".join(f"crosscloud: {what}: {exc}".split()), code)  # one line, whatever the exit code


def _engine_failure(exc: Exception) -> tuple[str, int] | None:
    """What failed and its exit code, for the program's ProgramError and a pack's PackError. Their modules are
    imported lazily: one that was never imported cannot have raised. The program raising (or registering what the
    engine refuses) is the program's failure, bad input: 2; a failure inside crosscloud's own code is ours: 3."""
    synth, analyzer = sys.modules.get("crosscloud.engine.synth"), sys.modules.get("crosscloud.engine.analyzer")
    if synth is not None and isinstance(exc, synth.ProgramError):
        if exc.by_program:
            return "the program failed", EXIT_INPUT
        return "the program failed inside crosscloud's own code", EXIT_FAILURE
    if analyzer is not None and isinstance(exc, analyzer.PackError):
        return "policy check failed", EXIT_FAILURE
    return None


if __name__ == "__main__":
    raise SystemExit(main())
