"""`crosscloud fleet check` against one `crosscloud preview` per stack, on a generated fleet of valid stacks.

    uv run python benchmarks/fleet_scale.py [--max-stacks N] [--profile]      (or: make bench-fleet)

The fleet: one generated project (the shipped program in stacks/, the shipped packs with the prod policy config per
stack) whose stack files are the prod declaration varied per stack, reproducibly (seeded): the AWS Region and Azure
location, the residency set (some `europe`, which the packs' pinned `eu` then blocks: verdicts differ across the
fleet), a subset of the logical endpoints (and the workloads that use them), the AWS network's endpoints and zones,
and the GPU pools (none to three, counts and reservation types). Every variant is validated with the declaration's
own checks before it is written; one that fails is mutated again, so every stack gives a verdict (exit 0 or 1).

In one run on this machine, for each fleet size K (1, 5, 10, 25, 50, ...):
- the fleet: `crosscloud fleet check --manifest <first K stacks>` as a subprocess, timed wall, with the CPU of its
  whole process tree and its peak memory (the CLI, both warm parents, every stack child and pack; sampled every
  0.2 s): the sum of RSS (shared pages counted in every process) and of PSS (shared pages divided among their
  processes: the memory the run really holds);
- sequential: right after it, `crosscloud preview <stack>` as a subprocess for each stack this size adds, one at a
  time (all five packs), so both are measured in the same stretch of the machine's load; the sequential time of the
  first K stacks is the sum of their wall (and CPU) times.
One JSON line per fleet size (`stacks`, `fleet_s`, `sequential_s`, `speedup`, `marginal_s`: wall seconds per stack
added since the previous size, `fleet_cpu_s`, `sequential_cpu_s`, `cpu_per_stack_s`, `peak_rss_mb`, `peak_pss_mb`,
`workers`, `load`), then a summary line with the
targets of issue 29. With `--profile`, a cProfile of one warm stack child (the fleet's third stack) is printed first.
Timings are single runs on a shared machine: read them with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
SIZES = (1, 5, 10, 25, 50, 100)
AWS_REGIONS = ("eu-north-1", "eu-central-1", "eu-west-1", "eu-west-3", "eu-south-1")
AZURE_LOCATIONS = ("swedencentral", "germanywestcentral", "francecentral", "italynorth", "polandcentral", "westeurope")
PROFILE_ENV = "CROSSCLOUD_FLEET_PROFILE"


# -- the generated fleet ---------------------------------------------------------------------------------------------
def _variant(base: dict[str, Any], rng: random.Random, index: int) -> dict[str, Any]:
    config = copy.deepcopy(base)
    aws, azure = config["crosscloud:aws"], config["crosscloud:azure"]
    aws["region"] = rng.choice(AWS_REGIONS)
    azure["location"] = rng.choice(AZURE_LOCATIONS)
    aws["network"]["cidr"] = f"10.{index % 200}.0.0/16"
    azure["network"]["cidr"] = f"10.{200 + index % 50}.0.0/16"
    aws["network"]["zones"] = rng.choice((2, 3))
    aws["network"]["endpoints"] = {"agent_runtime": rng.random() < 0.5, "mantle": rng.random() < 0.5}
    if rng.random() < 0.15:
        config["crosscloud:residency"] = "europe"
    endpoints = config["crosscloud:endpoints"]
    keep = sorted(rng.sample(range(len(endpoints)), rng.randint(3, len(endpoints))))
    config["crosscloud:endpoints"] = [endpoints[i] for i in keep]
    names = {e["name"] for e in config["crosscloud:endpoints"]}
    identity = config.get("crosscloud:identity", {})
    identity["workloads"] = [
        w | {"endpoints": [e for e in w["endpoints"] if e in names]}
        for w in identity.get("workloads", [])
        if any(e in names for e in w["endpoints"])
    ]
    pools = []
    for n in range(rng.randint(0, 3)):
        zone = f"eu-north-1{'abc'[n % 3]}"
        pool: dict[str, Any] = {
            "name": f"pool-{n}",
            "cloud": "aws",
            "instance_type": rng.choice(("p5.48xlarge", "p5e.48xlarge")),
            "count": rng.randint(1, 3),
            "zone": zone,
            "region": "eu-north-1",
            "ends": "2027-03-31",
        }
        pools.append(pool)
    config["crosscloud:gpu"] = pools
    return config


def _valid(root: Path, name: str) -> bool:
    from crosscloud.declaration import DeclarationError, declaration_from_config, read_stack_file
    from crosscloud.engine.config import merge_project_config
    from crosscloud.engine.project import find_project

    project = find_project(root)
    path = project.stack_file(name)
    try:
        declaration_from_config(
            merge_project_config(project, read_stack_file(path), str(path)), str(path), project=project.name, stack=name
        )
    except DeclarationError:
        return False
    return True


def make_fleet(root: Path, count: int, seed: int = 29) -> list[str]:
    """A project in `root` with `count` valid stacks s000, s001, ...; their names."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(REPO / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    base = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text(encoding="utf-8"))["config"]
    rng = random.Random(seed)  # noqa: S311 - reproducible variety, not a secret
    names = []
    for index in range(count):
        name = f"s{index:03d}"
        path = root / f"Pulumi.{name}.yaml"
        for attempt in range(40):
            config = _variant(base, rng, index) if attempt < 39 else copy.deepcopy(base)
            path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
            if _valid(root, name):
                break
        shutil.copytree(REPO / "policies" / "config" / "prod", root / "policies" / "config" / name)
        names.append(name)
    return names


def write_manifest(path: Path, project: Path, names: list[str]) -> Path:
    path.write_text(json.dumps({"stacks": [{"project": str(project), "stacks": names}]}), encoding="utf-8")
    return path


# -- measuring -------------------------------------------------------------------------------------------------------
def _tree(root_pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def run_sampled(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `command`: wall seconds, CPU seconds of its process tree (user + system, every waited-for descendant),
    peak RSS MB and peak PSS MB of the tree, exit code, stderr tail."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err)
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                sizes = [_memory_kb(pid) for pid in _tree(process.pid)]
                peak[0] = max(peak[0], sum(r for r, _ in sizes))
                peak[1] = max(peak[1], sum(p for _, p in sizes))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": peak[0] / 1024,
        "pss": peak[1] / 1024,
        "code": process.returncode,
        "stderr": tail,
    }


def crosscloud() -> list[str]:
    return [sys.executable, "-m", "crosscloud.cli"]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def profile_warm_stack(project: Path, names: list[str], work: Path) -> None:
    """cProfile of the third stack of a 3-stack fleet (warm by then): the top of its cumulative profile."""
    folder = work / "profiles"
    folder.mkdir()
    manifest = write_manifest(work / "profile.json", project, names[:3])
    env = {**os.environ, PROFILE_ENV: str(folder)}
    run_sampled([*crosscloud(), "fleet", "check", "--manifest", str(manifest), "--workers", "1"], env)
    target = folder / f"{names[2]}.prof"
    if not target.is_file():
        print(json.dumps({"profile": "missing"}), flush=True)
        return
    stats = pstats.Stats(str(target))
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"# profile of one warm stack ({names[2]}, {total:.2f}s of CPU in its child), cumulative:", flush=True)
    stats.sort_stats("cumulative").print_stats(25)
    timings = folder / f"{names[2]}.timings.json"
    if timings.is_file():
        print("# phases (wall s):", timings.read_text(encoding="utf-8"), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-stacks", type=int, default=50, help="largest fleet (default 50)")
    parser.add_argument("--workers", type=int, help="pass --workers to the fleet (default: its own choice)")
    parser.add_argument("--profile", action="store_true", help="first print the profile of one warm stack")
    args = parser.parse_args(argv)
    sizes = sorted({s for s in SIZES if s < args.max_stacks} | {args.max_stacks})
    load_before = os.getloadavg()
    from crosscloud.fleet.runner import default_workers

    with tempfile.TemporaryDirectory(prefix="crosscloud-fleet-bench-") as tmp:
        work = Path(tmp)
        project = work / "fleet"
        names = make_fleet(project, max(sizes))
        if args.profile:
            profile_warm_stack(project, names, work)
        sequential: list[dict[str, Any]] = []
        verdicts: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
        for size in sizes:
            # The previews of the stacks this size adds run right after its fleet run: both in the same stretch of
            # the shared machine's load.
            manifest = write_manifest(work / f"fleet-{size}.json", project, names[:size])
            command = [*crosscloud(), "fleet", "check", "--manifest", str(manifest)]
            if args.workers:
                command += ["--workers", str(args.workers)]
            before = load()
            run = run_sampled(command)
            if run["code"] not in (0, 1):
                raise SystemExit(f"fleet check of {size} stacks failed ({run['code']}): {run['stderr']}")
            for name in names[len(sequential) : size]:
                alone = run_sampled([*crosscloud(), "preview", name, "-C", str(project)])
                if alone["code"] not in (0, 1):
                    raise SystemExit(f"preview {name} failed ({alone['code']}): {alone['stderr']}")
                sequential.append(alone)
                verdicts[name] = alone["code"]
            if run["code"] != max(verdicts[n] for n in names[:size]):
                raise SystemExit(f"fleet check of {size} stacks exited {run['code']}, its previews' worst differs")
            wall = run["wall"]
            seq = sum(r["wall"] for r in sequential[:size])
            marginal = (wall - previous["fleet_s"]) / (size - previous["stacks"]) if previous else None
            row = {
                "stacks": size,
                "fleet_s": round(wall, 2),
                "sequential_s": round(seq, 2),
                "speedup": round(seq / wall, 2),
                "marginal_s": round(marginal, 3) if marginal is not None else None,
                "fleet_cpu_s": round(run["cpu"], 1),
                "sequential_cpu_s": round(sum(r["cpu"] for r in sequential[:size]), 1),
                "cpu_per_stack_s": round(run["cpu"] / size, 2),
                "peak_rss_mb": round(run["rss"], 1),
                "peak_pss_mb": round(run["pss"], 1),
                "workers": args.workers or default_workers(size),
                "load": [before, load()],
            }
            rows.append(row)
            previous = row
            print(json.dumps(row), flush=True)
    biggest = rows[-1]
    marginals = [r["marginal_s"] for r in rows if r["marginal_s"] is not None and r["stacks"] >= 10]
    summary = {
        "summary": True,
        "sizes": [r["stacks"] for r in rows],
        "speedup_at_largest": biggest["speedup"],
        "target_speedup_8x_at_50": biggest["speedup"] >= 8 if biggest["stacks"] >= 50 else None,
        "max_marginal_s_from_10": max(marginals, default=None),
        "target_marginal_1s": max(marginals) <= 1.0 if marginals else None,
        "preview_s_mean": round(sum(r["wall"] for r in sequential) / len(sequential), 2),
        "preview_s_min": round(min(r["wall"] for r in sequential), 2),
        "preview_cpu_s_mean": round(sum(r["cpu"] for r in sequential) / len(sequential), 2),
        "peak_pss_mb_at_largest": biggest["peak_pss_mb"],
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
