"""Run every policy pack over a graph as `pulumi preview` does and gather one CheckResult.

Each pack runs in its own process. The engine's order (pkg/resource/deploy/step_generator.go): per resource, every
pack's Remediate one after another, each seeing the previous one's output, then Analyze of the remediated inputs by
every pack; after the last resource, AnalyzeStack over the outputs. Packs start, load and analyse in parallel.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from crosscloud.declaration import ConfigIssue, DeclarationError
from crosscloud.engine.analyzer import IN_FLIGHT, PackError, PackSession
from crosscloud.engine.graph import UNKNOWN, Graph, Resource, name_some
from crosscloud.engine.policy_config import PolicyConfigFile, parse_policy_config
from crosscloud.engine.progress import PROGRESS
from crosscloud.engine.redaction import Redactor
from crosscloud.engine.violations import CheckResult, Remediation, Violation

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class PackRun:
    """A pack folder and the policy config file paired with it (pulumi's --policy-pack / --policy-pack-config)."""

    path: Path
    config: PolicyConfigFile | None = None


def _parallel(fn: Callable[[T], R], items: list[T]) -> list[R]:
    """fn over items in threads; the first exception is raised once every call has finished (or at once on a
    signal)."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(items), 4)))
    try:
        jobs = [pool.submit(fn, item) for item in items]
        errors = [job.exception() for job in jobs]
    finally:
        # Interrupted (a signal in the main thread): do not wait here; the caller stops the packs, which ends the
        # calls the workers wait on, and the workers see processes.CANCEL.
        pool.shutdown(wait=False, cancel_futures=True)
    for error in errors:
        if error is not None:
            raise error
    return [job.result() for job in jobs]


class StartedPacks:
    """Pack processes started before the graph exists, so each pack imports and loads while the program runs.
    Only the process start happens early; every call to a pack waits for check_graph. close() stops them all."""

    def __init__(
        self,
        runs: list[PackRun],
        project: str,
        stack: str,
        config: dict[str, str],
        *,
        start_timeout: float,
        rpc_timeout: float,
        organization: str,
    ) -> None:
        self.runs, self.organization = runs, organization
        self.ahead = Graph(project=project, stack=stack, config=dict(config), resources=[])
        self.sessions = [
            PackSession(
                run.path, self.ahead, start_timeout=start_timeout, rpc_timeout=rpc_timeout, organization=organization
            )
            for run in runs
        ]
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(len(runs), 4)))
        self._jobs = [self._pool.submit(session._start) for session in self.sessions]
        self._taken = False

    def fits(self, graph: Graph, runs: list[PackRun], organization: str) -> bool:
        ahead = self.ahead
        return not self._taken and (graph.project, graph.stack, graph.config, runs, organization) == (
            ahead.project,
            ahead.stack,
            ahead.config,
            self.runs,
            self.organization,
        )

    def take(self, graph: Graph) -> list[PackSession]:
        """The sessions, now for `graph`; the caller closes them."""
        self._taken = True
        for session in self.sessions:
            session.graph = graph
        return self.sessions

    def wait(self) -> None:
        """Until every pack has started; the first start failure is raised once all have finished."""
        errors = [job.exception() for job in self._jobs]
        self._pool.shutdown()
        for error in errors:
            if error is not None:
                raise error

    def close(self) -> None:
        """Stop every pack, unless check_graph took them (it stops them itself)."""
        if self._taken:
            return
        self._taken = True
        for session in self.sessions:  # a start still waiting for its pack's port ends at once
            if session.process is not None and session.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(session.process.pid, signal.SIGKILL)
        for job in self._jobs:
            job.exception()
        self._pool.shutdown()
        for session in self.sessions:
            session.close()


# Inputs holding a policy document (IAM, VPC endpoint and inline role policies). The packs leave an unknown one to
# `pulumi up` (crosscloud/policies/rules/base.py DOCUMENT_PROPERTIES; a test keeps the two lists equal), so the run
# says so once.
DEFERRED_DOCUMENT_INPUTS = ("policy", "inlinePolicies")


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def deferred_documents(graph: Graph) -> list[str]:
    """URNs of the resources whose policy documents are unknown in `graph` (a first preview cannot know them)."""
    return [r.urn for r in graph.resources if any(_holds_unknown(r.inputs.get(k)) for k in DEFERRED_DOCUMENT_INPUTS)]


def deferred_note(urns: list[str]) -> str:
    """The one note naming the resources whose policy documents the packs check only during `pulumi up`."""
    names = name_some(urns)
    return (
        f"deferred to `pulumi up`: the policy documents of {names} embed values a provider creates with another "
        "resource (such as the ID Bedrock gives a guardrail), so no first preview can know them; the packs check "
        "them during `pulumi up`, before each of these resources is created"
    )


def check_graph(
    graph: Graph,
    packs: list[PackRun] | list[Path],
    policy_config: dict[str, Any] | None = None,
    *,
    start_timeout: float = 60.0,
    rpc_timeout: float = 60.0,
    organization: str = "organization",
    prestarted: StartedPacks | None = None,
) -> CheckResult:
    """All packs over a copy of `graph` (remediations change its inputs). PackError for a pack that fails (after
    every pack is stopped); DeclarationError for invalid policy config, with every problem on its own line.

    A bare pack folder runs with `policy_config` (a parsed --policy-config object), if given, else with none.
    `prestarted`: the same packs already started by `start_packs` (used if they were started for this stack and
    config, else stopped and started again)."""
    started = time.perf_counter()
    shared = parse_policy_config(policy_config, "policy config") if policy_config is not None else None
    runs = [p if isinstance(p, PackRun) else PackRun(p, shared) for p in packs]
    graph = graph.copy()
    redactor = Redactor.for_graph(graph)  # before any remediation can take a secret's marker off
    result = CheckResult(
        project=graph.project,
        stack=graph.stack,
        resources=len(graph.resources),
        packs=[],
        graph=graph,
        redactor=redactor,
    )
    result.notes.extend(graph.notes)
    deferred = deferred_documents(graph)
    if deferred:
        result.notes.append(deferred_note(deferred))
    try:
        _run_packs(graph, runs, result, start_timeout, rpc_timeout, organization, prestarted)
    except PackError as exc:  # a pack's stderr (a traceback quoting an input) may hold a secret of the graph
        raise PackError(exc.pack, redactor.text(exc.problem)) from None
    result.seconds = time.perf_counter() - started
    return result.redacted()


def _run_packs(
    graph: Graph,
    runs: list[PackRun],
    result: CheckResult,
    start_timeout: float,
    rpc_timeout: float,
    organization: str,
    prestarted: StartedPacks | None,
) -> None:
    with contextlib.ExitStack() as stack:
        if prestarted is not None and prestarted.fits(graph, runs, organization):
            sessions = prestarted.take(graph)
            for session in sessions:
                stack.callback(session.close)
            prestarted.wait()
        else:
            if prestarted is not None:
                prestarted.close()
            sessions = []
            for run in runs:
                session = PackSession(
                    run.path, graph, start_timeout=start_timeout, rpc_timeout=rpc_timeout, organization=organization
                )
                stack.callback(session.close)
                sessions.append(session)
            _parallel(lambda s: s._start(), sessions)
        issues: list[ConfigIssue] = []
        for found in _parallel(lambda pair: pair[0].load(pair[1].config), list(zip(sessions, runs, strict=True))):
            issues.extend(found)
        if issues:
            raise DeclarationError(sorted(issues, key=str))
        result.packs = [s.info for s in sessions]
        for run in runs:
            if run.config is not None and run.config.environments:
                result.notes.append(
                    f"{run.config.path}: ESC environments ({', '.join(run.config.environments)}) cannot be opened "
                    "offline; their policy config and environment variables are not applied"
                )

        by_urn = graph.by_urn()
        # Providers first, all of them before any other request is built: their inputs go into every request.
        providers = [r for r in graph.resources if r.type.startswith("pulumi:providers:")]
        others = [r for r in graph.resources if not r.type.startswith("pulumi:providers:")]
        PROGRESS.start("policy packs: remediate", total=len(graph.resources) * len(sessions))
        for group in (providers, others):
            _remediate(sessions, group, by_urn, result)
        PROGRESS.start("policy packs: analyze", total=(len(graph.resources) + 1) * len(sessions))

        def analyze(session: PackSession) -> list[Violation]:
            return session.analyze_many(graph.resources, by_urn) + session.analyze_stack(graph)

        for violations in _parallel(analyze, sessions):
            result.violations.extend(violations)


def _remediate(
    sessions: list[PackSession], resources: list[Resource], by_urn: dict[str, Resource], result: CheckResult
) -> None:
    """Remediate each resource through every pack, one pack after another so each sees the previous one's rewrite.
    Up to IN_FLIGHT calls await their answers at once: a resource's call to the next pack goes out when the previous
    pack's answer is in, and a new resource starts as each one finishes. Results keep the engine's per-resource
    order."""
    found: list[tuple[list[Remediation], list[Violation]]] = [([], []) for _ in resources]
    waiting: collections.deque[tuple[int, int, Any]] = collections.deque()  # (resource, pack, call)
    queue = iter(range(len(resources)))
    while True:
        while len(waiting) < IN_FLIGHT and (index := next(queue, None)) is not None:
            waiting.append((index, 0, sessions[0].remediate_send(resources[index], by_urn)))
        if not waiting:
            break
        index, pack, call = waiting.popleft()
        remediations, violations = sessions[pack].remediate_answer(resources[index], call)
        PROGRESS.step()
        found[index][0].extend(remediations)
        found[index][1].extend(violations)
        if pack + 1 < len(sessions):
            waiting.append((index, pack + 1, sessions[pack + 1].remediate_send(resources[index], by_urn)))
    for remediations, violations in found:
        result.remediations.extend(remediations)
        result.violations.extend(violations)
