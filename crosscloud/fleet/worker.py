"""One stack of a fleet, in the child the warm stack parent forked for it.

The stack runs through the CLI's own code, in the order `crosscloud preview` uses: the stack file is validated, the
packs start while the program runs (forked from the warm pack parent where they are ours), then every pack checks the
graph, and every failure becomes the exit code and stderr lines the stack would have alone (`cli._cancellable`). The
child writes what the fleet's reports need, already redacted (the stack's redactor lives here), as one JSON file, and
the modules its program loaded that the warm parent has not, so the next stacks start with them.

Spec (JSON, written by the runner): {"mode": "check" | "diff", "projectDir", "stack", "configFile", "policyPacks",
"policyConfigs", "organization", "packTimeout", "debug", "root", "stackFile", "result", "modules", "packServer",
"ours", "packPython", "packsBase", "packsHead"}.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import sys
import sysconfig
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosscloud.engine.processes import signal_handlers
from crosscloud.fleet.forkserver import loaded_modules

if TYPE_CHECKING:
    from crosscloud.engine.check import PackRun, StartedPacks
    from crosscloud.engine.project import Project
    from crosscloud.engine.violations import CheckResult

EXIT_OK = 0
# A folder: each child writes a cProfile of its stack there (`<stack>.prof`, `<stack>.timings.json`), for
# benchmarks/fleet_scale.py --profile.
PROFILE_ENV = "CROSSCLOUD_FLEET_PROFILE"


def child_main(spec_path: str) -> int:
    """The child's whole life: run the stack, write the result, exit 0 (a child without a result crashed)."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    before = set(loaded_modules())  # a lazy package the warm parent holds unloaded counts as new once it loads
    launcher = None
    if spec.get("packServer"):
        from crosscloud.engine.analyzer import set_pack_launcher
        from crosscloud.fleet.packs import WarmPackLauncher

        launcher = WarmPackLauncher(Path(spec["packServer"]), list(spec["ours"]), str(spec["packPython"]))
        set_pack_launcher(launcher)
    started = time.perf_counter()
    profile_dir = os.environ.get(PROFILE_ENV)
    with signal_handlers():
        if profile_dir:
            import cProfile

            profiler = cProfile.Profile()  # wall time of the main thread (a CPU-time timer is a syscall per call)
            result = profiler.runcall(run, spec, before)
            profiler.dump_stats(str(Path(profile_dir) / f"{spec['stack']}.prof"))
            _write(Path(profile_dir) / f"{spec['stack']}.timings.json", result.get("timings", {}))
        else:
            result = run(spec, before)
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["packProcesses"] = {
        "forked": launcher.forked if launcher else 0,
        "started": launcher.started if launcher else 0,
    }
    _write(Path(spec["result"]), result)
    return EXIT_OK


def run(spec: dict[str, Any], before: set[str]) -> dict[str, Any]:
    """The stack's outcome: {"exitCode", "errors", ...what the mode renders}."""
    from crosscloud import cli

    args = argparse.Namespace(
        debug=bool(spec.get("debug")),
        policy_pack=[Path(p) for p in spec["policyPacks"]] if spec.get("policyPacks") else None,
        policy_config=[Path(p) for p in spec["policyConfigs"]] if spec.get("policyConfigs") else None,
        organization=spec["organization"],
        pack_timeout=float(spec["packTimeout"]),
        graph_out=None,
    )
    outcome: dict[str, Any] = {}
    body = _diff if spec.get("mode") == "diff" else _check
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = cli._cancellable(args, run=lambda a: body(a, spec, before, outcome))
    outcome["exitCode"] = code
    outcome["errors"] = stderr.getvalue().splitlines() if code not in (0, 1) else []
    return outcome


def _project(spec: dict[str, Any]) -> Project:
    from crosscloud.engine.project import find_project

    return find_project(Path(spec["projectDir"]))


def _started(
    args: argparse.Namespace, project: Project, stack: str, runs: list[PackRun], config: dict[str, Any]
) -> StartedPacks:
    from crosscloud.engine.check import StartedPacks
    from crosscloud.engine.config import engine_config

    return StartedPacks(
        runs,
        project.name,
        stack,
        engine_config(config).values,
        start_timeout=args.pack_timeout,
        rpc_timeout=args.pack_timeout,
        organization=args.organization,
    )


def _check(args: argparse.Namespace, spec: dict[str, Any], before: set[str], outcome: dict[str, Any]) -> int:
    """As `crosscloud preview STACK` checks it (cli._run, cli._preview), with the reports kept for the fleet."""
    from crosscloud import cli

    project = _project(spec)
    stack = str(spec["stack"])
    config_file = Path(spec["configFile"]) if spec.get("configFile") else None
    prestarted: list[StartedPacks] = []

    def start_packs(config: dict[str, Any]) -> None:
        runs = cli._packs(project, stack, args.policy_pack, args.policy_config)
        prestarted.append(_started(args, project, stack, runs, config))

    started = time.perf_counter()
    try:
        graph = cli._synth(project, stack, config_file, before_program=start_packs)
        synthesized = time.perf_counter()
        _report_modules(spec, before, project)
        gc.freeze()  # the graph lives until the end: no collection walks it (or the warm parent's heap) again
        result = cli._check(project, graph, args, prestarted[0] if prestarted else None)
        checked = time.perf_counter()
        outcome.update(render(result, spec))
        outcome["timings"] = {
            "validate_and_synth_s": round(synthesized - started, 3),
            "check_s": round(checked - synthesized, 3),
            "render_s": round(time.perf_counter() - checked, 3),
            **_cpu(),
        }
        return cli._verdict(result)
    finally:
        for packs in prestarted:
            packs.close()


def _cpu() -> dict[str, float]:
    """This child's CPU so far (every thread), user and system (page copies after the fork show as system)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_user_s": round(usage.ru_utime, 3), "cpu_sys_s": round(usage.ru_stime, 3)}


def render(result: CheckResult, spec: dict[str, Any]) -> dict[str, Any]:
    """What the fleet's reports take from one stack, each rendering redacted by the stack's own redactor."""
    from crosscloud.reports.json_report import render_json
    from crosscloud.reports.markdown import policy_blocks
    from crosscloud.reports.sarif import render_sarif

    result = result.redacted()
    sarif = json.loads(render_sarif(result, stack_file=spec["stackFile"], root=Path(spec["root"])))
    return {
        "report": render_json(result),
        "sarif": sarif["runs"][0],
        "markdown": [{"violations": count, "text": "\n".join(lines) + "\n"} for count, lines in policy_blocks(result)],
        "resources": result.resources,
        "mandatory": len(result.mandatory),
        "advisory": sum(1 for v in result.violations if v.enforcement_level == "advisory"),
    }


def side_runs(project: Project, stack: str, folder: Path) -> list[PackRun]:
    """The packs of one side of a policy diff: every `<folder>/*/PulumiPolicy.yaml`, each with its policy config from
    `<folder>/config/<stack>/<pack>.json`, else the project's `policies/config/<stack>/<pack>.json`, else none."""
    from crosscloud.declaration import ConfigIssue, DeclarationError
    from crosscloud.declaration.input_file import refuse_leaving
    from crosscloud.engine.check import PackRun
    from crosscloud.engine.policy_config import read_policy_config

    packs = sorted(p.parent.resolve() for p in folder.glob("*/PulumiPolicy.yaml"))
    if not packs:
        raise DeclarationError([ConfigIssue(str(folder), "-", "no policy packs here (no */PulumiPolicy.yaml)")])
    runs = []
    for pack in packs:
        found = None
        for root, candidate in (
            (folder, folder / "config" / stack / f"{pack.name}.json"),
            (project.root, project.root / "policies" / "config" / stack / f"{pack.name}.json"),
        ):
            if candidate.is_file() or candidate.is_symlink():
                refuse_leaving(candidate, root, "policy config file")
                found = candidate
                break
        runs.append(PackRun(pack, read_policy_config(found) if found else None))
    return runs


def _diff(args: argparse.Namespace, spec: dict[str, Any], before: set[str], outcome: dict[str, Any]) -> int:
    """One graph, two versions of the packs (each started fresh, both while the program runs)."""
    from crosscloud import cli
    from crosscloud.engine.check import check_graph
    from crosscloud.reports.json_report import render_json

    project = _project(spec)
    stack = str(spec["stack"])
    config_file = Path(spec["configFile"]) if spec.get("configFile") else None
    sides = {"base": Path(spec["packsBase"]), "head": Path(spec["packsHead"])}
    prestarted: dict[str, StartedPacks] = {}

    def start_packs(config: dict[str, Any]) -> None:
        for side, folder in sides.items():
            prestarted[side] = _started(args, project, stack, side_runs(project, stack, folder), config)

    try:
        graph = cli._synth(project, stack, config_file, before_program=start_packs)
        _report_modules(spec, before, project)
        gc.freeze()
        for side, packs in prestarted.items():
            result = check_graph(
                graph,
                packs.runs,
                start_timeout=args.pack_timeout,
                rpc_timeout=args.pack_timeout,
                organization=args.organization,
                prestarted=packs,
            )
            outcome[side] = render_json(result)
            outcome[f"{side}Exit"] = cli._verdict(result)
        return EXIT_OK
    finally:
        for packs in prestarted.values():
            packs.close()


# -- warming the parent ---------------------------------------------------------------------------------------------
def _library_dirs() -> list[Path]:
    from crosscloud.engine.synth import OUR_PACKAGES

    paths = sysconfig.get_paths()
    found = {Path(paths[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return [*found, *OUR_PACKAGES]


def warmable(names: list[str], program_dir: Path) -> list[str]:
    """The modules a warm parent may import for later stacks: the standard library's, installed packages' and
    crosscloud's own, never the program's (each stack imports its own program's modules fresh)."""
    libraries = _library_dirs()
    chosen = []
    for name in names:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if name == "__main__" or module is None:
            continue
        if file is None:
            chosen.append(name)  # a built-in module or a namespace package
            continue
        path = Path(file).resolve()
        if path.is_relative_to(program_dir):
            continue
        if any(path.is_relative_to(d) for d in libraries):
            chosen.append(name)
    return chosen


def _report_modules(spec: dict[str, Any], before: set[str], project: Project) -> None:
    if not spec.get("modules"):
        return
    new = [name for name in loaded_modules() if name not in before]
    chosen = warmable(new, project.program.parent.resolve())
    if chosen:
        _write(Path(spec["modules"]), {"modules": chosen})


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomically: the runner reads a file that is either absent or complete."""
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)
