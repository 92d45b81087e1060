"""The self-hosted route in the declaration: what runs is resolved from the catalog and the pool; everything that
could not run as declared is one line naming the key (exit 2 at the CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from crosscloud.declaration import DeclarationError, declaration_from_config, load_declaration
from tests.conftest import ROOT, stack_config

FILE = "Pulumi.test.yaml"


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, FILE)
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line and line.startswith(f"{FILE}: ") for line in lines)
    return lines


def dev() -> dict[str, Any]:
    return stack_config("dev")


def oss(config: dict[str, Any]) -> dict[str, Any]:
    """The dev stack's self-hosted endpoint (chat-oss)."""
    endpoint: dict[str, Any] = next(e for e in config["crosscloud:endpoints"] if e["name"] == "chat-oss")
    return endpoint


def pool(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(g for g in config["crosscloud:gpu"] if g["name"] == name)
    return found


def test_dev_resolves_the_same_weights_and_image_on_both_clouds() -> None:
    declaration = load_declaration(ROOT / "Pulumi.dev.yaml")
    endpoint = next(e for e in declaration.endpoints if e.name == "chat-oss")
    aws, azure = endpoint.aws_selfhosted, endpoint.azure_selfhosted
    assert aws is not None and azure is not None and endpoint.aws is None and endpoint.azure is None
    assert (aws.repository, aws.revision) == (azure.repository, azure.revision)
    assert aws.revision == "b5c939de8f754692c1647ca79fbf85e8c1e70f8a"
    assert aws.image == azure.image and "@sha256:" in aws.image
    assert (aws.pool, aws.region, aws.zone, aws.instance_type, aws.reservation) == (
        "experiments", "eu-north-1", "eu-north-1b", "p5.48xlarge", "on-demand",
    )  # fmt: skip
    assert aws.own_network == "10.42.0.0/16", "the pool is outside eu-central-1: a VPC of its own"
    assert (azure.pool, azure.region, azure.zone, azure.reservation) == ("oss-a100", "swedencentral", "1", "targeted")
    assert azure.own_network is None and aws.replicas == azure.replicas == 1
    assert endpoint.serves("aws") and endpoint.serves("azure")


def test_a_model_that_does_not_fit_its_pool_is_one_line() -> None:
    config = dev()
    oss(config)["azure"]["model"] = "llama-3-3-70b"  # two 80 GB GPUs; NC24ads A100 v4 has one
    [line] = errors_of(config)
    assert line.startswith(f"{FILE}: crosscloud:endpoints[3].azure.gpu: 'oss-a100' does not fit the model")
    assert "needs 2 NVIDIA GPU(s) of at least 80 GB each" in line and "1 x NVIDIA A100 80GB" in line
    assert "allowed: a pool of Standard_NC96ads_A100_v4" in line


def test_a_pool_type_without_known_gpu_memory_does_not_fit() -> None:
    config = dev()
    pool(config, "experiments")["instance_type"] = "p4d.24xlarge"  # A100 40GB: gpt-oss-120b needs 80 GB
    pool(config, "experiments")["region"] = "eu-north-1"
    lines = errors_of(config)
    assert any("'experiments' does not fit the model" in line and "8 x NVIDIA A100 40GB" in line for line in lines)


def test_an_undeclared_pool_is_refused_with_the_pools_of_that_cloud() -> None:
    config = dev()
    oss(config)["aws"]["gpu"] = "experiment"
    [line] = errors_of(config)
    assert (
        "crosscloud:endpoints[3].aws.gpu: 'experiment' is not a declared GPU pool (did you mean 'experiments'?)" in line
    )
    assert "allowed: aws pools: experiments" in line


def test_a_pool_of_the_other_cloud_is_refused() -> None:
    config = dev()
    oss(config)["aws"]["gpu"] = "oss-a100"
    lines = errors_of(config)
    assert any("aws.gpu: 'oss-a100' is an azure pool (crosscloud:gpu[1])" in line for line in lines)


def test_replicas_beyond_the_reservation_are_refused() -> None:
    config = dev()
    oss(config)["aws"]["replicas"] = 2
    [line] = errors_of(config)
    assert "crosscloud:endpoints[3].aws.replicas: 2 is more than pool 'experiments' reserves (1 x p5.48xlarge)" in line
    assert "allowed: 1 to 1" in line


def test_a_pool_outside_the_stack_region_needs_a_disjoint_cidr_and_an_unused_one_is_a_note() -> None:
    config = dev()
    del pool(config, "experiments")["cidr"]
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].cidr: None is missing: pool 'experiments' is in eu-north-1" in line
    config = dev()
    pool(config, "experiments")["cidr"] = "10.40.0.0/20"  # inside the stack's VPC range
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].cidr: '10.40.0.0/20' overlaps crosscloud:aws.network.cidr 10.40.0.0/16" in line
    config = dev()
    oss(config)["aws"] = {"model": "gpt-oss-120b"}  # Bedrock again: nobody reads the pool's cidr
    [note] = declaration_from_config(config, FILE).notes
    assert "crosscloud:gpu[0].cidr: 10.42.0.0/16 is not used: it is read only for an AWS pool" in note


def test_a_pool_in_the_stack_region_must_be_in_a_zone_of_the_network() -> None:
    config = stack_config("prod")
    config["crosscloud:serving"] = {"image_digest": "sha256:" + "a" * 64}
    config["crosscloud:endpoints"].append(
        {"name": "chat-oss", "aws": {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "serving"}}
    )
    assert declaration_from_config(config, FILE).endpoints[-1].aws_selfhosted is not None
    config["crosscloud:aws"]["network"]["zones"] = 1  # eu-north-1a only; the pool is in eu-north-1b
    [line] = errors_of(config)
    assert (
        "crosscloud:gpu[1].zone: 'eu-north-1b' has no private subnet: crosscloud:aws.network.zones builds eu-north-1a"
        in line
    )


def test_prod_refuses_unverified_gpu_rows_and_an_unverified_image_digest() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"].append(
        {"name": "chat-oss", "aws": {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "serving"}}
    )
    [line] = errors_of(config)
    assert line.startswith(f"{FILE}: crosscloud:serving.image_digest: None is missing, and prod needs it")
    assert "crane digest" in line
    config["crosscloud:serving"] = {"image_digest": "sha256:" + "b" * 64}
    declaration = declaration_from_config(config, FILE)
    assert declaration.endpoints[-1].aws_selfhosted.image.endswith("@sha256:" + "b" * 64)  # type: ignore[union-attr]
    config["crosscloud:gpu"].append(
        {"name": "oss-a100", "cloud": "azure", "instance_type": "Standard_NC24ads_A100_v4", "count": 1, "zone": "1",
         "ends": "2027-01-29", "approved_by": "finops FIN-1"}
    )  # fmt: skip
    config["crosscloud:endpoints"][-1]["azure"] = {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "oss-a100"}
    config["crosscloud:endpoints"][-1]["primary"] = "aws"
    lines = errors_of(config)
    assert any(
        "crosscloud:gpu[2].instance_type: 'Standard_NC24ads_A100_v4' has reservation regions no primary" in x
        for x in lines
    )


def test_prod_refuses_open_weights_no_primary_source_confirms() -> None:
    config = stack_config("prod")
    config["crosscloud:serving"] = {"image_digest": "sha256:" + "c" * 64}
    config["crosscloud:endpoints"].append(
        {"name": "llama", "aws": {"model": "llama-3-3-70b", "route": "selfhosted", "gpu": "serving"}}
    )
    [line] = errors_of(config)
    assert (
        "crosscloud:endpoints[6].aws.model: 'llama-3-3-70b' has open weights whose revision or licence no primary"
        in line
    )


def test_one_pool_serves_one_endpoint() -> None:
    config = dev()
    config["crosscloud:endpoints"].append(
        {"name": "chat-oss-2", "azure": {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "oss-a100"}}
    )
    [line] = errors_of(config)
    assert "crosscloud:endpoints[4].azure.gpu: 'oss-a100' already serves crosscloud:endpoints[3]" in line


def test_a_model_without_open_weights_cannot_be_self_hosted() -> None:
    config = dev()
    oss(config)["azure"]["model"] = "gpt-5.1"
    [line] = errors_of(config)
    assert "crosscloud:endpoints[3].azure.model: 'gpt-5.1' has no open weights in the catalog" in line
    assert "allowed: gpt-oss-120b, llama-3-3-70b" in line


def test_azure_block_pools_and_other_locations_are_refused() -> None:
    config = dev()
    pool(config, "oss-a100")["region"] = "westeurope"
    lines = errors_of(config)
    assert any("crosscloud:gpu[1].region: 'westeurope' is not crosscloud:azure.location" in x for x in lines)


@pytest.mark.parametrize(
    ("choice", "says"),
    [
        ({"model": "gpt-oss-120b", "route": "selfhosted"}, "route selfhosted needs gpu"),
        ({"model": "gpt-oss-120b", "gpu": "experiments"}, "gpu and replicas belong to route: selfhosted"),
        (
            {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "experiments", "provisioned": {"model_units": 1}},
            "provisioned buys Bedrock throughput",
        ),
        (
            {"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "experiments", "lifecycle_ack": "ml-lead PLAT-1"},
            "pinned open weights do not retire",
        ),
        ({"model": "gpt-oss-120b", "route": "selfhosted", "gpu": "experiments", "replicas": 0}, "replicas"),
    ],
)
def test_structural_mistakes_in_the_route_are_one_line(choice: dict[str, Any], says: str) -> None:
    config = dev()
    oss(config)["aws"] = choice
    lines = errors_of(config)
    assert len(lines) == 1 and says in lines[0] and "crosscloud:endpoints[3].aws" in lines[0]


def test_azure_selfhosted_takes_no_sku_or_throughput() -> None:
    config = dev()
    oss(config)["azure"]["throughput"] = {"capacity": 10}
    [line] = errors_of(config)
    assert "sku and throughput describe a Foundry deployment" in line


def test_the_cli_exits_2_with_the_line(tmp_path: Path) -> None:
    config = dev()
    oss(config)["aws"]["replicas"] = 3
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", "synth", "dev", "-C", str(ROOT), "--config-file", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "aws.replicas: 3 is more than pool 'experiments' reserves" in lines[0]
    assert "Traceback" not in result.stderr
