"""Opt-in: any policy pack nobody here wrote starts, answers and gives a verdict over the conformance program.

Set CROSSCLOUD_THIRD_PARTY_PACKS to pack folders (or folders of pack folders) separated by the path separator, e.g.
a checkout of pulumi/pulumi's sdk/python/cmd/pulumi-language-python/testdata/policies or pulumi/examples'
policy-packs. A pack's Python dependencies must be importable from this environment; a pack whose
PulumiPolicy.yaml names a `virtualenv` that does not exist gets a copy with that name linked to this environment
(where `pulumi` would have installed the pack's requirements). A pack may sit next to `<pack>.policy-config.json`,
used as its --policy-config, and `<pack>.stack-config.json`, a JSON object of stack config it needs (wire values).
A pack that fails to start or crashes fails the test: the engine would stop the preview for it too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from crosscloud.declaration import DeclarationError
from crosscloud.engine.check import PackRun, check_graph
from crosscloud.engine.graph import Graph
from crosscloud.engine.policy_config import read_policy_config
from crosscloud.engine.project import POLICY_PACK_FILE
from tests.conformance.helpers import conformance_graph

VARIABLE = "CROSSCLOUD_THIRD_PARTY_PACKS"


def _packs() -> list[Path]:
    found: list[Path] = []
    for entry in filter(None, os.environ.get(VARIABLE, "").split(os.pathsep)):
        root = Path(entry).expanduser().resolve()
        found += (
            [root]
            if (root / POLICY_PACK_FILE).is_file()
            else sorted(p.parent for p in root.glob(f"*/{POLICY_PACK_FILE}"))
        )
    return found


def _runnable(pack: Path, tmp_path: Path) -> Path:
    manifest = yaml.safe_load((pack / POLICY_PACK_FILE).read_text()) or {}
    runtime = manifest.get("runtime")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if not venv or (pack / str(venv) / "bin" / "python").exists():
        return pack
    copy = tmp_path / pack.name
    shutil.copytree(pack, copy)
    (copy / str(venv)).symlink_to(Path(sys.prefix))
    return copy


@pytest.fixture(scope="module")
def graph() -> Graph:
    return conformance_graph()


@pytest.mark.skipif(not os.environ.get(VARIABLE), reason=f"set {VARIABLE} to run third-party packs")
@pytest.mark.parametrize("pack", _packs(), ids=lambda p: p.name)
def test_third_party_pack_starts_answers_and_gives_a_verdict(pack: Path, graph: Graph, tmp_path: Path) -> None:
    config_file = pack.parent / f"{pack.name}.policy-config.json"
    config = read_policy_config(config_file) if config_file.is_file() else None
    stack_config = pack.parent / f"{pack.name}.stack-config.json"
    if stack_config.is_file():
        graph = graph.copy()
        graph.config.update({str(k): str(v) for k, v in json.loads(stack_config.read_text()).items()})
    run = PackRun(_runnable(pack, tmp_path), config)
    try:
        result = check_graph(graph, [run], start_timeout=120, rpc_timeout=120)
    except DeclarationError as exc:  # a verdict too: the engine refuses a config that does not validate
        message = str(exc)
    else:
        message = ""
    if message:
        assert "validating policy config for pack" in message
        return
    [info] = result.packs
    assert info.name and info.policies, "the pack answered GetAnalyzerInfo"
    assert all(v.enforcement_level in ("advisory", "mandatory") for v in result.violations)
    print(f"{info.name}@{info.version}: {len(result.mandatory)} mandatory, {len(result.violations)} in all")
