"""The fast paths keep the slow paths' results: lazy CLI imports, collector tuning around synth, libyaml for the
shipped catalog, calls in flight, packs started while the program runs, and the benchmark's own smoke run.

Speed itself is measured by benchmarks/preview_scale.py, never here."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crosscloud.catalog import loader
from crosscloud.declaration.load import StackFileLoader
from crosscloud.engine import analyzer, collector, synth
from crosscloud.engine.check import PackRun, StartedPacks, check_graph
from tests.graphs import graph, provider, resource

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies" / "residency"


def test_cli_import_loads_no_engine_pack_or_report_code() -> None:
    probe = (
        "import sys, crosscloud.cli; "
        "print([m for m in ('crosscloud.engine.analyzer', 'crosscloud.engine.check', 'crosscloud.engine.synth', "
        "'crosscloud.reports', 'crosscloud.models_table', 'pulumi', 'grpc') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_report_formats_are_the_renderers() -> None:
    from crosscloud.cli import REPORT_FORMATS
    from crosscloud.reports import RENDERERS

    assert tuple(sorted(RENDERERS)) == REPORT_FORMATS


def test_synth_restores_the_collector_even_when_the_program_fails() -> None:
    before = gc.get_threshold()

    def failing() -> None:
        raise ValueError("boom")

    with pytest.raises(synth.ProgramError, match="boom"):
        synth.record("p", "s", {}, failing)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0 and gc.isenabled()


def test_synth_collects_young_objects_only_while_registering() -> None:
    seen: list[tuple[int, int, int]] = []
    synth.record("p", "s", {}, lambda: seen.append(gc.get_threshold()))
    assert seen and seen[0][0] == collector.YOUNG_THRESHOLD and seen[0][2] >= 1_000_000


@pytest.mark.parametrize("name", sorted(p.name for p in loader.DATA_DIR.glob("*.yaml")))
def test_shipped_catalog_parses_the_same_with_libyaml(name: str) -> None:
    text = (loader.DATA_DIR / name).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=loader.SHIPPED_DATA_LOADER) == yaml.load(text, Loader=yaml.SafeLoader)


def test_shipped_catalog_uses_libyaml_when_pyyaml_has_it() -> None:
    assert loader.SHIPPED_DATA_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_stack_files_keep_the_pure_python_loader() -> None:
    # libyaml's composer recurses in C: a deeply nested user file crashes the process instead of raising. Stack
    # files are user input (and tiny), so they keep the pure-Python parser with its YAML 1.2 resolvers.
    assert not issubclass(StackFileLoader, getattr(yaml, "CParser", ()))
    assert yaml.load("d: 2026-12-07\nn: NO\n", Loader=StackFileLoader) == {"d": "2026-12-07", "n": "NO"}


def _estate():  # type: ignore[no-untyped-def]
    eu, us = provider("aws", "aws-eu", region="eu-north-1"), provider("aws", "aws-us", region="us-east-1")
    vpcs = [resource("aws:ec2/vpc:Vpc", f"vpc-{i}", eu if i % 3 else us, cidrBlock="10.0.0.0/16") for i in range(9)]
    return graph([eu, us, *vpcs])


def _found(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(v.policy, v.urn) for v in result.violations]


def test_calls_in_flight_keep_the_one_at_a_time_results(monkeypatch: pytest.MonkeyPatch) -> None:
    many = check_graph(_estate(), [PACK])
    monkeypatch.setattr(analyzer, "IN_FLIGHT", 1)
    monkeypatch.setattr("crosscloud.engine.check.IN_FLIGHT", 1)
    one = check_graph(_estate(), [PACK])
    assert _found(many) == _found(one) and len(_found(one)) == 5  # aws-us, its three VPCs, the unpinned residency


def test_packs_started_ahead_serve_the_graph() -> None:
    estate = _estate()
    runs = [PackRun(PACK)]
    ahead = StartedPacks(
        runs, estate.project, estate.stack, estate.config, start_timeout=60, rpc_timeout=60, organization="organization"
    )
    try:
        result = check_graph(estate, runs, prestarted=ahead)
        pids = [s.process.pid for s in ahead.sessions if s.process is not None]
    finally:
        ahead.close()
    assert _found(result) == _found(check_graph(_estate(), [PACK])) and len(pids) == 1


def test_packs_started_for_other_config_are_stopped_and_started_again() -> None:
    estate = _estate()
    runs = [PackRun(PACK)]
    ahead = StartedPacks(
        runs, estate.project, estate.stack, {}, start_timeout=60, rpc_timeout=60, organization="organization"
    )
    result = check_graph(estate, runs, prestarted=ahead)
    assert all(s.process is not None and s.process.poll() is not None for s in ahead.sessions)
    assert _found(result) == _found(check_graph(_estate(), [PACK]))


def test_benchmark_smoke_at_its_smallest_size() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "preview_scale.py"), "--max-resources", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    *rows, summary = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["resources"] for r in rows] == [summary["sizes"][0]] and summary["summary"] is True
    keys = {"resources", "synth_s", "check_s", "floor_synth_s", "floor_check_s", "ratio_synth", "ratio_check"}
    assert keys | {"rss_mb", "floor_rss_mb"} <= set(rows[0]) and rows[0]["resources"] > 10


def test_struct_is_the_message_parse_dict_builds() -> None:
    from google.protobuf import json_format, struct_pb2

    value = {"a": 1, "b": [1.5, "x", None, True, {"c": []}], "d": {}, "__defaults": ["a"], "e": "é"}
    assert analyzer._struct(value, internal=True) == json_format.ParseDict(value, struct_pb2.Struct())
    assert "__defaults" not in analyzer._struct(value)
