"""Every example of the README's exit-code table reproduces with the exit code the table gives it (issue 23.3).

The table is read from README.md: an example without a reproduction here fails, and so does a reproduction whose
example the README no longer lists, so the table and the behaviour cannot drift apart. Each reproduction is the
smallest real run of the case (the CLI in-process, or as its own process where a signal or a FIFO needs one).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from crosscloud.catalog import CatalogError
from crosscloud.cli import main
from tests.conftest import CHECKOUT, FIXTURES, ROOT, copy_project, stack_config

README = (CHECKOUT / "README.md").read_text(encoding="utf-8")
MARKER = "<!-- exit codes: each example is reproduced by tests/test_readme_examples.py -->"


def table_examples() -> list[tuple[tuple[int, ...], str]]:
    """(exit codes, example) for every example in the README's exit-code table."""
    table = README.split(MARKER, 1)[1].strip().split("\n\n", 1)[0].splitlines()[2:]
    found = []
    for row in table:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        codes = tuple(int(c) for c in re.findall(r"\d+", cells[0]))
        found += [(codes, example) for example in re.split(r", (?![^(]*\))", cells[2])]
    return found


Run = Callable[[Path, pytest.MonkeyPatch], int]
PACKS = FIXTURES / "packs"


def stack(tmp: Path, text: str | bytes) -> int:
    path = tmp / "Pulumi.dev.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return main(["synth", "dev", "-C", str(ROOT), "--config-file", str(path), "-o", str(tmp / "graph.json")])


def mutated(change: Callable[[dict[str, Any]], object], name: str = "dev") -> Callable[[Path], int]:
    def run(tmp: Path) -> int:
        config = stack_config(name)
        change(config)
        path = tmp / f"Pulumi.{name}.yaml"
        path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
        return main(["synth", name, "-C", str(ROOT), "--config-file", str(path), "-o", str(tmp / "graph.json")])

    return run


def program(tmp: Path, source: str) -> int:
    root = copy_project(tmp / "project")
    (root / "stacks" / "__main__.py").write_text(source, encoding="utf-8")
    return main(["synth", "dev", "-C", str(root), "-o", str(tmp / "graph.json")])


def small_graph(tmp: Path) -> Path:
    path = tmp / "small.json"
    assert main(["synth", "dev", "-C", str(ROOT), "-o", str(path)]) == 0
    return path


def pack_run(name: str, *extra: str) -> Callable[[Path], int]:
    def run(tmp: Path) -> int:
        return main(
            ["check", "--graph", str(small_graph(tmp)), "-C", str(ROOT), "--policy-pack", str(PACKS / name), *extra]
        )

    return run


def fifo(tmp: Path) -> int:
    path = tmp / "graph.json"
    os.mkfifo(path)
    done = subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", "check", "--graph", str(path), "-C", str(ROOT)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode


def full_disk(tmp: Path) -> int:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    return main(["synth", "dev", "-C", str(ROOT), "-o", "/dev/full"])


def linked_out(tmp: Path) -> int:
    root = copy_project(tmp / "project")
    outside = tmp / "outside.yaml"
    outside.write_text("config: {}\n")
    (root / "Pulumi.linked.yaml").symlink_to(outside)
    return main(["synth", "linked", "-C", str(root)])


def bad_policy_config(tmp: Path) -> int:
    path = tmp / "policy.json"
    path.write_text(json.dumps({"aws-region-allowed": "madatory"}))
    residency = str(ROOT / "policies" / "residency")
    return main(["check", "dev", "-C", str(ROOT), "--policy-pack", residency, "--policy-config", str(path)])


def our_code_raises(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    def broken(self: pulumi.ComponentResource, outputs: object) -> None:
        raise RuntimeError("component bug")

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", broken)
    return main(["synth", "dev", "-C", str(ROOT), "-o", str(tmp / "graph.json")])


def catalog_error(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    import crosscloud.cli

    def broken() -> None:
        raise CatalogError("models.yaml: gpt-4.1.azure.skus: unknown region 'marsnorth'")

    monkeypatch.setattr(crosscloud.cli, "load_catalog", broken)
    return main(["models"])


def internal_error(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    import crosscloud.models_table

    def broken(*_: object, **__: object) -> str:
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(crosscloud.models_table, "models_table", broken)
    return main(["models"])


def cancelled(tmp: Path) -> int:
    root = copy_project(tmp / "project")
    marker = tmp / "started"
    (root / "stacks" / "__main__.py").write_text(
        "import os, pathlib, time\npathlib.Path(os.environ['MARKER']).write_text('x')\ntime.sleep(120)\n"
    )
    stderr = tmp / "stderr.txt"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "crosscloud.cli", "preview", "dev", "-C", str(root)],
            env={**os.environ, "MARKER": str(marker), "PYTHONFAULTHANDLER": "1"},
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    started = marker.exists()
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:  # where it hangs: faulthandler prints every thread's stack on SIGABRT
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=30)
        tail = stderr.read_text(errors="replace")[-4000:]
        pytest.fail(f"no exit 60 s after SIGTERM (program {'had' if started else 'had not'} started): {tail}")


def _alias_bomb() -> str:
    lines = ["config:", "  crosscloud:tags: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  k{i}: &a{i + 1} [" + ", ".join([f"*a{i}"] * 9) + "]" for i in range(9)]
    return "\n".join(lines) + "\n"


ALIAS_BOMB = _alias_bomb()

# example -> (reproduction, what its stderr says: the case it reproduces, not just any exit 2)
REPRODUCTIONS: dict[str, tuple[Callable[..., int], str]] = {
    "`crosscloud preview dev`": (lambda tmp: main(["preview", "dev", "-C", str(ROOT)]), ""),
    "`crosscloud preview prod`": (lambda tmp: main(["preview", "prod", "-C", str(ROOT)]), ""),
    "a `Global*` SKU under `eu` in prod (`crosscloud check prod -C tests/fixtures/stacks/noncompliant`)": (
        lambda tmp: main(["check", "prod", "-C", str(FIXTURES / "stacks" / "noncompliant"), "--format", "json"]),
        "",
    ),
    "unknown key or model": (
        mutated(lambda c: c["crosscloud:endpoints"][0]["aws"].update(model="gpt-oss-999b")),
        "is not in the model catalog",
    ),
    "a `sku: GlobalStandard` in the declaration under `eu`": (
        mutated(lambda c: c["crosscloud:endpoints"][1]["azure"].update(sku="GlobalStandard")),
        "'GlobalStandard' is not a resident offering",
    ),
    "region outside the residency set": (
        mutated(lambda c: c["crosscloud:azure"].update(location="uksouth")),
        "'uksouth' is outside residency 'eu'",
    ),
    "malformed YAML": (lambda tmp: stack(tmp, "config:\n  crosscloud:residency: [eu\n"), "malformed YAML"),
    "a duplicate YAML key": (
        lambda tmp: stack(tmp, "config:\n  crosscloud:residency: eu\n  crosscloud:residency: us\n"),
        "found duplicate key",
    ),
    "non-UTF-8 YAML": (lambda tmp: stack(tmp, b"config: {a: \xe9}\n"), "is not UTF-8 text"),
    "oversized YAML": (lambda tmp: stack(tmp, "config: {}\n" + "#" * (2 * 1024 * 1024)), "larger than 1024 KiB"),
    "an alias bomb": (lambda tmp: stack(tmp, ALIAS_BOMB), "expands to more than 200,000 values"),
    "an unsupported YAML tag": (
        lambda tmp: stack(tmp, "config:\n  crosscloud:residency: !!binary ZXU=\n"),
        "the YAML tag !!binary is not supported",
    ),
    "an integer of hundreds of digits": (
        lambda tmp: stack(tmp, f"config:\n  crosscloud:residency: {'9' * 300}\n"),
        "holds an integer of 300 digits",
    ),
    "a lone surrogate": (
        lambda tmp: stack(tmp, 'config:\n  crosscloud:residency: "\\ud800"\n'),
        "holds a lone surrogate escape",
    ),
    "invalid stack name": (lambda tmp: main(["synth", "dev/../prod", "-C", str(ROOT)]), "STACK: 'dev/../prod'"),
    "an invalid policy config": (bad_policy_config, "'madatory' is not an enforcement level"),
    "an unwritable `-o` path": (
        lambda tmp: main(["synth", "dev", "-C", str(ROOT), "-o", str(tmp / "no" / "g.json")]),
        "does not exist",
    ),
    "a full disk": (full_disk, "No space left on device"),
    "a FIFO as `--graph`": (fifo, ""),
    "a stack file linking out of the project": (linked_out, "links outside the project"),
    "colliding endpoint or GPU names": (
        mutated(lambda c: c["crosscloud:gpu"].append(dict(c["crosscloud:gpu"][0])), name="prod"),
        "is declared twice",
    ),
    "the program raised (its file and line are named)": (
        lambda tmp: program(tmp, "raise ValueError('bad')\n"),
        "the program failed: ValueError: bad (at stacks/__main__.py:1)",
    ),
    "two resources with one URN": (
        lambda tmp: program(tmp, "import pulumi_aws as aws\naws.s3.Bucket('x')\naws.s3.Bucket('x')\n"),
        "Duplicate resource URN",
    ),
    "a pack that crashed": (pack_run("crashing"), "exited with code 1 before serving"),
    "a pack that hung past `--pack-timeout`": (pack_run("hanging", "--pack-timeout", "2"), "did not answer Analyze"),
    "a pack that printed no port": (pack_run("garbage-port"), "where a port was expected"),
    "crosscloud's own code raised while the program ran": (
        our_code_raises,
        "the program failed inside crosscloud's own code: RuntimeError: component bug",
    ),
    "a catalog data error": (catalog_error, "catalog data is invalid"),
    "an internal error": (internal_error, "internal error: ZeroDivisionError"),
    "CI cancelled the job": (cancelled, ""),
}
NEEDS_MONKEYPATCH = {our_code_raises, catalog_error, internal_error}


def test_every_reproduction_is_a_documented_example() -> None:
    documented = {example for _code, example in table_examples()}
    assert set(REPRODUCTIONS) == documented, (
        f"not in the README: {sorted(set(REPRODUCTIONS) - documented)}; "
        f"no reproduction: {sorted(documented - set(REPRODUCTIONS))}"
    )


@pytest.mark.parametrize(("codes", "example"), table_examples())
def test_each_documented_example_exits_as_documented(
    codes: tuple[int, ...],
    example: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert example in REPRODUCTIONS, f"add a reproduction for the README's example {example!r}"
    reproduce, says = REPRODUCTIONS[example]
    got = reproduce(tmp_path, monkeypatch) if reproduce in NEEDS_MONKEYPATCH else reproduce(tmp_path)
    err = capsys.readouterr().err
    assert got in codes, f"{example}: exit {got}, the README says {codes}; stderr: {err}"
    if got in (2, 3) and reproduce is not fifo:
        assert err.strip() and "Traceback" not in err, err
        assert says in err, err
