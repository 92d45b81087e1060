"""Keyless identity across clouds: the inputs every trust policy and federated credential sends, exactly, and the
declaration rules around them (one line, exit 2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from crosscloud.cli import main
from crosscloud.components.aws import AwsContext, AwsIdentity, AwsIdentityArgs, WorkloadAccess
from crosscloud.components.aws.federation import (
    AwsFederation,
    AwsFederationArgs,
    ci_federation_document,
    entra_provider_arn,
    entra_token_document,
)
from crosscloud.components.aws.iam import EntraTrust, workload_role_arn
from crosscloud.components.azure import AzureIdentity, AzureIdentityArgs, IdentitySpec
from crosscloud.components.azure.identity import FederatedCredential, aws_role_credentials
from crosscloud.components.providers import aws_provider, with_provider
from crosscloud.declaration.spec import AwsSettings
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.synth import record
from tests.conftest import ROOT, stack_config

ACCOUNT = "123456789012"
TENANT = "11111111-2222-4333-8444-555555555555"
PRINCIPAL = "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c"
AUDIENCE = "api://crosscloud-test-bedrock"
CTX = AwsContext(partition="aws", region="eu-north-1", account=ACCOUNT, prefix="crosscloud-test")
ISSUER = "https://a1b2c3d4-0000-4111-8222-333344445555.tokens.sts.global.api.aws"


def run(body) -> list[Resource]:
    resources, _ = record("crosscloud", "test", {}, body)
    return resources


def of_type(resources: list[Resource], token: str) -> list[Resource]:
    return [r for r in resources if r.type == token]


def one(resources: list[Resource], token: str) -> Resource:
    [found] = of_type(resources, token)
    return found


def no_wildcard(document: object) -> None:
    text = json.dumps(document)
    assert "*" not in text.replace('"Resource": "*"', ""), text
    assert "StringLike" not in text and "ArnLike" not in text


# -- Azure workload -> AWS ------------------------------------------------------------------------------------------
def aws_side(*, manage_outbound: bool = False, provider_arn: str | None = None) -> list[Resource]:
    def body() -> None:
        opts = with_provider(aws_provider("aws", AwsSettings(region="eu-north-1")))
        federation = AwsFederation(
            "fed",
            AwsFederationArgs(
                ctx=CTX,
                entra_tenant_id=TENANT,
                entra_audiences=(AUDIENCE, AUDIENCE),
                entra_provider_arn=provider_arn,
                manage_outbound=manage_outbound,
            ),
            opts=opts,
        )
        assert federation.entra_provider_arn is not None
        AwsIdentity(
            "id",
            AwsIdentityArgs(
                ctx=CTX,
                workloads=(
                    WorkloadAccess(
                        "gateway",
                        services=("ecs-tasks.amazonaws.com",),
                        policy_arns=[pulumi.Output.from_input(f"arn:aws:iam::{ACCOUNT}:policy/crosscloud/p1")],
                        entra=EntraTrust(federation.entra_provider_arn, TENANT, AUDIENCE, PRINCIPAL),
                        entra_tokens=True,
                    ),
                    WorkloadAccess("plain", services=("lambda.amazonaws.com",)),
                ),
                entra_provider=federation.entra_provider,
            ),
            opts=opts,
        )

    return run(body)


def test_entra_oidc_provider_issuer_has_the_trailing_slash_the_audience_and_no_thumbprint() -> None:
    provider = one(aws_side(), "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://sts.windows.net/{TENANT}/"
    assert provider.inputs["clientIdLists"] == [AUDIENCE]  # once, however many workloads request it
    assert "thumbprintLists" not in provider.inputs


def test_workload_role_trusts_exactly_one_entra_identity_by_audience_and_subject() -> None:
    resources = aws_side()
    provider = one(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    role = next(r for r in of_type(resources, "aws:iam/role:Role") if r.inputs["name"] == "crosscloud-test-gateway")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    services, entra = trust["Statement"]
    assert services["Principal"] == {"Service": ["ecs-tasks.amazonaws.com"]}
    assert entra == {
        "Sid": "EntraWorkloadIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/sts.windows.net/{TENANT}/"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"sts.windows.net/{TENANT}/:aud": AUDIENCE,
                f"sts.windows.net/{TENANT}/:sub": PRINCIPAL,
            }
        },
    }
    no_wildcard(trust)
    assert provider.urn in role.dependencies, "the role is created after the provider it trusts"
    assert entra["Principal"]["Federated"] == entra_provider_arn("aws", ACCOUNT, TENANT)
    plain = next(r for r in of_type(resources, "aws:iam/role:Role") if r.inputs["name"] == "crosscloud-test-plain")
    assert "Federated" not in plain.inputs["assumeRolePolicy"], "only the federated workload trusts Entra"


def test_an_existing_entra_provider_is_reused() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/sts.windows.net/{TENANT}/"
    resources = aws_side(provider_arn=arn)
    assert not of_type(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    role = next(r for r in of_type(resources, "aws:iam/role:Role") if r.inputs["name"] == "crosscloud-test-gateway")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][1]["Principal"] == {"Federated": arn}


def test_workload_role_arn_is_known_and_matches_the_role() -> None:
    assert workload_role_arn(CTX, "gateway") == f"arn:aws:iam::{ACCOUNT}:role/crosscloud/crosscloud-test-gateway"


# -- AWS workload -> Azure ------------------------------------------------------------------------------------------
def test_outbound_federation_is_protected_and_retained() -> None:
    resources = aws_side(manage_outbound=True)
    outbound = one(resources, "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation")
    assert outbound.protect and outbound.retain_on_delete
    assert outbound.inputs == {}, "the resource has no inputs: it is the account-wide switch"


def test_no_outbound_federation_unless_the_stack_owns_it() -> None:
    assert not of_type(aws_side(), "aws:iam/outboundWebIdentityFederation:OutboundWebIdentityFederation")


def test_role_may_mint_tokens_only_for_entra_rs256_short_lived() -> None:
    resources = aws_side()
    [policy] = [p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy") if p.name == "id-gateway-entra-tokens"]
    document = json.loads(policy.inputs["policy"])
    assert document == entra_token_document()
    [statement] = document["Statement"]
    assert statement["Action"] == "sts:GetWebIdentityToken"
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": ["api://AzureADTokenExchange"]},
        "Null": {"sts:IdentityTokenAudience": "false"},
        "StringEquals": {"sts:SigningAlgorithm": "RS256"},
        "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
    }
    assert not [p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy") if p.name == "id-plain-entra-tokens"]


def test_ci_deploy_may_manage_only_the_tenant_provider_and_never_disable_outbound_federation() -> None:
    document = ci_federation_document("aws", ACCOUNT, TENANT, manage_outbound=True)
    provider, outbound = document["Statement"]
    assert provider["Resource"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/sts.windows.net/{TENANT}/"
    assert outbound["Action"] == ["iam:EnableOutboundWebIdentityFederation", "iam:GetOutboundWebIdentityFederationInfo"]
    assert "Disable" not in json.dumps(document)
    assert ci_federation_document("aws", ACCOUNT, None, manage_outbound=False)["Statement"] == []


def azure_side(issuer: Any, subjects: list[str]) -> list[Resource]:
    def body() -> None:
        import pulumi_azure_native as azure_native

        opts = with_provider(azure_native.Provider("azure", location="swedencentral"))
        AzureIdentity(
            "id",
            AzureIdentityArgs(
                location="swedencentral",
                resource_group_name="rg",
                identities=(IdentitySpec(name="workload-gateway", federated=aws_role_credentials(issuer, subjects)),),
            ),
            opts=opts,
        )

    return run(body)


def test_federated_credential_issuer_subject_audience_exact_and_chained() -> None:
    role = workload_role_arn(CTX, "gateway")
    other = f"arn:aws:iam::{ACCOUNT}:role/batch"
    credentials = of_type(azure_side(ISSUER, [role, other]), "azure-native:managedidentity:FederatedIdentityCredential")
    by_subject = {c.inputs["subject"]: c for c in credentials}
    assert set(by_subject) == {role, other}
    for c in credentials:
        assert c.inputs["issuer"] == ISSUER
        assert c.inputs["audiences"] == ["api://AzureADTokenExchange"]
        assert c.inputs["resourceName"] == UNKNOWN or c.inputs["resourceName"] == "id-workload-gateway"
        assert "*" not in json.dumps(c.inputs)
    first, second = sorted(credentials, key=lambda c: len(c.dependencies))
    assert first.urn in second.dependencies, "Entra refuses concurrent writes under one identity: one at a time"


def test_federated_credential_issuer_may_be_the_outbound_resource_output() -> None:
    def body() -> None:
        import pulumi_azure_native as azure_native

        issuer = pulumi.Output.from_input(ISSUER)
        opts = with_provider(azure_native.Provider("azure", location="swedencentral"))
        AzureIdentity(
            "id",
            AzureIdentityArgs(
                location="swedencentral",
                resource_group_name="rg",
                identities=(
                    IdentitySpec(name="wl", federated=aws_role_credentials(issuer, ["arn:aws:iam::1:role/x"])),
                ),
            ),
            opts=opts,
        )

    [credential] = of_type(run(body), "azure-native:managedidentity:FederatedIdentityCredential")
    assert credential.inputs["issuer"] == ISSUER


@pytest.mark.parametrize(
    ("field", "value"),
    [("subject", "arn:aws:iam::123456789012:role/*"), ("issuer", "https://*.tokens.sts.global.api.aws")],
)
def test_federated_credential_refuses_wildcards(field: str, value: str) -> None:
    good = {"name": "aws-role", "issuer": ISSUER, "subject": workload_role_arn(CTX, "gateway")}
    FederatedCredential(**good)
    with pytest.raises(ValueError, match="wildcard"):
        FederatedCredential(**{**good, field: value})


def test_an_identity_holds_at_most_twenty_federated_credentials() -> None:
    roles = [f"arn:aws:iam::{ACCOUNT}:role/r{i}" for i in range(21)]
    IdentitySpec(name="wl", federated=aws_role_credentials(ISSUER, roles[:20]))
    with pytest.raises(ValueError, match="at most 20"):
        IdentitySpec(name="wl", federated=aws_role_credentials(ISSUER, roles))


# -- the shipped stacks ---------------------------------------------------------------------------------------------
def synth_resources(stack: str, tmp_path: Path) -> dict[str, Any]:
    graph = tmp_path / "graph.json"
    assert main(["synth", stack, "-C", str(ROOT), "-o", str(graph)]) == 0
    return json.loads(graph.read_text())


def test_prod_federates_the_gateway_both_ways(tmp_path: Path) -> None:
    graph = synth_resources("prod", tmp_path)
    resources = {r["name"]: r for r in graph["resources"]}
    tenant = "00000000-0000-0000-0000-00000000c0de"  # the offline engine's answer to getClientConfig
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/crosscloud/crosscloud-prod-gateway"
    trust = json.loads(resources["aws-identity-gateway"]["inputs"]["assumeRolePolicy"])
    entra = trust["Statement"][-1]
    assert entra["Condition"]["StringEquals"] == {
        f"sts.windows.net/{tenant}/:aud": "api://crosscloud-prod-bedrock",
        f"sts.windows.net/{tenant}/:sub": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
    }
    assert resources["aws-federation-entra-oidc"]["inputs"]["url"] == f"https://sts.windows.net/{tenant}/"
    outbound = resources["aws-federation-outbound"]
    assert outbound["protect"] and outbound["retainOnDelete"]
    [credential] = [
        r
        for r in graph["resources"]
        if r["type"] == "azure-native:managedidentity:FederatedIdentityCredential"
        and r["name"].startswith("azure-identity-workload-gateway-aws-")
    ]
    assert credential["inputs"]["subject"] == role_arn
    assert credential["inputs"]["audiences"] == ["api://AzureADTokenExchange"]
    assert credential["inputs"]["issuer"] == UNKNOWN, "the account's issuer exists once the federation does"
    assert outbound["urn"] in credential["propertyDependencies"]["issuer"]
    workloads = graph["outputs"]["workloads"]["gateway"]
    assert workloads["azure_to_aws"]["issuer"] == f"https://sts.windows.net/{tenant}/"
    assert workloads["aws_to_azure"]["subjects"] == [role_arn]


# -- declaration errors: exit 2, one line ---------------------------------------------------------------------------
def gateway(federation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "gateway", "endpoints": ["chat", "embed"], "federation": federation, **extra}


INWARD = {"azure_to_aws": {"audience": AUDIENCE, "principal_id": PRINCIPAL}}


def declare(write_stack, mutate) -> Path:
    """dev's declaration without its own `gateway` workload, changed by `mutate` (which adds the case's)."""
    config = copy.deepcopy(stack_config("dev"))
    workloads = config["crosscloud:identity"]["workloads"]
    workloads[:] = [w for w in workloads if w["name"] != "gateway"]
    mutate(config)
    return write_stack(config)


def errors(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = main(["synth", "test", "-C", str(ROOT), "--config-file", str(path), "-o", "/dev/null"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    return err


def test_compliant_federation_declaration_is_accepted(write_stack, capsys: pytest.CaptureFixture[str]) -> None:
    def mutate(config: dict[str, Any]) -> None:
        config["crosscloud:identity"]["workloads"].append(
            gateway({**INWARD, "aws_to_azure": {}}, aws_services=["ecs-tasks.amazonaws.com"])
        )
        config["crosscloud:identity"]["federation"] = {"aws_outbound": {"issuer": ISSUER}}

    path = declare(write_stack, mutate)
    assert main(["synth", "test", "-C", str(ROOT), "--config-file", str(path), "-o", "/dev/null"]) == 0


@pytest.mark.parametrize(
    ("workload", "federation", "expected"),
    [
        (
            gateway({"aws_to_azure": {}}, aws_services=["ecs-tasks.amazonaws.com"]),
            {},
            "crosscloud:identity.federation.aws_outbound: None is missing",
        ),
        (
            gateway({**INWARD, "aws_to_azure": {}}),
            {"aws_outbound": {"issuer": ISSUER}},
            "federation.aws_to_azure: 'gateway' needs a workload role someone runs as",
        ),
        (
            gateway(
                {"aws_to_azure": {"roles": [f"arn:aws:iam::{ACCOUNT}:role/r{i}" for i in range(20)]}},
                aws_services=["ecs-tasks.amazonaws.com"],
            ),
            {"aws_outbound": {"issuer": ISSUER}},
            "Entra ID accepts at most 20 per identity",
        ),
        (
            {"name": "gateway", "endpoints": [], "federation": INWARD},
            {},
            "federation.azure_to_aws: 'gateway' calls no endpoint served on aws",
        ),
        (
            gateway({"azure_to_aws": {"audience": "https://not-an-app-id-uri", "principal_id": PRINCIPAL}}),
            {},
            "audience",
        ),
        (gateway({"azure_to_aws": {"audience": AUDIENCE, "principal_id": "*"}}), {}, "principal_id"),
        (gateway(INWARD), {"aws_outbound": {"manage": True, "issuer": ISSUER}}, "exactly one of manage"),
        (
            gateway(INWARD),
            {
                "entra_tenant_id": TENANT,
                "entra_oidc_provider_arn": (
                    f"arn:aws:iam::{ACCOUNT}:oidc-provider/sts.windows.net/99999999-2222-4333-8444-555555555555/"
                ),
            },
            "names tenant 99999999-2222-4333-8444-555555555555, not entra_tenant_id",
        ),
    ],
)
def test_federation_declaration_errors_exit_2_with_one_line(
    write_stack, capsys: pytest.CaptureFixture[str], workload: dict[str, Any], federation: dict[str, Any], expected: str
) -> None:
    def mutate(config: dict[str, Any]) -> None:
        config["crosscloud:identity"]["workloads"].append(workload)
        config["crosscloud:identity"]["federation"] = federation

    lines = errors(declare(write_stack, mutate), capsys)
    assert len(lines) == 1, lines
    assert expected in lines[0] and "Pulumi.test.yaml" in lines[0]


# -- the IAM linter reads what these documents use: each rule beside its twin ----------------------------------------
def test_linter_reads_multi_valued_numeric_and_null_conditions_and_resource_less_actions() -> None:
    from tests.iam_lint import lint

    assert lint(entra_token_document(), "identity") == []
    [statement] = copy.deepcopy(entra_token_document())["Statement"]
    single = {**statement, "Condition": {"StringEquals": {"sts:IdentityTokenAudience": "api://AzureADTokenExchange"}}}
    assert any("does not fit" in f for f in lint({"Version": "2012-10-17", "Statement": [single]}, "identity"))
    numeric = {**statement, "Condition": {"StringEquals": {"sts:DurationSeconds": "300"}}}
    assert any("does not fit" in f for f in lint({"Version": "2012-10-17", "Statement": [numeric]}, "identity"))
    wide = {"Sid": "Wide", "Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}
    assert any("on Resource '*'" in f for f in lint({"Version": "2012-10-17", "Statement": [wide]}, "identity"))
