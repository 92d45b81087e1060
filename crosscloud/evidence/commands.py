"""The CLI side of `crosscloud exit-plan`, `cost`, `graph` and `prices refresh` (wired in crosscloud/cli.py)."""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crosscloud.catalog import load_catalog
from crosscloud.declaration import ConfigIssue, DeclarationError, declaration_from_config
from crosscloud.engine.graph import Graph
from crosscloud.engine.project import Project
from crosscloud.evidence.commitments import today

Emit = Callable[[str, Path | None], None]
StackConfig = Callable[[Project, str, Path | None], tuple[Path, dict[str, Any]]]
Synth = Callable[[Project, str, Path | None], Graph]


def _graph_or_stack(args: argparse.Namespace, project: Project, synth: Synth) -> Graph:
    if (args.stack is None) == (args.graph is None):
        raise DeclarationError(
            [ConfigIssue(f"crosscloud {args.command}", "-", "name a STACK or --graph FILE (one of them)")]
        )
    if args.graph is not None:
        return Graph.read(args.graph)
    return synth(project, args.stack, args.config_file)


def evidence_command(
    args: argparse.Namespace, project: Project, stack_config: StackConfig, synth: Synth, emit: Emit
) -> int:
    catalog = load_catalog()
    if args.command == "graph":
        from crosscloud.evidence.graph import mermaid, render_markdown

        graph = _graph_or_stack(args, project, synth)
        emit(render_markdown(graph) if args.format == "markdown" else mermaid(graph), args.output)
        return 0
    from crosscloud.evidence.cost import RENDERERS as COST_RENDERERS
    from crosscloud.evidence.cost import cost_report

    if args.command == "cost":
        path, config = stack_config(project, args.stack, args.config_file)
        declaration = declaration_from_config(config, str(path), project=project.name, stack=args.stack)
        emit(COST_RENDERERS[args.format](cost_report(args.stack, declaration, catalog, today())), args.output)
        return 0
    from crosscloud.evidence.exit_plan import RENDERERS, exit_plan

    graph = _graph_or_stack(args, project, synth)
    if args.graph is not None:
        source = str(args.graph)
        declaration = declaration_from_config(graph.config, source, project=graph.project, stack=graph.stack)
        digest_of = args.graph
    else:
        path, config = stack_config(project, args.stack, args.config_file)
        declaration = declaration_from_config(config, str(path), project=project.name, stack=args.stack)
        digest_of = path
    day = today()
    cost = cost_report(graph.stack, declaration, catalog, day)
    plan = exit_plan(graph.stack, declaration, catalog, graph, cost, digest_of, project.root, day)
    emit(RENDERERS[args.format](plan), args.output)
    return 0


def prices_command(args: argparse.Namespace, emit: Emit) -> int:
    """`crosscloud prices refresh`: read the public price lists for every row of the table, print what changed, and
    with --write save the overlay."""
    from crosscloud.evidence.refresh import RefreshError, http_get, refresh, render_overlay, render_summary

    blocks: Any = None
    if args.capacity_blocks is not None:
        try:
            blocks = json.loads(args.capacity_blocks.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeclarationError(
                [ConfigIssue(str(args.capacity_blocks), "-", f"cannot read the offerings JSON: {exc}")]
            ) from None
    catalog = load_catalog()
    try:
        result = refresh(catalog.prices, http_get, today(), capacity_blocks=blocks)
    except RefreshError as exc:
        raise DeclarationError([ConfigIssue("crosscloud prices refresh", "-", str(exc))]) from None
    emit(render_summary(result), None)
    if args.write is not None:
        text = render_overlay(result)
        emit(text, args.write)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        emit(
            f"wrote {args.write} ({len(result.rows)} rows, sha256 {digest}); use it with "
            f"CROSSCLOUD_PRICES_OVERLAY={args.write.resolve()}\n",
            None,
        )
    return 0
