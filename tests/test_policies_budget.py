"""monthly-commitment-within-budget (capacity pack): the month's commitments, priced from the catalog's price table,
against `crosscloud:budget`. A compliant stack and its twin that differs only in the budget run through the real pack
process; what cannot be priced fails closed (checked on the rule directly)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pulumi.runtime
import pytest

from crosscloud.catalog import load_catalog
from crosscloud.engine.check import check_graph
from crosscloud.engine.graph import Graph, Resource
from crosscloud.engine.project import Project
from crosscloud.policies.rules.base import ResourceView, RuleContext, StackView
from crosscloud.policies.rules.capacity import BLOCK_TAG, check_budget
from tests.graphs import graph, provider, resource

RULE = "monthly-commitment-within-budget"
TODAY = dt.datetime.now(dt.UTC).date()
FAR = (TODAY + dt.timedelta(days=120)).isoformat()
BLOCK = f"p5.48xlarge:2:{TODAY + dt.timedelta(days=7)}:{TODAY + dt.timedelta(days=21)}"
TITAN = "arn:aws:bedrock:eu-north-1::foundation-model/amazon.titan-embed-text-v2:0"
# At the shipped (unverified) list prices, 730 hours a month:
ODCR = 55.04 * 730  # 1 x p5.48xlarge On-Demand reservation
CAPACITY_BLOCK = 2 * 39.33 * 14 * 24  # a 14-day block of 2 x p5.48xlarge
PTU = 50 * 2.0 * 730  # 50 PTU ProvisionedManaged
A100 = 3.672 * 730  # 1 x Standard_NC24ads_A100_v4 targeted reservation


def commitments() -> list[Resource]:
    north = provider("aws", "aws-north", region="eu-north-1")
    az = provider("azure-native", "az", location="swedencentral")
    rg = resource("azure-native:resources:ResourceGroup", "rg", az, resourceGroupName="rg", location="swedencentral")
    account = resource(
        "azure-native:cognitiveservices:Account", "ai", az, accountName="ai", resourceGroupName="rg",
        location="swedencentral", kind="AIServices",
    )  # fmt: skip
    return [
        north,
        az,
        rg,
        account,
        resource(
            "aws:ec2/capacityReservation:CapacityReservation",
            "serving",
            north,
            instanceType="p5.48xlarge",
            instanceCount=1,
            endDateType="limited",
            endDate=f"{FAR}T00:00:00Z",
        ),
        resource(
            "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
            "finetune",
            north,
            capacityBlockOfferingId="cb-1",
            instancePlatform="Linux/UNIX",
            tags={BLOCK_TAG: BLOCK},
        ),
        resource(
            "azure-native:cognitiveservices:Deployment",
            "chat-ptu",
            az,
            accountName="ai",
            resourceGroupName="rg",
            deploymentName="chat",
            sku={"name": "ProvisionedManaged", "capacity": 50},
        ),
        resource(
            "azure-native:cognitiveservices:Deployment",
            "chat-standard",
            az,
            accountName="ai",
            resourceGroupName="rg",
            deploymentName="chat-spillover",
            sku={"name": "Standard", "capacity": 50},
        ),
        resource(
            "azure-native:compute:CapacityReservation",
            "a100",
            az,
            resourceGroupName="rg",
            location="swedencentral",
            capacityReservationGroupName="crg",
            sku={"name": "Standard_NC24ads_A100_v4", "capacity": 1},
            tags={"crosscloud:ends": FAR},
        ),
    ]


def with_budget(budget: dict[str, Any]) -> Graph:
    g = graph(commitments())
    g.config["crosscloud:budget"] = json.dumps(budget)
    return g


def findings(project: Project, g: Graph) -> list[str]:
    result = check_graph(g, [project.root / "policies" / "capacity"], {"all": "mandatory"})
    return [v.message for v in result.violations if v.policy == RULE]


def test_within_budget_and_its_twin_over_budget(project: Project) -> None:
    aws, azure = ODCR + CAPACITY_BLOCK, PTU + A100
    assert findings(project, with_budget({"monthly": {"aws": 70_000, "azure": 80_000, "total": 150_000}})) == []
    over = findings(project, with_budget({"monthly": {"aws": 60_000, "azure": 80_000, "total": 150_000}}))
    assert over == [
        f"monthly commitment on aws is {aws:,.2f} USD, over the budget of 60,000.00 USD (list prices include "
        "unverified rows) (crosscloud:budget)"
    ]
    assert findings(project, with_budget({"monthly": {"total": aws + azure - 1}}))[0].startswith(
        f"monthly commitment in total is {aws + azure:,.2f} USD"
    )


def _view(res: Resource, providers: dict[str, Resource]) -> ResourceView:
    via = providers.get(res.provider or "")
    return ResourceView(
        type=res.type,
        props=res.inputs,
        provider_type=via.type if via else None,
        provider_props=via.inputs if via else None,
        urn=res.urn,
        name=res.name,
    )


def run_rule(
    monkeypatch: pytest.MonkeyPatch,
    resources: list[Resource],
    stack: dict[str, Any],
    config: dict[str, Any] | None = None,
) -> list[str]:
    providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
    views = tuple(_view(r, providers) for r in resources)
    values = {k: json.dumps(v) for k, v in stack.items()}
    monkeypatch.setattr(pulumi.runtime, "get_config", lambda key: values.get(key))
    catalog = load_catalog()
    ctx = RuleContext(catalog=catalog, residency=catalog.residency("eu"), residency_name="eu", config=config or {})
    return [message for _view_, message in check_budget(StackView(views), ctx)]


def test_what_cannot_be_priced_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    north = provider("aws", "aws-north", region="eu-north-1")
    untagged = resource(
        "aws:ec2/capacityBlockReservation:CapacityBlockReservation",
        "block-untagged",
        north,
        capacityBlockOfferingId="x",
    )
    throughput = resource(
        "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput", "embed-pt", north, modelArn=TITAN,
        modelUnits=2, commitmentDuration="OneMonth",
    )  # fmt: skip
    budget = {"crosscloud:budget": {"monthly": {"total": 1_000_000}}}
    messages = run_rule(monkeypatch, [north, untagged, throughput], budget)
    assert any(m.startswith("Capacity Block block-untagged: its inputs do not say what it holds") for m in messages)
    assert any(
        "embed-pt: no price for bedrock-provisioned titan-embed-text-v2 in eu-north-1 (OneMonth)" in m for m in messages
    ), messages
    # The stack's contract price for the model units makes the same throughput priceable, and within the budget.
    row = {
        "kind": "bedrock-provisioned", "sku": "titan-embed-text-v2", "region": "eu-north-1", "term": "OneMonth",
        "price": 20.0, "unit": "model-unit-hour", "date": "2026-12-01", "source": "contract ACME-7", "verified": True,
    }  # fmt: skip
    priced = run_rule(monkeypatch, [north, throughput], {**budget, "crosscloud:prices": [row]})
    assert priced == []
    low = {"crosscloud:budget": {"monthly": {"aws": 2 * 20.0 * 730 - 1}}, "crosscloud:prices": [row]}
    assert run_rule(monkeypatch, [north, throughput], low) == [
        f"monthly commitment on aws is {2 * 20.0 * 730:,.2f} USD, over the budget of {2 * 20.0 * 730 - 1:,.2f} USD "
        "(crosscloud:budget)"
    ]


def test_budget_sources_and_their_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy config's budget (the platform team's) applies beside the stack's; a malformed one, a currency the
    prices are not in, or no budget where one is required, is a finding, never a pass."""
    resources = commitments()
    pinned = {"budget": {"monthly": {"azure": PTU + A100 - 1}}}
    assert run_rule(monkeypatch, resources, {}, pinned) == [
        f"monthly commitment on azure is {PTU + A100:,.2f} USD, over the budget of {PTU + A100 - 1:,.2f} USD (list "
        "prices include unverified rows) (policy config budget)"
    ]
    assert run_rule(monkeypatch, resources, {}) == []  # no budget: nothing to hold the month to
    assert run_rule(monkeypatch, resources, {}, {"require_budget": True}) == [
        "no budget is set; allowed: crosscloud:budget = {currency, monthly: {total, aws, azure}}"
    ]
    [bad] = run_rule(monkeypatch, resources, {"crosscloud:budget": {"monthly": {}}})
    assert bad.startswith("crosscloud:budget.monthly: Value error, name at least one of total, aws, azure")
    euros = run_rule(monkeypatch, resources[:5], {"crosscloud:budget": {"currency": "EUR", "monthly": {"total": 1e9}}})
    assert euros == [
        "serving: priced in USD, the budget is in EUR; give crosscloud:prices a row in EUR (crosscloud:budget)"
    ]


def test_the_rule_and_crosscloud_cost_agree_on_the_shipped_stacks(project: Project) -> None:
    """The rule reads the resources the program creates, `crosscloud cost` the declaration: same commitments, same
    month, for dev and prod (each stays within its own budget)."""
    from crosscloud.cli import _stack_config, _synth
    from crosscloud.declaration import declaration_from_config
    from crosscloud.evidence.cost import cost_report

    for stack in ("dev", "prod"):
        path, config = _stack_config(project, stack, None)
        declaration = declaration_from_config(config, str(path), project=project.name, stack=stack)
        report = cost_report(stack, declaration, load_catalog(), TODAY)
        assert report.priced and not report.over_budget, stack
        total = report.totals["total"]
        g = _synth(project, stack, None)
        tight = json.loads(g.config["crosscloud:budget"])
        tight["monthly"] = {"total": round(total - 0.01, 2)}
        g.config["crosscloud:budget"] = json.dumps(tight)
        [message] = findings(project, g)
        assert message.startswith(f"monthly commitment in total is {total:,.2f} "), (stack, message)
