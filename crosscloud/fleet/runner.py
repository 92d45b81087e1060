"""The fleet's parent loop: warm parents, a bounded number of stacks at once, a result (or a failure) for every stack.

The CLI process starts the two warm parents (forkserver.py) and asks the stack parent for a child per stack, at most
`workers` at a time. Each child writes its result file and exits; a child that ends without one crashed (exit 3 for
that stack, naming how it ended), and one still running after `--stack-timeout` has its process group killed (exit
3). When a stack's program has loaded modules the stack parent lacks, the parent imports them before it forks the
next stacks. Cancellation (SIGINT, SIGTERM) reaches this loop as `Cancelled`: every running child gets SIGTERM (its
packs are stopped as in a single run), then SIGKILL, and the warm parents kill whatever is left; no process
outlives the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscloud.engine.processes import CANCEL
from crosscloud.fleet.forkserver import ForkedProcess, ForkServer, ForkServerError, spawn
from crosscloud.fleet.inventory import FleetStack, relative

EXIT_FAILURE = 3
# A stack's own process and its five packs, above what they share with the warm parents (measured: about 250 MB at
# the prod stack's size); workers are bounded so that this fits into the memory available.
WORKER_MEMORY_MB = 600
START_TIMEOUT = 120.0


@dataclass
class FleetOptions:
    root: Path
    organization: str
    pack_timeout: float
    stack_timeout: float
    workers: int
    policy_packs: list[Path] | None = None
    policy_configs: list[Path] | None = None
    debug: bool = False
    mode: str = "check"
    packs_base: Path | None = None
    packs_head: Path | None = None


@dataclass
class _Job:
    stack: FleetStack
    spec: Path
    result: Path
    modules: Path
    process: ForkedProcess
    started: float = field(default_factory=time.monotonic)
    warmed: bool = False


def available_memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_workers(stacks: int) -> int:
    """One per core, as many as the memory available holds, never more than there are stacks."""
    memory = available_memory_mb()
    by_memory = max(1, memory // WORKER_MEMORY_MB) if memory is not None else cpu_count()
    return max(1, min(cpu_count(), by_memory, stacks))


def _ours() -> tuple[list[str], str | None]:
    """The packs crosscloud ships and the interpreter they run with (the warm pack parent's)."""
    from crosscloud.engine.analyzer import PackError, pack_manifest, pack_python
    from crosscloud.engine.project import shipped_packs

    packs = shipped_packs()
    if not packs:
        return [], None
    try:
        return [str(p) for p in packs], pack_python(packs[0], pack_manifest(packs[0]))
    except PackError:
        return [], None


def _uses_ours(stacks: list[FleetStack], options: FleetOptions, ours: list[str]) -> bool:
    chosen = [options.packs_base, options.packs_head] if options.mode == "diff" else None
    if chosen is not None:
        return any(str(p.resolve()) in ours for side in chosen if side for p in side.glob("*"))
    if options.policy_packs:
        return any(str(p.resolve()) in ours for p in options.policy_packs)
    for project_dir in {s.project_dir for s in stacks}:
        own = [p.parent.resolve() for p in (project_dir / "policies").glob("*/PulumiPolicy.yaml")]
        if not own or any(str(p) in ours for p in own):
            return True
    return False


class Fleet:
    """The warm parents and the loop over the stacks; `run` returns every stack's result in the stacks' order."""

    def __init__(self, options: FleetOptions, progress: Callable[[FleetStack, dict[str, Any], int, int], None] | None):
        self.options, self.progress = options, progress
        self.warm_sent: set[str] = set()

    def run(self, stacks: list[FleetStack]) -> list[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="crosscloud-fleet-") as tmp:
            folder = Path(tmp)
            folder.chmod(0o700)  # the warm parents' sockets: this user only
            servers: list[ForkServer] = []
            try:
                ours, pack_python = _ours()
                pack_server = None
                if pack_python is not None and _uses_ours(stacks, self.options, ours):
                    pack_server = ForkServer("pack", folder, python=pack_python)
                    servers.append(pack_server)
                stack_server = ForkServer("stack", folder)
                servers.append(stack_server)
                for server in servers:
                    server.wait_ready(START_TIMEOUT)
                self._prewarm(stacks, stack_server)
                pack_info = (
                    {"packServer": str(pack_server.path), "ours": ours, "packPython": pack_python}
                    if pack_server is not None
                    else {"packServer": None}
                )
                return self._loop(stacks, folder, stack_server, pack_info)
            except ForkServerError as exc:
                raise RuntimeError(f"the fleet's warm parents failed: {exc}") from None
            finally:
                for server in servers:
                    server.close()

    def _prewarm(self, stacks: list[FleetStack], server: ForkServer) -> None:
        """The SDK subpackages the programs name (warm.py), imported before the first stack is forked."""
        from crosscloud.engine.project import find_project
        from crosscloud.fleet.warm import predicted_modules

        programs = []
        for project_dir in dict.fromkeys(s.project_dir for s in stacks):
            with contextlib.suppress(Exception):  # a broken project fails in its own stacks' children
                programs.append(find_project(project_dir).program.parent)
        modules = predicted_modules(programs)
        if modules:
            self.warm_sent.update(modules)
            with contextlib.suppress(ForkServerError):
                server.warm(modules)

    def _spec(self, stack: FleetStack, folder: Path, n: int, pack_info: dict[str, Any]) -> dict[str, Any]:
        options = self.options
        base = folder / f"stack-{n}"
        spec = {
            "mode": options.mode,
            "projectDir": str(stack.project_dir),
            "stack": stack.stack,
            "configFile": str(stack.config_file) if stack.config_file else None,
            "policyPacks": [str(p) for p in options.policy_packs] if options.policy_packs else None,
            "policyConfigs": [str(p) for p in options.policy_configs] if options.policy_configs else None,
            "organization": options.organization,
            "packTimeout": options.pack_timeout,
            "debug": options.debug,
            "root": str(options.root),
            "stackFile": relative(stack.stack_file, options.root),
            "result": str(base.with_suffix(".result.json")),
            "modules": str(base.with_suffix(".modules.json")),
            "packsBase": str(options.packs_base) if options.packs_base else None,
            "packsHead": str(options.packs_head) if options.packs_head else None,
            "token": uuid.uuid4().hex,
            **pack_info,
        }
        path = base.with_suffix(".spec.json")
        path.write_text(json.dumps(spec), encoding="utf-8")
        return spec | {"specPath": str(path)}

    def _start(self, stack: FleetStack, folder: Path, n: int, server: ForkServer, pack_info: dict[str, Any]) -> _Job:
        spec = self._spec(stack, folder, n, pack_info)
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            out = sys.stderr.fileno() if self.options.debug else devnull
            pid, conn = spawn(
                server.path,
                {
                    "call": "crosscloud.fleet.worker:child_main",
                    "args": [spec["specPath"]],
                    "cwd": os.getcwd(),
                    "env": dict(os.environ),
                },
                stdin=devnull,
                stdout=out,
                stderr=out,
            )
        finally:
            os.close(devnull)
        return _Job(
            stack,
            Path(spec["specPath"]),
            Path(spec["result"]),
            Path(spec["modules"]),
            ForkedProcess(conn, pid, None, None),
        )

    def _loop(
        self, stacks: list[FleetStack], folder: Path, server: ForkServer, pack_info: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pending = deque(enumerate(stacks))
        results: dict[int, dict[str, Any]] = {}
        running: dict[int, _Job] = {}
        selector = selectors.DefaultSelector()
        try:
            while pending or running:
                while pending and len(running) < self.options.workers:
                    n, stack = pending.popleft()
                    job = self._start(stack, folder, n, server, pack_info)
                    running[n] = job
                    selector.register(job.process, selectors.EVENT_READ, n)
                for key, _ in selector.select(timeout=0.1):
                    n = key.data
                    job = running[n]
                    if job.process.poll() is not None:
                        selector.unregister(job.process)
                        del running[n]
                        results[n] = self._finish(job, server)
                        self._report(job.stack, results[n], len(results), len(stacks))
                for n, job in list(running.items()):
                    self._warm(job, server)
                    if time.monotonic() - job.started > self.options.stack_timeout:
                        selector.unregister(job.process)
                        del running[n]
                        results[n] = self._kill(job)
                        self._report(job.stack, results[n], len(results), len(stacks))
        finally:
            self._stop(list(running.values()))
            selector.close()
        return [results[n] for n in range(len(stacks))]

    def _report(self, stack: FleetStack, result: dict[str, Any], done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stack, result, done, total)

    def _warm(self, job: _Job, server: ForkServer) -> None:
        """Once the child has reported the modules its program loaded, the stack parent imports those it lacks."""
        if job.warmed or not job.modules.is_file():
            return
        job.warmed = True
        try:
            names = json.loads(job.modules.read_text(encoding="utf-8"))["modules"]
        except (OSError, ValueError, KeyError):
            return
        new = [name for name in names if name not in self.warm_sent]
        if new:
            self.warm_sent.update(new)
            with contextlib.suppress(ForkServerError):
                server.warm(new)

    def _finish(self, job: _Job, server: ForkServer) -> dict[str, Any]:
        self._warm(job, server)  # a quick stack may end before the loop saw its modules
        try:
            result: dict[str, Any] = json.loads(job.result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            code = job.process.returncode
            how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            result = _failure(
                f"crosscloud: the stack's run ended without a result ({how}); run `crosscloud preview "
                f"{job.stack.stack}` in its project alone (with --debug) to see why"
            )
            result["seconds"] = round(time.monotonic() - job.started, 3)
        self._cleanup(job)
        return result

    def _kill(self, job: _Job) -> dict[str, Any]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(job.process.pid, signal.SIGKILL)
        job.process.wait()
        self._cleanup(job)
        result = _failure(
            f"crosscloud: the stack's run did not finish within {self.options.stack_timeout:g}s (--stack-timeout); "
            "it was stopped with every pack it started"
        )
        result["seconds"] = round(time.monotonic() - job.started, 3)
        return result

    def _stop(self, jobs: list[_Job]) -> None:
        """Cancelled or failed: SIGTERM to every running child (it stops its packs, as a single run does), SIGKILL
        to what is left half a second later."""
        for job in jobs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + (0.5 if CANCEL.is_set() else 3.0)
        for job in jobs:
            with contextlib.suppress(Exception):
                job.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        for job in jobs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.process.pid, signal.SIGKILL)
            job.process.close()

    @staticmethod
    def _cleanup(job: _Job) -> None:
        for path in (job.spec, job.result, job.modules):
            with contextlib.suppress(OSError):
                path.unlink()


def _failure(line: str) -> dict[str, Any]:
    return {"exitCode": EXIT_FAILURE, "errors": [line]}
