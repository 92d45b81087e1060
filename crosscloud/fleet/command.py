"""`crosscloud fleet check | matrix | merge | diff`: the command line of the fleet (cli.py wires it in)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK = 0
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
FLEET_FORMATS = ("text", "json", "markdown", "sarif")
DIFF_FORMATS = ("text", "json", "markdown")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(text)
    return int(text)


def add_parsers(
    sub: Any,
    *,
    parser_class: type[argparse.ArgumentParser],
    report_type: Callable[[str], Any],
    seconds_type: Callable[[str], float],
) -> None:
    from crosscloud.fleet.shard import parse_shard, parse_shards

    fleet = sub.add_parser("fleet", help="many stacks at once: check, shard, merge, policy impact")
    commands = fleet.add_subparsers(dest="fleet_command", required=True, parser_class=parser_class)

    stacks = parser_class(add_help=False)
    stacks.add_argument(
        "folders", nargs="*", type=Path, metavar="FOLDER",
        help="a project folder (every Pulumi.<stack>.yaml), or a folder of projects; default: here",
    )  # fmt: skip
    stacks.add_argument("--manifest", type=Path, metavar="FILE", help="a YAML/JSON file listing projects and stacks")
    stacks.add_argument("--shard", type=parse_shard, metavar="K/N", help="only shard K (from 0) of N")

    running = parser_class(add_help=False)
    running.add_argument(
        "--workers", type=_positive_int, metavar="N", help="stacks at once (default: by cores and memory)"
    )
    running.add_argument(
        "--stack-timeout", type=seconds_type, default=600.0, metavar="SECONDS",
        help="a stack still running after this is stopped, exit 3 for it (default 600)",
    )  # fmt: skip
    running.add_argument(
        "--organization",
        default=os.environ.get("PULUMI_ORGANIZATION") or "organization",
        help="the organization packs see (default: $PULUMI_ORGANIZATION, else 'organization')",
    )
    running.add_argument("--pack-timeout", type=seconds_type, default=60.0, metavar="SECONDS",
                         help="how long a pack may take to start and to answer one call (default 60)")  # fmt: skip
    running.add_argument("--progress", action="store_true", help="a line per stack on stderr even when not a terminal")

    def outputs(formats: tuple[str, ...]) -> Any:
        out = parser_class(add_help=False)
        out.add_argument("--format", choices=formats, default="text")
        out.add_argument("-o", "--output", type=Path, help="write the report to FILE (default: stdout)")
        out.add_argument("--report", action="append", type=report_type, default=[], metavar="FORMAT=PATH",
                         help="also write FORMAT to PATH (repeatable)")  # fmt: skip
        return out

    p = commands.add_parser(
        "check", parents=[stacks, running, outputs(FLEET_FORMATS)], help="every stack through every pack"
    )
    p.add_argument("--policy-pack", action="append", type=Path, metavar="DIR", help="as for `crosscloud check`")
    p.add_argument("--policy-config", action="append", type=Path, metavar="FILE", help="as for `crosscloud check`")
    p = commands.add_parser("matrix", parents=[stacks], help="the shards as a GitHub Actions matrix (JSON)")
    p.add_argument("--shards", type=parse_shards, required=True, metavar="N", help="how many shards")
    p.add_argument(
        "--format", choices=["github", "pulumi"], default="github",
        help="github: a GitHub Actions matrix (one line); pulumi: every stack with its work dir, stack file and "
        "policy packs with their configs, for real previews by Pulumi's own engines",
    )  # fmt: skip
    p = commands.add_parser("merge", parents=[outputs(FLEET_FORMATS)], help="the shards' JSON reports as one report")
    p.add_argument("documents", nargs="+", type=Path, metavar="FILE", help="`fleet check --report json=...` files")
    p = commands.add_parser(
        "diff", parents=[stacks, running, outputs(DIFF_FORMATS)], help="which verdicts a change to the packs changes"
    )
    p.add_argument(
        "--packs-base", type=Path, required=True, metavar="DIR", help="the packs before (*/PulumiPolicy.yaml)"
    )
    p.add_argument("--packs-head", type=Path, required=True, metavar="DIR", help="the packs after")


def run(args: argparse.Namespace) -> int:
    """The fleet command's exit code: the worst stack's (0/1/2/3)."""
    if args.fleet_command == "matrix":
        from crosscloud.fleet.inventory import discover
        from crosscloud.fleet.shard import matrix, pulumi_stacks

        root = Path.cwd().resolve()
        stacks = discover(args.folders, args.manifest, root)
        if args.format == "pulumi":
            sys.stdout.write(pulumi_stacks(stacks, args.shards, root))
        else:
            sys.stdout.write(matrix(stacks, args.shards))
        return EXIT_OK
    _check_outputs(args)
    if args.fleet_command == "merge":
        return _merge(args)
    return _check_or_diff(args)


def _check_outputs(args: argparse.Namespace) -> None:
    from crosscloud.cli import _check_writable

    paths = [(f"{r.format} report", r.path) for r in args.report]
    if args.output is not None:
        paths.insert(0, (f"{args.format} report (-o)", args.output))
    _check_writable(paths)


def _write(args: argparse.Namespace, render: Callable[[str], str]) -> None:
    from crosscloud.cli import _emit

    _emit(render(args.format), args.output)
    for report in args.report:
        _emit(render(report.format), report.path)


def _merge(args: argparse.Namespace) -> int:
    from crosscloud.declaration.input_file import read_text
    from crosscloud.fleet import report

    docs = []
    for path in args.documents:
        text = read_text(
            path,
            kind="a fleet report",
            limit=MAX_DOCUMENT_BYTES,
            too_large=f"larger than {MAX_DOCUMENT_BYTES >> 20} MiB",
        )
        docs.append((str(path), report.read_document(str(path), text)))
    doc = report.merge(docs)
    _write(args, lambda fmt: report.RENDERERS[fmt](doc))
    return report.exit_code(doc)


def _progress_line(stack: Any, result: dict[str, Any], done: int, total: int) -> None:
    from crosscloud.declaration import printable
    from crosscloud.engine.redaction import Redactor
    from crosscloud.fleet.report import verdict

    code = int(result["exitCode"])
    what = verdict(code, int(result.get("advisory", 0)))
    if code == 0 and "baseExit" in result:  # a policy diff: both verdicts
        what = f"{verdict(result['baseExit'], 0)} -> {verdict(result['headExit'], 0)}"
    resources = f", {result['resources']} resources" if "resources" in result else ""
    packs = result.get("packProcesses") or {}
    forked = f", {packs['forked']} of {packs['forked'] + packs['started']} packs forked" if packs else ""
    seconds = f", {result['seconds']:.1f}s" if "seconds" in result else ""
    counter = f"[{done:>{len(str(total))}}/{total}]"
    line = f"{counter} {stack.label}: {what} (exit {code}{resources}{forked}{seconds})"
    print(printable(Redactor().text(line)), file=sys.stderr, flush=True)  # key material never reaches stderr


def _check_or_diff(args: argparse.Namespace) -> int:
    from crosscloud.declaration import ConfigIssue, DeclarationError
    from crosscloud.fleet import diff, report
    from crosscloud.fleet.inventory import discover, relative
    from crosscloud.fleet.runner import Fleet, FleetOptions, default_workers
    from crosscloud.fleet.shard import select

    root = Path.cwd().resolve()
    is_diff = args.fleet_command == "diff"
    if is_diff:
        for option, folder in (("--packs-base", args.packs_base), ("--packs-head", args.packs_head)):
            if not folder.is_dir() or not any(folder.glob("*/PulumiPolicy.yaml")):
                raise DeclarationError([ConfigIssue(str(folder), option, "is not a folder of policy packs")])
    stacks = discover(args.folders, args.manifest, root)
    if args.shard is not None:
        stacks = select(stacks, args.shard)
    options = FleetOptions(
        root=root,
        organization=args.organization,
        pack_timeout=args.pack_timeout,
        stack_timeout=args.stack_timeout,
        workers=args.workers or default_workers(len(stacks)),
        policy_packs=[p.resolve() for p in args.policy_pack] if getattr(args, "policy_pack", None) else None,
        policy_configs=[p.resolve() for p in args.policy_config] if getattr(args, "policy_config", None) else None,
        debug=args.debug,
        mode="diff" if is_diff else "check",
        packs_base=args.packs_base.resolve() if is_diff else None,
        packs_head=args.packs_head.resolve() if is_diff else None,
    )
    isatty = getattr(sys.stderr, "isatty", None)
    progress = _progress_line if args.progress or (isatty and isatty()) else None
    results = Fleet(options, progress).run(stacks) if stacks else []
    seconds = {s.label: float(r.get("seconds", 0.0)) for s, r in zip(stacks, results, strict=True)}
    if is_diff:
        entries = [diff.entry(s, r) for s, r in zip(stacks, results, strict=True)]
        diff_doc = diff.document(entries, str(args.packs_base), str(args.packs_head))
        _write(args, lambda fmt: diff.RENDERERS[fmt](diff_doc))
        return int(diff_doc["summary"]["exitCode"])
    entries = [report.entry(s, r, relative(s.stack_file, root)) for s, r in zip(stacks, results, strict=True)]
    doc = report.document(entries, args.shard)
    _write(args, lambda fmt: report.render_text(doc, seconds) if fmt == "text" else report.RENDERERS[fmt](doc))
    return report.exit_code(doc)
