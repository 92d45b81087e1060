"""Run every policy pack over a graph (each in its own process, in parallel) and gather one CheckResult."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from crosscloud.engine.analyzer import run_pack
from crosscloud.engine.graph import Graph
from crosscloud.engine.violations import CheckResult


def check_graph(
    graph: Graph,
    packs: list[Path],
    policy_config: dict[str, Any] | None = None,
    *,
    start_timeout: float = 60.0,
    rpc_timeout: float = 60.0,
) -> CheckResult:
    """All packs over `graph`; the first PackError (crash, hang, no port) propagates after every pack is stopped."""
    started = time.perf_counter()
    result = CheckResult(project=graph.project, stack=graph.stack, resources=len(graph.resources), packs=[])
    with ThreadPoolExecutor(max_workers=max(1, min(len(packs), 4))) as pool:
        jobs = [
            pool.submit(run_pack, pack, graph, policy_config, start_timeout=start_timeout, rpc_timeout=rpc_timeout)
            for pack in packs
        ]
        outcomes = [job.exception() or job.result() for job in jobs]
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        info, violations = outcome
        result.packs.append(info)
        result.violations.extend(violations)
    result.seconds = time.perf_counter() - started
    return result
