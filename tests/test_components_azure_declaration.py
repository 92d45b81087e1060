"""The Azure-specific declaration fields: secure defaults, and one clear line for each bad choice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crosscloud.declaration import DeclarationError, declaration_from_config
from tests.conftest import stack_config

START = dt.date.today() + dt.timedelta(days=7)


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


VAULT = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/keys/providers/Microsoft.KeyVault/vaults/kv-a"
)


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, "Pulumi.test.yaml")
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line and line.startswith("Pulumi.test.yaml: ") for line in lines)
    return lines


def test_defaults_are_private_and_dns_managed_here() -> None:
    config = stack_config("prod")
    config["crosscloud:azure"] = {"location": "swedencentral", "network": {"cidr": "10.51.0.0/16"}}
    spec = declaration_from_config(config, "Pulumi.test.yaml").spec
    assert spec.azure is not None and spec.azure.network is not None
    assert spec.azure.foundry.public_network_access is False
    assert spec.azure.foundry.projects == ["default"]
    assert spec.azure.network.dns.mode == "create" and spec.azure.network.agent_subnet is False
    assert spec.azure.diagnostics.retention_days == 90


def test_prod_refuses_public_foundry_access() -> None:
    config = stack_config("prod")
    config["crosscloud:azure"]["foundry"]["public_network_access"] = True
    [line] = errors_of(config)
    assert line.startswith(
        "Pulumi.test.yaml: crosscloud:azure.foundry.public_network_access: True is not allowed in prod"
    )


def test_private_foundry_needs_a_network() -> None:
    config = stack_config("dev")
    config["crosscloud:azure"] = {"location": "swedencentral"}
    lines = errors_of(config)
    assert any("crosscloud:azure.network" in x and "reachable only through private endpoints" in x for x in lines)
    assert any("crosscloud:azure.network" in x and "self-hosted fleet on 'oss-a100'" in x for x in lines)


def test_existing_dns_needs_the_foundry_zone_ids() -> None:
    config = stack_config("prod")
    config["crosscloud:azure"]["network"]["dns"] = {"mode": "existing"}
    [line] = errors_of(config)
    assert "crosscloud:azure.network.dns" in line and "privatelink.openai.azure.com" in line


def test_existing_dns_with_a_serverless_endpoint_needs_the_machine_learning_zones() -> None:
    config = stack_config("prod")
    sub = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/dns/providers/Microsoft.Network"
    zones = {
        z: f"{sub}/privateDnsZones/{z}"
        for z in (
            "privatelink.cognitiveservices.azure.com",
            "privatelink.openai.azure.com",
            "privatelink.services.ai.azure.com",
        )
    }
    config["crosscloud:azure"]["network"]["dns"] = {"mode": "existing", "zone_ids": zones}
    [line] = errors_of(config)
    assert "crosscloud:azure.network.dns.zone_ids" in line and "privatelink.api.azureml.ms" in line


def test_zone_ids_only_with_existing_mode() -> None:
    config = stack_config("prod")
    config["crosscloud:azure"]["network"]["dns"] = {
        "mode": "policy",
        "zone_ids": {"privatelink.openai.azure.com": VAULT},
    }
    [line] = errors_of(config)
    assert "only read with mode 'existing'" in line


def test_cmk_needs_a_key_vault_id() -> None:
    config = stack_config("prod")
    config["crosscloud:azure"]["foundry"]["cmk"] = {"key_vault_id": "kv-a", "key_name": "k"}
    [line] = errors_of(config)
    assert "crosscloud:azure.foundry.cmk.key_vault_id" in line
    config["crosscloud:azure"]["foundry"]["cmk"] = {"key_vault_id": VAULT, "key_name": "k"}
    spec = declaration_from_config(config, "Pulumi.test.yaml").spec
    assert spec.azure is not None and spec.azure.foundry.cmk is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts": None}, "needs starts"),
        ({"ends": day(16)}, "16 days given"),
        ({"count": 3}, "count 3 given"),
    ],
)
def test_azure_block_reservation_rules(change: dict[str, Any], message: str) -> None:
    config = stack_config("dev")
    block = {
        "name": "h100",
        "cloud": "azure",
        "instance_type": "Standard_ND96isr_H100_v5",
        "count": 4,
        "zone": "1",
        "reservation": "block",
        "starts": day(0),
        "ends": day(21),
    }
    block.update(change)
    config["crosscloud:gpu"] = [{k: v for k, v in block.items() if v is not None}]
    [line] = errors_of(config)
    assert message in line


def test_azure_block_is_refused_where_the_catalog_lists_no_region() -> None:
    config = stack_config("dev")
    config["crosscloud:gpu"] = [
        {
            "name": "h100",
            "cloud": "azure",
            "instance_type": "Standard_ND96isr_H100_v5",
            "count": 4,
            "zone": "1",
            "reservation": "block",
            "starts": day(0),
            "ends": day(21),
        }
    ]
    config["crosscloud:endpoints"] = [e for e in config["crosscloud:endpoints"] if e["name"] != "chat-oss"]
    for workload in config["crosscloud:identity"]["workloads"]:  # dev's gateway calls chat-oss
        workload["endpoints"] = [e for e in workload["endpoints"] if e != "chat-oss"]
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].reservation" in line and "block" in line
