"""Who checks which stack: `--shard K/N` and the GitHub Actions matrix that runs the N shards.

The assignment depends only on the fleet (each stack's folder, name and weight), never on the order stacks were
found or on the machine: stacks are taken heaviest first (ties by folder and name) and each goes to the shard that
is lightest so far (ties to the lowest index), the longest-processing-time rule, so no shard carries more than the
lightest one plus one stack's weight. K counts from 0, as a Kubernetes Indexed Job's completion index does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crosscloud.declaration import DeclarationError
from crosscloud.fleet.inventory import FleetStack

MAX_SHARDS = 1000


@dataclass(frozen=True)
class Shard:
    index: int
    total: int

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"

    def to_json(self) -> dict[str, int]:
        return {"index": self.index, "total": self.total}


def parse_shard(text: str) -> Shard:
    """`K/N` with 0 <= K < N <= MAX_SHARDS; ValueError otherwise (argparse makes it a usage error, exit 2)."""
    index, sep, total = text.partition("/")
    if not sep or not index.isdigit() or not total.isdigit():
        raise ValueError(text)
    shard = Shard(int(index), int(total))
    if not 0 <= shard.index < shard.total <= MAX_SHARDS:
        raise ValueError(text)
    return shard


def parse_shards(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_SHARDS:
        raise ValueError(text)
    return int(text)


def assign(stacks: list[FleetStack], total: int) -> list[list[FleetStack]]:
    """The stacks of each of `total` shards (each list sorted by folder and stack)."""
    shards: list[list[FleetStack]] = [[] for _ in range(total)]
    loads = [0] * total
    for stack in sorted(stacks, key=lambda s: (-s.weight, s.key)):
        lightest = min(range(total), key=lambda i: (loads[i], i))
        shards[lightest].append(stack)
        loads[lightest] += stack.weight
    return [sorted(shard, key=lambda s: s.key) for shard in shards]


def select(stacks: list[FleetStack], shard: Shard) -> list[FleetStack]:
    """The stacks of `shard` (none when the fleet has fewer stacks than shards: that shard reports an empty fleet, so
    a merge still finds every shard of the split)."""
    return assign(stacks, shard.total)[shard.index]


def matrix(stacks: list[FleetStack], total: int) -> str:
    """A GitHub Actions matrix, one entry per shard, on one line (for `$GITHUB_OUTPUT`):
    {"include": [{"shard": "0/4", "stacks": 13, "weight": ..., "labels": "a:dev a:prod ..."}, ...]}."""
    include = [
        {
            "shard": Shard(index, total).label,
            "index": index,
            "total": total,
            "stacks": len(shard),
            "weight": sum(s.weight for s in shard),
            "labels": " ".join(s.label for s in shard),
        }
        for index, shard in enumerate(assign(stacks, total))
    ]
    return json.dumps({"include": include}, separators=(",", ":")) + "\n"


def pulumi_stacks(stacks: list[FleetStack], total: int, root: Path) -> str:
    """Every stack with what a real `pulumi preview` of it needs, by shard: its folder (a LocalWorkspace's work_dir in
    the Automation API, a Deployment's or the Kubernetes operator's repoDir), the stack name, its stack file, and the
    policy packs with the config file paired with each (`--policy-pack` / `--policy-pack-config`), found as `crosscloud
    check` finds them. For the engines that run real previews and updates: crosscloud emits, they run."""
    from crosscloud.cli import _packs
    from crosscloud.engine.project import find_project
    from crosscloud.fleet.inventory import relative

    entries = []
    for index, shard in enumerate(assign(stacks, total)):
        for stack in shard:
            entry: dict[str, object] = {
                "shard": Shard(index, total).label,
                "label": stack.label,
                "workDir": stack.folder,
                "stack": stack.stack,
                "stackFile": relative(stack.stack_file, root),
            }
            try:
                runs = _packs(find_project(stack.project_dir), stack.stack, None, None)
            except DeclarationError as exc:  # that stack's own problem: named, the rest still listed
                entry["error"] = str(exc)
            else:
                entry["policyPacks"] = [relative(run.path, root) for run in runs]
                entry["policyPackConfigs"] = [
                    relative(Path(run.config.path), root) if run.config else None for run in runs
                ]
            entries.append(entry)
    return json.dumps({"stacks": entries}, indent=2) + "\n"
