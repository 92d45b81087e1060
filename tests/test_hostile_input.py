"""Hostile and careless input (issue 17): every case is one clear line and exit 2, never a traceback, never a
verdict. Each test names the class it covers; siblings of the reported example are included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.cli import main
from crosscloud.declaration import DeclarationError, declaration_from_config
from crosscloud.declaration.load import read_stack_file
from tests.conftest import ROOT, stack_config


def one_line_exit_2(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "Traceback" not in captured.err and captured.err.strip(), captured.err
    return captured.err


def write(tmp_path: Path, config: dict[str, Any], name: str = "Pulumi.dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


def problems(config: dict[str, Any], file: str = "Pulumi.dev.yaml") -> str:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, file)
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line for line in lines)
    return "\n".join(lines)


# -- class 2: crashes that exited 1 with a traceback --------------------------------------------------------------
def test_a_stack_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("config:\n  crosscloud:residency: \xe9u\n".encode("latin-1"))
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(bad))
    assert "is not UTF-8 text" in err


@pytest.mark.parametrize("depth", [70, 5000])
def test_yaml_nested_very_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("config:\n  crosscloud:tags: " + "[" * depth + "]" * depth + "\n")
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(deep))
    assert "nested more than 64 levels deep" in err


def test_non_finite_or_negative_pack_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("nan", "inf", "-1", "0", "soon"):
        with pytest.raises(SystemExit) as info:
            main(["check", "dev", "-C", str(ROOT), "--pack-timeout", value])
        assert info.value.code == 2
        assert "--pack-timeout" in capsys.readouterr().err


def test_output_into_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "-o", str(tmp_path / "missing" / "graph.json"))
    assert f"cannot write the graph (-o) here: its folder {tmp_path / 'missing'} does not exist" in err


def test_an_unexpected_error_is_exit_3_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import crosscloud.models_table

    def boom(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug of ours")

    # The CLI imports models_table when the command runs (lazy imports): patch it where it is looked up.
    monkeypatch.setattr(crosscloud.models_table, "models_table", boom)
    assert main(["models"]) == 3
    err = capsys.readouterr().err
    assert err == "crosscloud: internal error: ZeroDivisionError: a bug of ours (run with --debug for the traceback)\n"
    assert main(["--debug", "models"]) == 3
    assert "Traceback" in capsys.readouterr().err


# -- class 5: unbounded work ---------------------------------------------------------------------------------------
def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['  crosscloud:tags: &a ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"  k{i}: &a{i} [" + ",".join([f"*{'a' if i == 0 else f'a{i - 1}'}"] * 9) + "]" for i in range(9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("config:\n" + "\n".join(lines) + "\n")
    with pytest.raises(DeclarationError, match="expands to more than 200,000 values"):
        read_stack_file(bomb)


def test_a_huge_stack_file_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text("config:\n  crosscloud:residency: eu\n" + "#" * (2 * 1024 * 1024))
    with pytest.raises(DeclarationError, match="larger than 1024 KiB"):
        read_stack_file(huge)


def test_too_many_tags(capsys: pytest.CaptureFixture[str]) -> None:
    config = stack_config()
    config["crosscloud:tags"] = {f"team-{i}": "x" for i in range(45)}
    assert "crosscloud:tags" in problems(config) and "at most 44" in problems(config)


# -- class 6: cloud limits and names --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"aws:createdBy": "me"}, "uses a prefix the clouds reserve"),
        ({"Azure-Owner": "me"}, "uses a prefix the clouds reserve"),
        ({"Owner": "a", "owner": "b"}, "differ only in case"),
    ],
)
def test_reserved_and_case_duplicate_tag_keys(tags: dict[str, str], expected: str) -> None:
    config = stack_config()
    config["crosscloud:tags"] = tags
    assert expected in problems(config)


@pytest.mark.parametrize("stack", ["a::b c", "../../x", "x" * 101, "..", "prod/../../etc/passwd"])
def test_stack_names_follow_pulumis_rule(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    err = one_line_exit_2(capsys, "synth", stack, "-C", str(ROOT))
    assert "is not a valid stack name" in err
    assert "passwd.yaml" not in err


def test_a_long_valid_stack_name_checks_the_generated_resource_group(capsys: pytest.CaptureFixture[str]) -> None:
    stack = "s" * 100
    err = one_line_exit_2(capsys, "synth", stack, "-C", str(ROOT), "--config-file", str(ROOT / "Pulumi.dev.yaml"))
    assert "crosscloud:azure.resource_group" in err and "is not a valid Azure resource group name" in err


# -- class 3: secrets and key material ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_key_material_in_tags_is_refused(value: str) -> None:
    config = stack_config()
    config["crosscloud:tags"] = {"owner": "ml-platform", "access": value}
    assert "looks like key material" in problems(config)


def test_an_ordinary_commit_sha_is_not_mistaken_for_a_key() -> None:
    config = stack_config()
    config["crosscloud:tags"] = {"commit": "0123456789abcdef0123456789abcdef01234567"}
    declaration_from_config(config, "Pulumi.dev.yaml")


# -- class 7: loose validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cidr", ["127.0.0.0/16", "169.254.0.0/16", "198.18.0.0/16", "0.0.0.0/16", "8.8.0.0/16"])
def test_only_private_ranges_are_private(cidr: str) -> None:
    config = stack_config()
    config["crosscloud:aws"]["network"]["cidr"] = cidr
    assert "must lie inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)" in problems(
        config
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("crosscloud:aws", "network", "zones"), True),
        (("crosscloud:aws", "network", "zones"), "2"),
        (("crosscloud:endpoints", 1, "azure", "throughput", "provisioned"), "yes"),
        (("crosscloud:endpoints", 1, "azure", "throughput", "capacity"), 20.5),
    ],
)
def test_no_silent_type_coercion(path: tuple[Any, ...], value: object) -> None:
    config = stack_config()
    node: Any = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert "should be a valid" in problems(config)


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    dup = tmp_path / "Pulumi.dev.yaml"
    dup.write_text("config:\n  crosscloud:residency: eu\n  crosscloud:residency: us\n")
    with pytest.raises(DeclarationError, match="line 3, column 3: malformed YAML: found duplicate key 'crosscloud"):
        read_stack_file(dup)


def test_a_reservation_that_has_ended_is_refused_but_one_running_is_not() -> None:
    """A block that started yesterday is running: its declaration must keep working. One that ended is over."""
    config = stack_config("prod")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    block = next(g for g in config["crosscloud:gpu"] if g.get("reservation") == "capacity-block")
    block["starts"], block["ends"] = str(yesterday), str(yesterday + dt.timedelta(days=14))
    declaration_from_config(config, "Pulumi.prod.yaml")  # accepted
    block["starts"], block["ends"] = str(yesterday - dt.timedelta(days=14)), str(yesterday)
    assert "is not in the future" in problems(config, "Pulumi.prod.yaml")


def test_environment_follows_the_stack_name_or_is_required() -> None:
    config = stack_config("prod")
    config.pop("crosscloud:environment")
    assert declaration_from_config(config, "Pulumi.prod.yaml").spec.protect_stateful
    out = problems(config, "Pulumi.production.yaml")
    assert "crosscloud:environment: is required: the stack 'production' is not named dev, staging or prod" in out


# -- class 8: injection ------------------------------------------------------------------------------------------------
def test_escape_sequences_and_bidi_controls_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stack_config()
    config["crosscloud:residency"] = "eu\x1b]0;owned\x07\u202e"
    config["crosscloud:tagz\x1b[2J"] = "x"
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(write(tmp_path, config)))
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\x1b" in err


# -- class 10: misleading messages ------------------------------------------------------------------------------------
def test_a_directory_is_not_reported_as_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(tmp_path))
    assert "is a directory, not a stack file" in err


# -- issue 22.9: input errors that exited 3 (or hung) ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "tag"),
    [("!!binary aGVsbG8=", "!!binary"), ("!!timestamp 2026-12-07", "!!timestamp"), ("!!set {a, b}", "!!set")],
)
def test_yaml_types_pulumi_config_cannot_carry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, tag: str
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(f"config:\n  crosscloud:residency: eu\n  crosscloud:tags:\n    owner: {value}\n")
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(path))
    assert err == f"{path}: -: line 4: the YAML tag {tag} is not supported; write a plain string, number, " + (
        "boolean, list or mapping\n"
    )


@pytest.mark.parametrize("digits", [25, 400, 5000])
def test_integers_of_hundreds_of_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str], digits: int) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(f"config:\n  crosscloud:residency: eu\n  crosscloud:aws:\n    account_id: {'7' * digits}\n")
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(path))
    assert err == f"{path}: -: line 4: holds an integer of {digits} digits; at most 19 (a 64-bit integer)\n"
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(
        '{"project": "p", "stack": "dev", "config": {}, "resources": [], "outputs": {"n": ' + "7" * digits + "}}"
    )
    err = one_line_exit_2(capsys, "check", "--graph", str(graph_file), "-C", str(ROOT))
    assert err == f"{graph_file}: -: holds an integer of {digits} digits; at most 19 (a 64-bit integer)\n"


def test_non_finite_yaml_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  crosscloud:residency: eu\n  crosscloud:aws:\n    zones: .inf\n")
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(path))
    assert "line 4: holds a number that is not finite" in err


def test_lone_surrogates_in_config_or_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text('config:\n  crosscloud:residency: "eu\\ud800"\n')
    err = one_line_exit_2(capsys, "synth", "dev", "-C", str(ROOT), "--config-file", str(path))
    assert err == f"{path}: -: line 2: holds a lone surrogate escape (\\ud800-\\udfff), which is not text\n"
    graph_file = tmp_path / "graph.json"
    graph_file.write_text(
        '{"project": "p", "stack": "dev", "config": {}, "resources": [{"urn": "u", "type": "t", "name": "n", '
        '"inputs": {"tags": {"owner": "x\\udc00"}}}]}'
    )
    err = one_line_exit_2(capsys, "check", "--graph", str(graph_file), "-C", str(ROOT))
    assert err == (
        f"{graph_file}: resources[0].inputs.tags.owner: holds a lone surrogate escape (\\ud800-\\udfff), "
        "which is not text\n"
    )
    # a surrogate pair is an ordinary character
    graph_file.write_text('{"project": "p", "stack": "dev", "config": {"a:b": "\\ud83d\\ude00"}, "resources": []}')
    from crosscloud.engine.graph import Graph

    assert Graph.read(graph_file).config == {"a:b": "\U0001f600"}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_graph_out_onto_a_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph_file = tmp_path / "graph.json"
    assert main(["synth", "dev", "-C", str(ROOT), "-o", str(graph_file)]) == 0
    capsys.readouterr()
    err = one_line_exit_2(
        capsys, "check", "--graph", str(graph_file), "-C", str(ROOT), *ONE_PACK, "--graph-out", "/dev/full"
    )
    assert err == "/dev/full: -: cannot write the output file: No space left on device\n"


def test_a_full_disk_for_a_report_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from crosscloud.declaration import input_file

    real_open = Path.open

    def full(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "comment.md":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(input_file.Path, "open", full)
    target = tmp_path / "comment.md"
    err = one_line_exit_2(capsys, "check", "dev", "-C", str(ROOT), *ONE_PACK, "--report", f"markdown={target}")
    assert err == f"{target}: -: cannot write the output file: No space left on device\n"


def test_a_fifo_as_graph_is_refused_without_hanging(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    fifo = tmp_path / "graph.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", "check", "--graph", str(fifo), "-C", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"{fifo}: -: is not a regular file (a FIFO, device or socket), not a graph file\n"


def test_colliding_generated_names_are_refused_in_the_declaration() -> None:
    config = stack_config("prod")
    config["crosscloud:gpu"].append(dict(config["crosscloud:gpu"][0]))
    config["crosscloud:endpoints"].append({"name": "chat-spillover", "azure": {"model": "gpt-4o"}})
    config["crosscloud:identity"]["workloads"].append(dict(config["crosscloud:identity"]["workloads"][0]))
    out = problems(config, "Pulumi.prod.yaml")
    gpus = len(config["crosscloud:gpu"]) - 1
    workloads = len(config["crosscloud:identity"]["workloads"]) - 1
    assert (
        f"Pulumi.prod.yaml: crosscloud:gpu[{gpus}].name: 'finetune' is declared twice (also crosscloud:gpu[0]); "
        "the resources named after it would collide; allowed: a name of its own"
    ) in out
    assert f"crosscloud:identity.workloads[{workloads}].name: " in out
    assert (
        "crosscloud:endpoints[6].name: 'chat-spillover' is the name of the spillover deployment of the provisioned "
        "endpoint 'chat' (crosscloud:endpoints[0]); the two Azure deployments would collide"
    ) in out


ONE_PACK = ("--policy-pack", str(ROOT / "policies" / "governance"))
