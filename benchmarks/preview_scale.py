"""`crosscloud preview` at scale, against the bare Pulumi SDK floor.

    uv run python benchmarks/preview_scale.py [--max-resources N]      (or: make bench)

Sizes: the shipped prod stack (Pulumi.prod.yaml through stacks/), then synthetic estates of about 500, 2,000 and
10,000 resources. A synthetic estate is a generated Pulumi project whose stack file is the prod declaration and whose
program builds the prod stack's network components K times over (AwsNetwork with its VPC endpoints, AzureNetwork with
the Foundry private DNS zones, on the same explicit providers): 18 AWS and 11 Azure resources and 2 components per
copy, close to the prod stack's own mix (67 AWS, 50 Azure, 10 components). The estate has no Bedrock, Foundry, GPU or
identity components: those need per-copy declarations the prod stack file cannot give.
It runs through the real path: `crosscloud preview bench -C <project> --policy-pack policies/residency`.

Per size, in one run on this machine:
- ours: `crosscloud preview` as a subprocess; synth and check seconds as it prints them, wall time, and the peak RSS
  of the process tree (wait4 rusage: the largest of crosscloud and its waited-for pack processes);
- the floor: one subprocess that registers the same resources (type, name, inputs, provider, protect, ignoreChanges,
  the alias types the provider classes add, unknowns wired to the resources they come from) as bare
  `CustomResource`/`ProviderResource` objects under the SDK's own `MockMonitor` with default settings (no components,
  no validation, no provider SDK classes), then starts a pack of no-op policies (as many resource and stack policies
  as crosscloud-residency has) and makes the same analyzer round trips the engine makes, one call at a time:
  ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Remediate per resource (providers first), Analyze per resource
  (every resource ours sends), AnalyzeStack (each resource's outputs and property dependencies, as the engine sends
  them); building the requests is timed, as it is in ours.
The registrations the floor replays are recorded once per size beforehand (untimed).
- the import floor (prod row only): the same floor process, but first importing the typed provider SDK modules the
  program loaded (recorded with the registrations: `pulumi_aws.bedrock`, `pulumi_azure_native.network`, ...), as any
  program using those classes must; `floor_import_total_s` is its wall time and `ratio_total_vs_import_floor` ours
  against it, so the prod-size comparison holds like against like (the bare floor imports no typed SDK module). It
  ends as `crosscloud` does, with `os._exit` once its output is written (no teardown of the SDK modules' heap).

Output: one JSON line per size (wall seconds, CPU seconds of each process tree, peak RSS), then a summary line.
Timings are single runs: the machine is shared, so read them with its load (printed in the summary). Note that ours
starts its packs while the program runs, so its check_s has no pack start in it; the floor's check_s does.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "policies" / "residency"
PROD_STACK = REPO / "Pulumi.prod.yaml"
# Resources the synthetic program registers: stack + 2 providers, then 31 per copy (18 AWS, 11 Azure, 2 components).
FIXED, PER_COPY = 3, 31
SIZES = (500, 2_000, 10_000)
SDK_PACKAGES = ("pulumi_aws", "pulumi_azure_native")
SUMMARY_LINE = re.compile(r"synth ([0-9.]+)s, policy check ([0-9.]+)s, total ([0-9.]+)s")

PROGRAM = '''\
"""Synthetic estate for benchmarks/preview_scale.py: the prod stack's networks, {copies} times over."""

import ipaddress

import pulumi

from crosscloud.components.aws import AwsContext, AwsNetwork, AwsNetworkArgs
from crosscloud.components.azure import AzureNetwork, AzureNetworkArgs
from crosscloud.components.declaration import load_from_pulumi
from crosscloud.components.providers import aws_provider, azure_provider, with_provider
from crosscloud.components.standard import stack_tags
from crosscloud.declaration.spec import FOUNDRY_DNS_ZONES

COPIES = {copies}

declaration = load_from_pulumi()
spec = declaration.spec
assert spec.aws is not None and spec.azure is not None and spec.aws.network is not None
tags = stack_tags(spec.tags, project=pulumi.get_project(), stack=pulumi.get_stack(), environment=spec.environment)
aws = aws_provider(f"aws-{{spec.aws.region}}", spec.aws)
azure = azure_provider(f"azure-{{spec.azure.location}}", spec.azure)
zones = [f"{{spec.aws.region}}{{letter}}" for letter in "abcdef"[: spec.aws.network.zones]]
for i in range(COPIES):
    ctx = AwsContext(partition="aws", region=spec.aws.region, account="123456789012", prefix=f"bench-{{i}}")
    AwsNetwork(
        f"aws-network-{{i}}",
        AwsNetworkArgs(
            ctx=ctx, cidr=ipaddress.ip_network(f"10.{{i // 16}}.{{i % 16 * 16}}.0/20"), zones=zones, tags=tags
        ),
        opts=with_provider(aws),
    )
    AzureNetwork(
        f"azure-network-{{i}}",
        AzureNetworkArgs(
            location=spec.azure.location,
            cidr=ipaddress.ip_network(f"10.{{128 + i // 16}}.{{i % 16 * 16}}.0/20"),
            resource_group_name=f"rg-bench-{{i}}",
            protect=spec.protect_stateful,
            dns_zones=FOUNDRY_DNS_ZONES,
            tags=tags,
        ),
        opts=with_provider(azure),
    )
pulumi.export("copies", COPIES)
'''

NOOP_PACK = '''\
"""No-op policies: the analyzer round trips without any rule work (the benchmark's floor)."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def _nothing(args, report_violation):
    return None


PolicyPack(
    name="noop",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *[ResourceValidationPolicy(name=f"noop-resource-{{i}}", description="no-op", validate=_nothing)
          for i in range({resource_policies})],
        *[StackValidationPolicy(name=f"noop-stack-{{i}}", description="no-op", validate=_nothing)
          for i in range({stack_policies})],
    ],
)
'''


# -- the estates -----------------------------------------------------------------------------------------------------
def make_project(root: Path, copies: int) -> Path:
    """A Pulumi project in `root` with stack `bench` (the prod declaration) and the synthetic program."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(
        "name: crosscloud-bench\nmain: program/\nruntime:\n  name: python\n", encoding="utf-8"
    )
    (root / "Pulumi.bench.yaml").write_text(PROD_STACK.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "program").mkdir(exist_ok=True)
    (root / "program" / "__main__.py").write_text(PROGRAM.format(copies=copies), encoding="utf-8")
    return root


def make_noop_pack(root: Path, resource_policies: int, stack_policies: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n", encoding="utf-8")
    (root / "__main__.py").write_text(
        NOOP_PACK.format(resource_policies=resource_policies, stack_policies=stack_policies), encoding="utf-8"
    )
    return root


def policy_counts() -> tuple[int, int]:
    """How many resource and stack policies crosscloud-residency has, so the floor pack has as many."""
    from crosscloud.policies.rules.residency import RULES

    stack = sum(1 for rule in RULES if rule.check_stack is not None)
    return len(RULES) - stack, stack


# -- recording the registrations (untimed) ---------------------------------------------------------------------------
def record_requests(project_dir: Path, stack: str, out: Path) -> None:
    """Synthesize the stack once, as `crosscloud synth` does, and write every RegisterResource request the program
    made (with the URN it got) as JSON: what the floor replays and what the floor pack is sent."""
    from google.protobuf import json_format

    from crosscloud.declaration import read_stack_file
    from crosscloud.engine import synth
    from crosscloud.engine.config import merge_project_config
    from crosscloud.engine.project import find_project

    gc.disable()  # untimed fixture work: no need to pay the collector
    monitors: list[synth.RecordingMonitor] = []

    class Keeping(synth.RecordingMonitor):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            monitors.append(self)

    synth.RecordingMonitor = Keeping  # type: ignore[misc]
    project = find_project(project_dir)
    path = project.stack_file(stack)
    graph = synth.synthesize(project, stack, merge_project_config(project, read_stack_file(path), str(path)))
    outputs = {r.urn: r.stack_properties() for r in graph.resources}  # what AnalyzeStack is sent at preview
    records = [
        {"urn": r.urn, "request": json_format.MessageToDict(r.request), "stack_properties": outputs.get(r.urn, {})}
        for r in monitors[0].registrations
    ]
    # The typed provider SDK modules the program loaded (fully, not the lazy placeholders), in import order.
    sdk_modules = [
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in SDK_PACKAGES and type(module).__name__ != "_LazyModule"
    ]
    out.write_text(
        json.dumps(
            {
                "project": project.name,
                "stack": stack,
                "config": graph.config,
                "records": records,
                "sdk_modules": sdk_modules,
            }
        )
    )


# -- the floor (runs in its own process) ---------------------------------------------------------------------------
def import_sdk(names: list[str]) -> float:
    """Import the typed SDK modules the program loaded, as the program reached them (a lazily loaded subpackage by
    attribute access, before its modules); seconds taken. The import floor: what any program using those classes
    pays before it registers a resource."""
    import importlib

    started = time.perf_counter()
    for name in sorted(dict.fromkeys(names), key=lambda n: n.count(".")):
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            module = sys.modules.get(prefix) or importlib.import_module(prefix)
            getattr(module, "__benchmark_touch__", None)  # loads a lazy module
    return time.perf_counter() - started


from crosscloud.engine.graph import SECRET_SIG_KEY, UNKNOWN  # noqa: E402 - the wire sentinels the floor reads


def floor_synth(dump: dict[str, Any]) -> float:
    """Register the recorded custom resources and providers as bare SDK resources; seconds taken."""
    import asyncio

    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import wait_for_rpcs

    class Echo(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            return None, dict(args.inputs)

        def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
            return {}, []

    started = time.perf_counter()
    settings.reset_options(project=dump["project"], stack=dump["stack"], preview=True)
    pulumi.runtime.set_all_config(dict(dump["config"]), [])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks.set_mocks(Echo(), project=dump["project"], stack=dump["stack"], preview=True)
    made: dict[str, pulumi.CustomResource] = {}

    def unknown() -> pulumi.Output[Any]:
        known, value = loop.create_future(), loop.create_future()
        known.set_result(False)
        value.set_result(None)
        return pulumi.Output(set(), value, known)

    def value_of(value: Any, source: pulumi.CustomResource | None) -> Any:
        if value == UNKNOWN:
            return source.id if source is not None else unknown()
        if isinstance(value, dict):
            if SECRET_SIG_KEY in value:
                return pulumi.Output.secret(value.get("value"))
            return {k: value_of(v, source) for k, v in value.items()}
        if isinstance(value, list):
            return [value_of(v, source) for v in value]
        return value

    for record in dump["records"]:
        req = record["request"]
        kind, name, custom = req["type"], req["name"], req.get("custom", False)
        if not custom:
            continue  # the stack and the components: the floor has none of its own
        deps = req.get("propertyDependencies", {})
        props = {}
        for key, value in req.get("object", {}).items():
            sources = deps.get(key, {}).get("urns", [])
            props[key] = value_of(value, made.get(sources[0]) if len(sources) == 1 else None)
        if kind.startswith("pulumi:providers:"):
            made[record["urn"]] = pulumi.ProviderResource(kind.removeprefix("pulumi:providers:"), name, props)
            continue
        provider = made.get(req.get("provider", "").rsplit("::", 1)[0])
        aliases = [
            pulumi.Alias(type_=a["spec"]["type"]) for a in req.get("aliases", []) if a.get("spec", {}).get("type")
        ]
        opts = pulumi.ResourceOptions(
            provider=provider,
            protect=req.get("protect", False),
            ignore_changes=req.get("ignoreChanges") or None,
            aliases=aliases or None,
        )
        made[record["urn"]] = pulumi.CustomResource(kind, name, props, opts)
    loop.run_until_complete(wait_for_rpcs())
    return time.perf_counter() - started


def floor_check(dump: dict[str, Any], pack: Path) -> float:
    """Start the no-op pack and make the engine's analyzer round trips, one call at a time; seconds taken."""
    from concurrent import futures

    import grpc
    from google.protobuf import empty_pb2, json_format, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    started = time.perf_counter()
    engine = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    engine_port = engine.add_insecure_port("127.0.0.1:0")
    engine.start()
    env = {
        **os.environ,
        "PULUMI_PROJECT": dump["project"],
        "PULUMI_STACK": dump["stack"],
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps(dump["config"]),
    }
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", str(pack)],
        cwd=pack,
        env=env,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=60)
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=dump["stack"],
                project=dump["project"],
                organization="organization",
                dry_run=True,
                config=dump["config"],
            )
        )
        stub.GetPluginInfo(empty_pb2.Empty())
        stub.GetAnalyzerInfo(empty_pb2.Empty())
        by_urn = {r["urn"]: r["request"] for r in dump["records"]}
        requests, stack_resources = [], []
        for record in dump["records"]:
            req = record["request"]
            properties = json_format.ParseDict(req.get("object", {}), struct_pb2.Struct())
            provider_urn = req.get("provider", "").rsplit("::", 1)[0]
            provider = by_urn.get(provider_urn)
            fields: dict[str, Any] = {
                "type": req["type"],
                "properties": properties,
                "urn": record["urn"],
                "name": req["name"],
                "options": analyzer_pb2.AnalyzerResourceOptions(
                    protect=req.get("protect", False),
                    ignoreChanges=req.get("ignoreChanges", []),
                    parent=req.get("parent", ""),
                ),
                "provider": analyzer_pb2.AnalyzerProviderResource(
                    type=provider["type"],
                    properties=json_format.ParseDict(provider.get("object", {}), struct_pb2.Struct()),
                    urn=provider_urn,
                    name=provider["name"],
                )
                if provider is not None
                else None,
            }
            requests.append((req["type"].startswith("pulumi:providers:"), analyzer_pb2.AnalyzeRequest(**fields)))
            stack_resources.append(
                analyzer_pb2.AnalyzerResource(
                    **{**fields, "properties": json_format.ParseDict(record["stack_properties"], struct_pb2.Struct())},
                    parent=req.get("parent", ""),
                    dependencies=req.get("dependencies", []),
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=value["urns"])
                        for key, value in req.get("propertyDependencies", {}).items()
                        if value.get("urns")
                    },
                )
            )
        for request in [r for provider, r in requests if provider] + [r for provider, r in requests if not provider]:
            stub.Remediate(request)  # the engine remediates providers first
        for _, request in requests:
            stub.Analyze(request)
        stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack_resources))
        channel.close()
    finally:
        process.kill()
        process.wait()
        engine.stop(grace=None)
    return time.perf_counter() - started


# -- measuring ---------------------------------------------------------------------------------------------------------
def run_measured(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, float, float, float]:
    """Run `command`; its stdout, wall seconds, peak RSS in MB of the process tree (waited-for children included)
    and the tree's CPU seconds (user + system: steadier than wall time on a shared machine)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE)
        assert process.stderr is not None
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        stdout = out.read().decode()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    return stdout, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def measure_size(
    project_dir: Path, stack: str, work: Path, noop_pack: Path, *, import_floor_too: bool = False
) -> dict[str, Any]:
    dump_path = work / f"requests-{stack}-{project_dir.name}.json"
    subprocess.run(
        [sys.executable, __file__, "--record", str(project_dir), stack, str(dump_path)], check=True, cwd=REPO
    )
    resources = len(json.loads(dump_path.read_text())["records"])

    preview = [sys.executable, "-m", "crosscloud.cli", "preview", stack, "-C", str(project_dir), "--policy-pack",
               str(PACK)]  # fmt: skip
    stdout, wall, rss, cpu = run_measured(preview, REPO)
    found = SUMMARY_LINE.search(stdout)
    if found is None:
        raise SystemExit(f"no timing line in the preview output:\n{stdout[-2000:]}")
    synth_s, check_s = float(found.group(1)), float(found.group(2))

    stdout, floor_wall, floor_rss, floor_cpu = run_measured(
        [sys.executable, __file__, "--floor", str(dump_path), str(noop_pack)], REPO
    )
    floor = json.loads(stdout.strip().splitlines()[-1])
    import_floor: dict[str, Any] = {}
    if import_floor_too:
        stdout, import_wall, _, import_cpu = run_measured(
            [sys.executable, __file__, "--floor", str(dump_path), str(noop_pack), "--import-sdk"], REPO
        )
        measured = json.loads(stdout.strip().splitlines()[-1])
        import_floor = {
            "floor_import_s": round(measured["import_s"], 3),
            "floor_import_total_s": round(import_wall, 3),
            "floor_import_cpu_s": round(import_cpu, 2),
            "ratio_total_vs_import_floor": round(wall / import_wall, 3),
        }
    return {
        "resources": resources,
        "synth_s": round(synth_s, 3),
        "check_s": round(check_s, 3),
        "total_s": round(wall, 3),
        "floor_synth_s": round(floor["synth_s"], 3),
        "floor_check_s": round(floor["check_s"], 3),
        "floor_total_s": round(floor_wall, 3),
        "ratio_synth": round(synth_s / floor["synth_s"], 3),
        "ratio_check": round(check_s / floor["check_s"], 3),
        "check_ms_per_resource": round(1000 * check_s / resources, 3),
        "synth_ms_per_resource": round(1000 * synth_s / resources, 3),
        "cpu_s": round(cpu, 2),
        "floor_cpu_s": round(floor_cpu, 2),
        "ratio_cpu": round(cpu / floor_cpu, 3),
        "rss_mb": round(rss, 1),
        "floor_rss_mb": round(floor_rss, 1),
        **import_floor,
    }


def copies_for(resources: int) -> int:
    return max(1, round((resources - FIXED) / PER_COPY))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-resources", type=int, default=max(SIZES), help="largest size to run (default 10000)")
    parser.add_argument("--min-resources", type=int, default=0, help="smallest size to run (default: prod's)")
    parser.add_argument("--record", nargs=3, metavar=("PROJECT", "STACK", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, metavar=("REQUESTS", "PACK"), help=argparse.SUPPRESS)
    parser.add_argument("--import-sdk", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.record:
        record_requests(Path(args.record[0]), args.record[1], Path(args.record[2]))
        return 0
    if args.floor:
        dump = json.loads(Path(args.floor[0]).read_text())
        import_s = import_sdk(dump["sdk_modules"]) if args.import_sdk else 0.0
        synth_s = floor_synth(dump)
        check_s = floor_check(dump, Path(args.floor[1]))
        print(json.dumps({"import_s": import_s, "synth_s": synth_s, "check_s": check_s}), flush=True)
        if args.import_sdk:
            os._exit(0)  # as `crosscloud` ends: no interpreter teardown of the SDK's heap (like against like)
        return 0

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="crosscloud-bench-") as tmp:
        work = Path(tmp)
        noop_pack = make_noop_pack(work / "noop-pack", *policy_counts())
        targets: list[tuple[Path, str]] = [(REPO, "prod")] if args.min_resources <= 0 else []
        for size in SIZES:
            if args.min_resources <= size <= args.max_resources:
                copies = copies_for(size)
                targets.append((make_project(work / f"estate-{copies}", copies), "bench"))
        for project_dir, stack in targets:
            row = measure_size(project_dir, stack, work, noop_pack, import_floor_too=stack == "prod")
            rows.append(row)
            print(json.dumps(row), flush=True)
    first, last = rows[0], rows[-1]
    summary = {
        "summary": True,
        "sizes": [r["resources"] for r in rows],
        "max_ratio_synth_2k_plus": max((r["ratio_synth"] for r in rows if r["resources"] >= 1_900), default=None),
        "max_ratio_check": max(r["ratio_check"] for r in rows),
        "max_check_ms_per_resource": max(r["check_ms_per_resource"] for r in rows if r["resources"] >= 500)
        if len(rows) > 1
        else first["check_ms_per_resource"],
        "growth_total_per_resource": round(
            (last["total_s"] / last["resources"]) / (first["total_s"] / first["resources"]), 3
        ),
        "growth_synth_per_resource_vs_500": round(last["synth_ms_per_resource"] / rows[1]["synth_ms_per_resource"], 3)
        if len(rows) > 2
        else None,
        "growth_synth_per_resource_vs_smallest": round(
            last["synth_ms_per_resource"] / first["synth_ms_per_resource"], 3
        ),
        "ratio_total_vs_import_floor_prod": first.get("ratio_total_vs_import_floor"),
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
