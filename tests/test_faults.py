"""Faults: packs that crash, hang, flood their output, ignore SIGTERM or leave detached processes behind; a program
that raises inside a component; SIGINT and SIGTERM during synth and during the pack run; two runs at once.

Each run must end with the right exit code within seconds and leave no process and no temporary file behind.
The bounds below are generous ("within N seconds"), never timings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pulumi
import pytest

from crosscloud.cli import main
from crosscloud.engine.analyzer import PackError, run_pack
from crosscloud.engine.graph import Graph
from tests.conftest import FIXTURES, ROOT, copy_project
from tests.graphs import graph, provider

PACKS = FIXTURES / "packs"


def small_graph() -> Graph:
    return graph([provider("aws", "aws-eu", region="eu-central-1")])


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for a parent that is not ours to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def pids_in(pidfile: Path) -> list[int]:
    text = pidfile.read_text(encoding="utf-8") if pidfile.exists() else ""
    return [int(line) for line in text.split() if line.isdigit()]


def cli(args: list[str], tmp: Path, **env: str) -> subprocess.Popen[str]:
    """`crosscloud ...` as its own process (in its own session, so a failed test can stop it), with TMPDIR in `tmp`."""
    return subprocess.Popen(
        [sys.executable, "-m", "crosscloud.cli", *args],
        env={**os.environ, "TMPDIR": str(tmp), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], seconds: float) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the run did not end within {seconds}s")
    return process.returncode, out, err


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


# -- packs that misbehave (in-process engine) --------------------------------------------------------------------
def test_a_pack_that_floods_its_output_still_gives_its_verdict() -> None:
    """Megabytes on stderr before it serves and on stdout and stderr in Analyze: drained, never a full pipe."""
    _info, violations = run_pack(PACKS / "floods", small_graph(), rpc_timeout=30)
    assert {v.message for v in violations} == {"flooded its output and still answered"}


def test_a_megabyte_config_value_reaches_the_pack() -> None:
    """Over 128 KiB one environment string is refused by exec (E2BIG): large config goes over stdin instead."""
    g = small_graph()
    g.config["test:big"] = "y" * 1_000_000
    _info, violations = run_pack(PACKS / "config-size", g, rpc_timeout=30)
    assert [v.message for v in violations] == ["test:big has 1000000 characters"]


def test_a_small_config_value_still_travels_in_the_environment() -> None:
    g = small_graph()
    g.config["test:big"] = "small"
    _info, violations = run_pack(PACKS / "config-size", g, rpc_timeout=30)
    assert [v.message for v in violations] == ["test:big has 5 characters"]


def test_a_hung_pack_that_ignores_sigterm_and_detaches_a_child_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("CROSSCLOUD_TEST_PIDFILE", str(pidfile))
    started = time.monotonic()
    with pytest.raises(PackError, match=r"did not answer Analyze within 1s \(hung\? raise --pack-timeout if not\)"):
        run_pack(PACKS / "stubborn", small_graph(), rpc_timeout=1)
    assert time.monotonic() - started < 30
    pids = pids_in(pidfile)
    assert pids, "the pack started its detached child"
    assert wait_until(lambda: all(gone(pid) for pid in pids), 5), "the child in its own session was killed"


# -- a program that fails ------------------------------------------------------------------------------------------
def test_a_program_that_raises_inside_a_component_exits_3_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: pulumi.ComponentResource, outputs: object) -> None:
        raise RuntimeError("component bug")

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", broken)
    assert main(["synth", "dev", "-C", str(ROOT)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "the program failed" in err and "RuntimeError: component bug" in err


@pytest.fixture
def own_program(tmp_path: Path) -> Path:
    """A copy of the project whose program is replaced per test (stacks/__main__.py)."""
    return copy_project(tmp_path / "project")


def test_the_users_program_raising_is_its_failure_exit_2_naming_file_and_line(
    own_program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = own_program / "stacks" / "__main__.py"
    program.write_text("import pulumi\n\nraise ValueError('the program is wrong')\n", encoding="utf-8")
    assert main(["synth", "dev", "-C", str(own_program)]) == 2
    err = capsys.readouterr().err
    assert err == "crosscloud: the program failed: ValueError: the program is wrong (at stacks/__main__.py:3)\n"


def test_the_users_program_raising_in_an_apply_is_its_failure_too(
    own_program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = own_program / "stacks" / "__main__.py"
    program.write_text(
        "import pulumi\nimport pulumi_aws as aws\n\n\ndef name(value):\n    raise KeyError(value)\n\n\n"
        "aws.s3.Bucket('b', bucket=pulumi.Output.from_input('logs').apply(name))\n",
        encoding="utf-8",
    )
    assert main(["synth", "dev", "-C", str(own_program)]) == 2
    err = capsys.readouterr().err
    assert err == "crosscloud: the program failed: KeyError: 'logs' (at stacks/__main__.py:6)\n"


def test_two_resources_with_one_urn_are_refused_as_the_engine_does(
    own_program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = own_program / "stacks" / "__main__.py"
    program.write_text("import pulumi_aws as aws\naws.s3.Bucket('logs')\naws.s3.Bucket('logs')\n", encoding="utf-8")
    assert main(["synth", "dev", "-C", str(own_program)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "crosscloud: the program failed: Duplicate resource URN "
        "'urn:pulumi:dev::crosscloud::aws:s3/bucket:Bucket::logs'; try giving it a unique name\n"
    )


def test_analyze_stack_time_scales_with_the_stack_and_the_message_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crosscloud.engine.analyzer import STACK_RESOURCES_PER_TIMEOUT, analyze_stack_timeout

    assert analyze_stack_timeout(60, 130) == 60
    assert analyze_stack_timeout(60, 100_000) == 600 == 60 * 100_000 / STACK_RESOURCES_PER_TIMEOUT
    pack = tmp_path / "slow-stack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("description: slow AnalyzeStack\nruntime: python\n", encoding="utf-8")
    (pack / "__main__.py").write_text(
        "import time\n"
        "from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy\n"
        "PolicyPack(name='slow-stack', enforcement_level=EnforcementLevel.MANDATORY, policies=[\n"
        "    StackValidationPolicy(name='slow', description='sleeps',\n"
        "                          validate=lambda args, report: time.sleep(60))])\n",
        encoding="utf-8",
    )
    graph_file = tmp_path / "graph.json"
    small_graph().write(graph_file)
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(pack), "--pack-timeout", "2"]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "did not answer AnalyzeStack for 2 resources within 2s (--pack-timeout 2s per 10,000 resources); " in err
    assert err.rstrip().endswith("if the pack is not hung, raise --pack-timeout")


# -- signals (the CLI as its own process) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sleeping_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, whose program announces itself in $CROSSCLOUD_TEST_MARKER and then sleeps."""
    root = copy_project(tmp_path_factory.mktemp("sleeping") / "project")
    (root / "stacks" / "__main__.py").write_text(
        "import os, pathlib, time\n"
        "pathlib.Path(os.environ['CROSSCLOUD_TEST_MARKER']).write_text('synth')\n"
        "time.sleep(120)\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_synth_stops_the_run(
    sig: signal.Signals, code: int, sleeping_project: Path, tmp_path: Path, scratch: Path
) -> None:
    marker = tmp_path / "marker"
    process = cli(["synth", "dev", "-C", str(sleeping_project)], scratch, CROSSCLOUD_TEST_MARKER=str(marker))
    assert wait_until(marker.exists, 60), "the program started"
    process.send_signal(sig)
    returncode, _out, err = finish(process, 20)
    assert returncode == code
    assert err.strip() == f"crosscloud: cancelled by {sig.name}; every policy pack was stopped"
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("signals", "code"),
    [([signal.SIGINT], 130), ([signal.SIGTERM], 143), ([signal.SIGINT, signal.SIGINT], 130)],
    ids=["sigint", "sigterm", "sigint-twice"],
)
def test_a_signal_during_the_pack_run_stops_every_process_it_started(
    signals: list[signal.Signals], code: int, tmp_path: Path, scratch: Path
) -> None:
    """The pack hangs in Analyze, ignores SIGTERM, and left a child in its own session and a double-forked
    grandchild with an empty environment: all are gone when the CLI exits, within seconds, not the pack timeout."""
    graph_file = tmp_path / "graph.json"
    small_graph().write(graph_file)
    pidfile = tmp_path / "pids"
    process = cli(
        ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(PACKS / "stubborn")],
        scratch,
        CROSSCLOUD_TEST_PIDFILE=str(pidfile),
        CROSSCLOUD_TEST_CLEARED_CHILD="1",
    )
    assert wait_until(lambda: pidfile.exists() and "analyzing" in pidfile.read_text(), 60), "the pack hangs"
    for sig in signals:
        process.send_signal(sig)
        time.sleep(0.05)
    returncode, _out, err = finish(process, 20)
    assert returncode == code
    assert "cancelled by" in err and "Traceback" not in err
    pids = pids_in(pidfile)
    assert len(pids) == 2
    assert wait_until(lambda: all(gone(pid) for pid in pids), 5), "no process of the run is left"
    assert list(scratch.iterdir()) == []


def test_two_runs_at_once_do_not_disturb_each_other(tmp_path: Path, scratch: Path) -> None:
    graph_file = tmp_path / "graph.json"
    small_graph().write(graph_file)
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(PACKS / "floods")]
    runs = [cli(args, scratch), cli(args, scratch)]
    results = [finish(run, 120) for run in runs]
    for returncode, out, err in results:
        assert returncode == 1, err
        assert "flooded its output and still answered" in out
    assert results[0][1] == results[1][1]
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("dies-in-analyze", "crashed during Analyze (exit code 7)"),
        ("hanging", "did not answer Analyze within 3s (hung? raise --pack-timeout if not)"),
        ("crashing", "exited with code 1 before serving"),
    ],
)
def test_a_pack_that_crashes_or_hangs_is_exit_3_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pack: str, expected: str
) -> None:
    graph_file = tmp_path / "graph.json"
    small_graph().write(graph_file)
    args = ["check", "--graph", str(graph_file), "-C", str(ROOT), "--policy-pack", str(PACKS / pack)]
    assert main([*args, "--pack-timeout", "3"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("crosscloud: policy check failed: policy pack ") and expected in err
