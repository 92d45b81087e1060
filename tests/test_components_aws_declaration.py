"""The AWS parts of the declaration: guardrail, invocation logging, provisioned throughput, endpoint services,
workload principals, CI and Capacity Block windows; each bad value is one clear line."""

from __future__ import annotations

from typing import Any

import pytest

from crosscloud.declaration import DeclarationError, declaration_from_config
from tests.conftest import stack_config


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, "Pulumi.test.yaml")
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line and line.startswith("Pulumi.test.yaml: ") for line in lines)
    return lines


def test_secure_defaults() -> None:
    config = stack_config("dev")
    config["crosscloud:aws"] = {"region": "eu-central-1"}
    aws = declaration_from_config(config, "Pulumi.test.yaml").spec.aws
    assert aws is not None
    assert aws.guardrail.content_filter_strength == "HIGH" and "EMAIL" in aws.guardrail.pii_entities
    assert aws.invocation_logging.enabled is False, "a singleton per account and Region: opt in from one stack"


def test_shipped_stacks_exercise_the_aws_settings() -> None:
    for stack in ("dev", "prod"):
        spec = declaration_from_config(stack_config(stack), f"Pulumi.{stack}.yaml").spec
        assert spec.aws is not None and spec.aws.invocation_logging.enabled
        assert spec.aws.guardrail.denied_topics and spec.identity.ci is not None
        assert any(w.aws_services for w in spec.identity.workloads)
        assert any(g.cloud == "aws" for g in spec.gpu)


def test_unknown_guardrail_key_is_refused() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["guardrail"]["strenght"] = "HIGH"
    [line] = errors_of(config)
    assert "crosscloud:aws.guardrail.strenght: unknown key" in line


def test_unknown_pii_type_is_refused() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["guardrail"]["pii_entities"] = ["EMAIL", "SHOE_SIZE"]
    [line] = errors_of(config)
    assert "crosscloud:aws.guardrail.pii_entities[1]" in line and "SHOE_SIZE" in line


def test_log_retention_must_be_a_cloudwatch_period() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["invocation_logging"]["retention_days"] = 100
    [line] = errors_of(config)
    assert "crosscloud:aws.invocation_logging.retention_days" in line and "must be a CloudWatch Logs retention" in line


def test_lifecycle_must_archive_before_it_expires() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["invocation_logging"] |= {"archive_days": 90, "expire_days": 60}
    [line] = errors_of(config)
    assert "expire_days must be greater than archive_days" in line


def test_provisioned_throughput_only_where_the_catalog_documents_it() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"][0]["aws"]["provisioned"] = {"model_units": 1, "commitment": "OneMonth"}
    [line] = errors_of(config)
    assert (
        "crosscloud:endpoints[0].aws.provisioned: 'gpt-oss-120b' has no Bedrock provisioned throughput in eu-north-1"
        in line
    )


def test_provisioned_throughput_commitment_is_a_known_term() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"][0]["aws"]["provisioned"] = {"model_units": 1, "commitment": "OneYear"}
    [line] = errors_of(config)
    assert "crosscloud:endpoints[0].aws.provisioned.commitment" in line


def test_aws_workload_needs_a_principal() -> None:
    config = stack_config("prod")
    del config["crosscloud:identity"]["workloads"][0]["aws_services"]
    [line] = errors_of(config)
    assert "crosscloud:identity.workloads[0]: 'rag-api' calls chat, embed on AWS but names no principal" in line


def test_workload_role_arn_must_be_a_role() -> None:
    config = stack_config("prod")
    config["crosscloud:identity"]["workloads"][0]["aws_roles"] = ["arn:aws:iam::123456789012:user/alice"]
    [line] = errors_of(config)
    assert "crosscloud:identity.workloads[0].aws_roles[0]" in line


def test_ci_branch_and_provider_are_validated() -> None:
    config = stack_config("prod")
    config["crosscloud:identity"]["ci"]["branch"] = "main*"
    config["crosscloud:identity"]["ci"]["oidc_provider_arn"] = "arn:aws:iam::123456789012:oidc-provider/example.com"
    lines = errors_of(config)
    assert any("crosscloud:identity.ci.branch" in line for line in lines)
    assert any("crosscloud:identity.ci.oidc_provider_arn" in line for line in lines)


@pytest.mark.parametrize(("starts", "ends"), [("2030-12-07", "2030-12-22"), ("2030-12-07", "2031-07-01")])
def test_capacity_block_lasts_a_bookable_duration(starts: str, ends: str) -> None:
    config = stack_config("prod")
    config["crosscloud:gpu"][0] |= {"starts": starts, "ends": ends}
    [line] = errors_of(config)
    assert "a Capacity Block lasts 1-14 days or a multiple of 7 days up to 182" in line


def test_capacity_block_needs_a_start() -> None:
    config = stack_config("prod")
    del config["crosscloud:gpu"][0]["starts"]
    [line] = errors_of(config)
    assert "a capacity-block reservation needs starts" in line


def test_unknown_endpoint_service_flag_is_refused() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["network"]["endpoints"]["agent"] = True
    [line] = errors_of(config)
    assert "crosscloud:aws.network.endpoints.agent: unknown key" in line


def test_workload_cannot_take_a_crosscloud_role_name() -> None:
    config = stack_config("prod")
    config["crosscloud:identity"]["workloads"][0]["name"] = "ci-deploy"
    [line] = errors_of(config)
    assert "crosscloud:identity.workloads[0].name: 'ci-deploy' is the name of a role crosscloud creates itself" in line
