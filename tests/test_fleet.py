"""`crosscloud fleet`: warm parents that fork a fresh child per stack and per pack, isolation between stacks, failures
that stay one stack's, cancellation, sharding, merged reports, and the policy diff."""

from __future__ import annotations

import builtins
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from crosscloud.cli import main
from crosscloud.fleet import report
from crosscloud.fleet.inventory import FleetStack, discover
from crosscloud.fleet.shard import Shard, assign, matrix, parse_shard, select
from tests.conftest import FIXTURES, ROOT

CHECKOUT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
NONCOMPLIANT = FIXTURES / "stacks" / "noncompliant"

# A program that refuses to run when another stack's state reached it (a builtin, a module the warm parent imported,
# the catalog the warm parent loaded, the environment), then leaves its own mark in each; `crash` dies by SIGKILL,
# `hang` never ends.
PROGRAM = '''\
"""A fleet fixture: refuses to run if another stack's state reached it; `crash` dies, `hang` never ends."""

import builtins
import os
import signal
import time

import pulumi

import crosscloud.catalog.loader as loader
from crosscloud.catalog import load_catalog

stack = pulumi.get_stack()
catalog = load_catalog()
seen = {
    "a builtin": getattr(builtins, "_fleet_marker", None),
    "a module the warm parent imported": getattr(loader, "_fleet_marker", None),
    "the catalog the warm parent loaded": getattr(catalog, "_fleet_marker", None),
    "the environment": os.environ.get("FLEET_MARKER"),
}
leaked = [f"{where} ({value})" for where, value in seen.items() if value]
if leaked:
    raise RuntimeError(f"state leaked into stack {stack}: " + ", ".join(leaked))
builtins._fleet_marker = loader._fleet_marker = catalog._fleet_marker = os.environ["FLEET_MARKER"] = stack
if stack == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
if stack == "hang":
    time.sleep(3600)
pulumi.export("stack", stack)
'''


def fixture_project(root: Path, stacks: list[str]) -> Path:
    """A project without packs of its own (so the shipped packs check it, forked from the warm pack parent)."""
    (root / "program").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: fleet-fixture\nmain: program/\nruntime: python\n", encoding="utf-8")
    (root / "program" / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    for stack in stacks:
        shutil.copy2(ROOT / "Pulumi.dev.yaml", root / f"Pulumi.{stack}.yaml")
    return root


def fleet(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    """`crosscloud fleet ...` as a command (its own process: a subreaper, as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", "fleet", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tagged(tag: str) -> list[int]:
    """Processes whose environment carries `tag` (every process a fleet run starts inherits it)."""
    needle = f"FLEET_TEST_TAG={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def gone(tag: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not tagged(tag):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three identical stacks of the isolation program, checked by one worker (each child forked from the same warm
    parent after the one before it ran), with every report written."""
    root = tmp_path_factory.mktemp("fleet")
    project = fixture_project(root / "project", ["a", "b", "c"])
    out = root / "out"
    out.mkdir()
    run = fleet(
        [
            "check",
            "project",
            "--workers",
            "1",
            *(f"--report={f}={out}/full.{f}" for f in ("json", "sarif", "markdown")),
        ],
        root,
    )
    return {"root": root, "project": project, "out": out, "run": run}


# -- isolation --------------------------------------------------------------------------------------------------------
def test_the_isolation_program_fails_when_stacks_share_a_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The control: run twice in one process, the program sees the first run's state and fails (so the fleet test
    below can fail)."""
    project = fixture_project(tmp_path / "project", ["a", "b"])
    import crosscloud.catalog.loader as loader
    from crosscloud.catalog import load_catalog

    try:
        assert main(["check", "a", "-C", str(project)]) == 1
        assert main(["check", "b", "-C", str(project)]) == 2
        assert "state leaked into stack b" in capsys.readouterr().err
    finally:
        for holder in (builtins, loader, load_catalog()):
            holder.__dict__.pop("_fleet_marker", None)
        os.environ.pop("FLEET_MARKER", None)


def test_stacks_forked_from_one_warm_parent_cannot_see_each_others_state(small_fleet: dict[str, Any]) -> None:
    run = small_fleet["run"]
    assert run.returncode == 1, run.stderr  # a verdict: the shipped packs without a config for these stacks
    doc = json.loads((small_fleet["out"] / "full.json").read_text())
    assert [(e["name"], e["exitCode"], e["errors"]) for e in doc["stacks"]] == [(s, 1, []) for s in "abc"]
    assert all(e["report"]["summary"]["stack"] == e["name"] for e in doc["stacks"])


def test_no_progress_line_when_stderr_is_not_a_terminal(small_fleet: dict[str, Any]) -> None:
    assert small_fleet["run"].stderr == ""  # stderr is a pipe here, as in CI logs (--progress: see the shards)


# -- one stack's failure is one stack's exit 3 ---------------------------------------------------------------------
def test_a_crashing_and_a_hanging_stack_fail_alone_and_leave_no_process(tmp_path: Path) -> None:
    fixture_project(tmp_path / "project", ["a", "crash", "hang"])
    tag = uuid.uuid4().hex
    env = {**os.environ, "FLEET_TEST_TAG": tag}
    args = ["check", "project", "--stack-timeout", "8", "--format", "json", "--report", f"sarif={tmp_path}/f.sarif"]
    run = fleet(args, tmp_path, env)
    assert run.returncode == 3, run.stderr
    doc = json.loads(run.stdout)
    by_name = {e["name"]: e for e in doc["stacks"]}
    assert by_name["a"]["exitCode"] == 1 and by_name["a"]["report"] is not None
    assert by_name["crash"]["exitCode"] == 3 and "killed by SIGKILL" in by_name["crash"]["errors"][0]
    assert by_name["hang"]["exitCode"] == 3 and "within 8s (--stack-timeout)" in by_name["hang"]["errors"][0]
    assert doc["summary"]["exitCode"] == 3 and doc["summary"]["verdicts"] == {"failed": 2, "blocked": 1}
    sarif = json.loads((tmp_path / "f.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    failed = [r for r in sarif["runs"] if r.get("invocations")]
    assert len(failed) == 2 and not any(r["invocations"][0]["executionSuccessful"] for r in failed)
    assert gone(tag), f"left behind: {tagged(tag)}"


def test_sigterm_stops_every_stack_and_pack(tmp_path: Path) -> None:
    fixture_project(tmp_path / "project", ["hang", "hang2"])
    program = tmp_path / "project" / "program" / "__main__.py"
    program.write_text(program.read_text().replace('if stack == "hang":', 'if stack.startswith("hang"):'))
    tag = uuid.uuid4().hex
    env = {**os.environ, "FLEET_TEST_TAG": tag}
    process = subprocess.Popen(
        [sys.executable, "-m", "crosscloud.cli", "fleet", "check", "project", "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the CLI, two warm parents, two stack children and their ten packs
        deadline = time.monotonic() + 120
        while len(tagged(tag)) < 15 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(tagged(tag)) >= 15
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143
    assert "cancelled by SIGTERM" in err
    assert gone(tag), f"left behind: {tagged(tag)}"


# -- the same verdicts as each stack alone -------------------------------------------------------------------------
def test_each_stacks_json_report_is_byte_for_byte_its_single_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped dev and prod stacks (the project's own copies of the packs: started the ordinary way) and the
    noncompliant fixture (the shipped packs: forked from the warm pack parent)."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns("__pycache__"))
    noncompliant = tmp_path / "noncompliant"
    shutil.copytree(NONCOMPLIANT, noncompliant, ignore=shutil.ignore_patterns("__pycache__", "REPORT.*"))
    run = fleet(["check", "project", "noncompliant", "--format", "json", "--progress"], tmp_path)
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    assert [e["stack"] for e in doc["stacks"]] == ["noncompliant:prod", "project:dev", "project:prod"]
    for entry in doc["stacks"]:
        folder = tmp_path / entry["folder"]
        code = main(["check", entry["name"], "-C", str(folder), "--format", "json"])
        alone = capsys.readouterr().out
        assert entry["exitCode"] == code
        assert json.dumps(entry["report"], indent=2) + "\n" == alone, entry["stack"]
        forked = 5 if entry["folder"] == "noncompliant" else 0  # the shipped packs, not a copy of them
        assert (
            f"{entry['stack']}: " in run.stderr
            and f", {forked} of 5 packs forked," in run.stderr.split(f"{entry['stack']}: ", 1)[1].splitlines()[0]
        )
    assert doc["summary"]["exitCode"] == 1  # the worst stack's


# -- shards, the matrix, merge --------------------------------------------------------------------------------------
def stacks_of(weights: dict[str, int]) -> list[FleetStack]:
    return [FleetStack(Path(f"/p/{n}"), f"teams/{n[0]}", n, weight=w) for n, w in weights.items()]


def test_shard_assignment_is_deterministic_balanced_and_covers_every_stack() -> None:
    weights = {f"s{i:02d}": (i * 7919) % 97 + 1 for i in range(40)}
    fleet_ = stacks_of(weights)
    shards = assign(fleet_, 4)
    for order in (list(reversed(fleet_)), sorted(fleet_, key=lambda s: s.weight), fleet_[1::2] + fleet_[::2]):
        assert assign(order, 4) == shards  # independent of the order stacks were found in
    labels = [s.label for shard in shards for s in shard]
    assert sorted(labels) == sorted(s.label for s in fleet_) and len(labels) == len(set(labels))
    loads = [sum(s.weight for s in shard) for shard in shards]
    assert max(loads) - min(loads) <= max(weights.values())
    assert [select(fleet_, Shard(i, 4)) for i in range(4)] == shards
    assert select(stacks_of({"only": 1}), Shard(1, 2)) == []  # an empty shard reports an empty fleet


def test_shard_and_matrix_syntax() -> None:
    assert parse_shard("0/4") == Shard(0, 4)
    for bad in ("4/4", "1", "-1/2", "a/b", "0/0", "1/1001"):
        with pytest.raises(ValueError, match=r"."):
            parse_shard(bad)
    data = json.loads(matrix(stacks_of({"a1": 3, "b1": 2, "c1": 2}), 2))
    assert [(m["shard"], m["labels"]) for m in data["include"]] == [
        ("0/2", "teams/a:a1"),
        ("1/2", "teams/b:b1 teams/c:c1"),
    ]


def test_shards_merge_into_exactly_the_whole_fleets_reports(small_fleet: dict[str, Any]) -> None:
    root, out = small_fleet["root"], small_fleet["out"]
    for k in (0, 1):
        run = fleet(
            [
                "check",
                "project",
                "--shard",
                f"{k}/2",
                "--report",
                f"json={out}/shard{k}.json",
                "-o",
                os.devnull,
                "--progress",
            ],
            root,
        )
        assert run.returncode == 1, run.stderr
        progress = run.stderr.splitlines()  # asked for: one line per stack of the shard
        # (a pack that starts after the program set FLEET_MARKER sees another environment: it starts the ordinary way)
        assert progress and all(
            re.search(r": blocked \(exit 1, 1 resources, \d of 5 packs forked, ", x) for x in progress
        )
    shards = [str(out / "shard0.json"), str(out / "shard1.json")]
    assert {len(json.loads(Path(s).read_text())["stacks"]) for s in shards} == {1, 2}
    for fmt in ("json", "sarif", "markdown"):
        run = fleet(["merge", *reversed(shards), "--format", fmt], root)
        assert run.returncode == 1
        assert run.stdout == (out / f"full.{fmt}").read_text(), fmt
    sarif = json.loads((out / "full.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert [r["automationDetails"]["id"] for r in sarif["runs"]] == [f"crosscloud/project/{s}/" for s in "abc"]
    partial = fleet(["merge", shards[0], "--format", "json"], root)
    assert partial.returncode == 3 and json.loads(partial.stdout)["summary"]["missingShards"] == [1]
    twice = fleet(["merge", shards[0], shards[0]], root)
    assert twice.returncode == 2 and "is also in" in twice.stderr


# -- the policy diff ------------------------------------------------------------------------------------------------
def test_policy_diff_reports_a_known_change_new_mandatory_first(tmp_path: Path) -> None:
    """head: exemptions-in-force made mandatory, required-tags made advisory (config), and the security pack without
    iam-no-access-keys (logic)."""
    for side in ("base", "head"):
        shutil.copytree(CHECKOUT / "policies", tmp_path / side, ignore=shutil.ignore_patterns("__pycache__", "rules"))
    head = tmp_path / "head"
    (head / "config" / "prod" / "governance.json").write_text('{"all": "mandatory"}')
    (head / "config" / "prod" / "portability.json").write_text(
        '{"all": "mandatory", "model-lifecycle-window": "advisory", "required-tags": "advisory"}'
    )
    security = head / "security" / "__main__.py"
    security.write_text(
        security.read_text().replace("rules=RULES,", 'rules=[r for r in RULES if r.id != "iam-no-access-keys"],')
    )
    args = ["diff", str(NONCOMPLIANT), "--packs-base", "base", "--packs-head", "head", "--format", "json"]
    run = fleet([*args, "--report", f"markdown={tmp_path}/impact.md"], tmp_path)
    assert run.returncode == 1, run.stderr  # the change adds a mandatory violation
    doc = json.loads(run.stdout)
    (entry,) = doc["stacks"]
    found = [(c["change"], c["policy"], c["urn"].split("::")[-1], c["before"], c["after"]) for c in entry["changes"]]
    assert found == [
        ("new mandatory", "exemptions-in-force", "bucket-exempted", "advisory", "mandatory"),
        ("no longer mandatory", "required-tags", "bucket-expired-exemption", "mandatory", "advisory"),
        ("no longer mandatory", "required-tags", "bucket-untagged", "mandatory", "advisory"),
        ("no longer mandatory", "iam-no-access-keys", "ci-access-key", "mandatory", None),
    ]
    assert doc["summary"]["changes"] == {
        "new mandatory": 1,
        "new advisory": 0,
        "no longer mandatory": 3,
        "advisory resolved": 0,
    }
    assert entry["base"]["verdict"] == entry["head"]["verdict"] == "blocked" and not entry["verdictChanged"]
    comment = (tmp_path / "impact.md").read_text()
    assert comment.startswith("## crosscloud policy impact: ❌ 1 new mandatory violation(s)")
    assert comment.index("new mandatory** `crosscloud-governance/exemptions-in-force`") < comment.index(
        "**no longer mandatory**"
    )


def test_diff_refuses_a_folder_without_packs(tmp_path: Path) -> None:
    run = fleet(["diff", str(NONCOMPLIANT), "--packs-base", str(tmp_path), "--packs-head", str(tmp_path)], tmp_path)
    assert run.returncode == 2 and "--packs-base: is not a folder of policy packs" in run.stderr


# -- inventory -----------------------------------------------------------------------------------------------------
def test_a_manifest_lists_projects_and_stacks(tmp_path: Path) -> None:
    fixture_project(tmp_path / "teams" / "one", ["dev", "prod"])
    fixture_project(tmp_path / "teams" / "two", ["a", "b"])
    manifest = tmp_path / "fleet.yaml"
    manifest.write_text(
        "stacks:\n  - project: teams/one\n  - project: teams/two\n    stacks: [b]\n    weight: 7\n", encoding="utf-8"
    )
    found = discover([], manifest, tmp_path)
    assert [(s.label, s.weight) for s in found][2:] == [("teams/two:b", 7)]
    assert [s.label for s in found] == ["teams/one:dev", "teams/one:prod", "teams/two:b"]
    assert [s.label for s in discover([tmp_path / "teams"], None, tmp_path)][-2:] == ["teams/two:a", "teams/two:b"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("stacks: []\n", "stacks: must be a non-empty list"),
        ("stacks:\n  - project: nowhere\n", "stacks[0].project: 'nowhere': no Pulumi.yaml"),
        ("stacks:\n  - project: p\n    stak: dev\n", "stacks[0].stak: is not a manifest key"),
        ("stacks:\n  - project: p\n    stack: dev\n    stacks: [a]\n", "stacks[0]: give `stack` or `stacks`"),
        ("stacks:\n  - project: p\n    weight: -1\n", "stacks[0].weight: must be a positive integer"),
    ],
)
def test_a_bad_manifest_is_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    fixture_project(tmp_path / "p", ["dev"])
    manifest = tmp_path / "fleet.yaml"
    manifest.write_text(text, encoding="utf-8")
    assert main(["fleet", "check", "--manifest", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert problem in err and str(manifest) in err and "Traceback" not in err


# -- the fleet's PR comment ----------------------------------------------------------------------------------------
def synthetic_entry(i: int, verdict: str) -> dict[str, Any]:
    code = {"compliant": 0, "advisory": 0, "blocked": 1, "failed": 3}[verdict]
    block = {"violations": 3, "text": "#### `rule` · high · 3\n\n" + "- `res (Bucket)`: missing tags\n" * 40}
    return {
        "stack": f"team-{i}:prod",
        "folder": f"team-{i}",
        "name": "prod",
        "stackFile": f"team-{i}/Pulumi.prod.yaml",
        "exitCode": code,
        "verdict": verdict,
        "errors": ["crosscloud: policy check failed: @someone's pack crashed"] if code == 3 else [],
        "resources": 100,
        "mandatory": 3 if code == 1 else 0,
        "advisory": 2 if verdict == "advisory" else 0,
        "report": None,
        "sarif": {},
        "markdown": [block] * (5 if code else 0),
    }


def test_the_fleet_comment_puts_the_worst_first_and_stays_under_githubs_limit() -> None:
    kinds = ["compliant"] * 1500 + ["blocked"] * 300 + ["failed", "advisory"]
    doc = report.document([synthetic_entry(i, k) for i, k in enumerate(kinds)], None)
    text = report.render_markdown(doc)
    assert len(text) < 65_536
    assert text.startswith("## crosscloud fleet check: 💥 1 of 1802 stacks could not be checked")
    table = text.split("\n\n")[2].splitlines()
    assert table[2].startswith("| `team-1800:prod` | 💥 failed") and "⚠️ advisory" not in table[3]
    assert "more compliant stacks (every one is in the JSON report)" in text
    assert "**Truncated:**" in text
    assert "- crosscloud: policy check failed: `@someone's` pack crashed" in text  # no mention: a code span
    small = report.render_markdown(report.document([synthetic_entry(0, "blocked")], None))
    assert "<details><summary>❌ team-0:prod: blocked, 3 mandatory, 0 advisory</summary>" in small


# -- the warm parents ------------------------------------------------------------------------------------------------
PROBE = (
    "import json, os, sys; print(json.dumps({'argv': sys.argv, 'cwd': os.getcwd(), 'path0': sys.path[0], "
    "'env': os.environ.get('PULUMI_CONFIG'), 'token': os.environ.get('CROSSCLOUD_RUN_TOKEN'), "
    "'stdin': sys.stdin.read(), 'session': os.getsid(0) == os.getpid()}))"
)


def test_a_forked_python_child_sees_what_a_started_one_sees(tmp_path: Path) -> None:
    """Same command line, folder, environment and stdin: a child of the warm pack parent and a started process
    report the same, each in a session of its own; a different environment is refused (and then started)."""
    from crosscloud.fleet.forkserver import ForkServer, ForkServerError, spawn

    server = ForkServer("pack", tmp_path)
    try:
        server.wait_ready(120)
        assert server.status()["threads"] == 1  # it forks only single-threaded, with no gRPC channel or server
        env = {**server.env, "PULUMI_CONFIG": '{"a:b": "c"}', "CROSSCLOUD_RUN_TOKEN": "t0"}
        command = [server.python, "-u", "-c", PROBE, "127.0.0.1:1", str(tmp_path)]
        stdin = tmp_path / "stdin.txt"
        stdin.write_text("the config on stdin")
        started = subprocess.run(
            command, cwd=tmp_path, env=env, stdin=stdin.open(), capture_output=True, text=True, check=True,
            start_new_session=True,
        )  # fmt: skip
        out_r, out_w = os.pipe()
        with stdin.open() as f, open(os.devnull, "w") as devnull:
            pid, conn = spawn(server.path, {"argv": command, "cwd": str(tmp_path), "env": env}, f.fileno(), out_w,
                              devnull.fileno())  # fmt: skip
        os.close(out_w)
        with os.fdopen(out_r) as out:
            forked = out.read()
        assert json.loads(forked) == json.loads(started.stdout)
        assert json.loads(conn.recv(4096)) == {"exit": 0}
        conn.close()
        with pytest.raises(ForkServerError, match="environment differs"):
            spawn(server.path, {"argv": command, "cwd": str(tmp_path), "env": {**env, "EXTRA": "1"}}, 0, 1, 2)
        assert pid > 0
    finally:
        server.close()
    assert server.process.returncode == 0


def test_workers_are_bounded_by_cores_memory_and_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    from crosscloud.fleet import runner

    monkeypatch.setattr(runner, "cpu_count", lambda: 8)
    monkeypatch.setattr(runner, "available_memory_mb", lambda: 4 * runner.WORKER_MEMORY_MB + 1)
    assert runner.default_workers(50) == 4
    assert runner.default_workers(3) == 3
    monkeypatch.setattr(runner, "available_memory_mb", lambda: 100)
    assert runner.default_workers(50) == 1
    monkeypatch.setattr(runner, "available_memory_mb", lambda: None)
    assert runner.default_workers(50) == 8


def test_the_warm_parent_imports_the_subpackages_a_program_names(tmp_path: Path) -> None:
    from crosscloud.fleet.warm import predicted_modules

    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(
        "import pulumi_aws as cloud\nfrom pulumi_azure_native import privatedns\nimport crosscloud.platform\n"
        "cloud.sqs.Queue('q')\n",
        encoding="utf-8",
    )
    found = predicted_modules([program])
    assert {"pulumi_aws.sqs", "pulumi_azure_native.privatedns"} <= set(found)
    assert "pulumi_aws.ec2" in found  # what crosscloud's components build with
    assert all(name.count(".") == 1 for name in found)
    (program / "__main__.py").write_text("import pulumi_aws as aws\naws.sqs.Queue('q')\n", encoding="utf-8")
    assert predicted_modules([program]) == ["pulumi_aws.sqs"]  # no components imported, none of theirs


def test_a_module_of_a_lazy_sdk_package_imported_first_leaves_the_package_whole() -> None:
    """pulumi's provider SDKs load subpackages lazily; importing a module of one before the package itself (the
    order a report may list them in) once left the package without its classes in the warm parent."""
    code = (
        "import pulumi_azure_native\n"
        "from crosscloud.fleet.forkserver import import_modules\n"
        "import_modules(['pulumi_azure_native.managedidentity.federated_identity_credential'])\n"
        "import sys; package = sys.modules['pulumi_azure_native.managedidentity']\n"
        "print(hasattr(package, 'FederatedIdentityCredential'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "True"


def test_the_stacks_with_their_packs_for_pulumis_own_engines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CHECKOUT)
    assert main(["fleet", "matrix", "--shards", "1", "--format", "pulumi", str(NONCOMPLIANT)]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["stacks"]
    packs = ["capacity", "governance", "portability", "residency", "security"]
    assert entry == {
        "shard": "0/1",
        "label": "tests/fixtures/stacks/noncompliant:prod",
        "workDir": "tests/fixtures/stacks/noncompliant",
        "stack": "prod",
        "stackFile": "tests/fixtures/stacks/noncompliant/Pulumi.prod.yaml",
        "policyPacks": [f"policies/{p}" for p in packs],  # the shipped packs and their prod config: no own packs
        "policyPackConfigs": [f"policies/config/prod/{p}.json" for p in packs],
    }
