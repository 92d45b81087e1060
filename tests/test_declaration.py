"""The stack declaration: the shipped stacks load, and every kind of bad input is one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crosscloud.declaration import DeclarationError, declaration_from_config, load_declaration
from crosscloud.declaration.load import read_stack_file
from tests.conftest import ROOT, stack_config


def errors_of(config: dict[str, Any]) -> list[str]:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, "Pulumi.test.yaml")
    lines = [str(i) for i in info.value.issues]
    assert all("\n" not in line and line.startswith("Pulumi.test.yaml: ") for line in lines)
    return lines


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_are_valid(stack: str) -> None:
    declaration = load_declaration(ROOT / f"Pulumi.{stack}.yaml")
    assert declaration.residency.name == "eu"
    assert declaration.endpoints


def test_prod_resolves_resident_offerings_on_both_clouds() -> None:
    declaration = load_declaration(ROOT / "Pulumi.prod.yaml")
    chat = next(e for e in declaration.endpoints if e.name == "chat")
    assert chat.aws is not None and chat.aws.invoke_id == "openai.gpt-oss-120b-1:0" and chat.aws.region == "eu-north-1"
    assert chat.azure is not None and chat.azure.sku == "ProvisionedManaged" and chat.azure.version == "2025-11-13"
    assert declaration.spec.protect_stateful


def test_unknown_model_names_the_key_and_suggests() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["aws"]["model"] = "gpt-oss-12b"
    [line] = errors_of(config)
    assert line.startswith(
        "Pulumi.test.yaml: crosscloud:endpoints[0].aws.model: 'gpt-oss-12b' is not in the model catalog"
    )
    assert "did you mean 'gpt-oss-120b'" in line and "allowed:" in line


def test_model_on_the_wrong_cloud() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["aws"]["model"] = "gpt-4.1"
    [line] = errors_of(config)
    assert "'gpt-4.1' is not offered on Amazon Bedrock" in line


def test_model_not_offered_in_region_lists_where_it_would_work() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["aws"]["model"] = "deepseek-v3-1"  # eu-central-1 has no DeepSeek
    [line] = errors_of(config)
    assert "'deepseek-v3-1' is not offered in eu-central-1" in line
    assert "regions: eu-north-1" in line and "models resident in eu-central-1:" in line and "gpt-oss-120b" in line


def test_model_whose_only_offerings_break_residency_names_the_offerings() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["azure"]["model"] = "gpt-5.5"  # GlobalStandard or the EU data zone (NO, CH)
    [line] = errors_of(config)
    assert "has no offering in swedencentral that keeps processing inside residency 'eu'" in line
    assert "GlobalStandard (processes worldwide)" in line and "DataZoneStandard (processes in its data zone)" in line
    assert "no region of this residency" in line


def test_azure_global_only_deployment_is_refused_with_alternatives() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["azure"] = {"model": "llama-3-3-70b", "route": "deployment"}
    [line] = errors_of(config)
    assert "crosscloud:endpoints[0].azure.model" in line and "has no deployment-route offering" in line
    assert "GlobalStandard (processes worldwide)" in line
    assert "regions: swedencentral" in line, "the serverless route would work there"


def test_unlisted_sku_region_is_refused_with_a_clear_line() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["azure"]["model"] = "gpt-oss-120b"
    [line] = errors_of(config)
    assert "'gpt-oss-120b' is not offered in swedencentral" in line
    assert "GlobalStandard: no model matrix lists a region, so unlisted" in line
    assert "models resident in swedencentral:" in line and "gpt-4.1" in line


def test_serverless_route_resolves_in_sweden_central() -> None:
    config = stack_config()
    config["crosscloud:identity"] = {"ci": {"github_repository": "acme/ml-platform"}}
    config["crosscloud:endpoints"] = [
        {"name": "search", "azure": {"model": "cohere-embed-multilingual-v3", "route": "serverless"}}
    ]
    [endpoint] = declaration_from_config(config, "Pulumi.test.yaml").endpoints
    assert endpoint.azure is not None and endpoint.azure.route == "serverless" and endpoint.azure.sku is None
    assert endpoint.azure.region == "swedencentral" and endpoint.azure.marketplace
    assert (
        endpoint.azure.serverless_model_id
        == "azureml://registries/azureml-cohere/models/Cohere-embed-v3-multilingual/versions/1"
    )


def test_default_route_takes_serverless_only_when_no_deployment_sku_is_resident() -> None:
    config = stack_config()
    config["crosscloud:identity"] = {"ci": {"github_repository": "acme/ml-platform"}}
    config["crosscloud:endpoints"] = [
        {"name": "search", "azure": {"model": "cohere-embed-multilingual-v3"}},
        {"name": "chat", "azure": {"model": "gpt-4.1"}},
    ]
    search, chat = declaration_from_config(config, "Pulumi.test.yaml").endpoints
    assert search.azure is not None and search.azure.route == "serverless"
    assert chat.azure is not None and chat.azure.route == "deployment" and chat.azure.sku == "Standard"


def test_serverless_route_with_a_sku_or_ptu_is_refused() -> None:
    config = stack_config()
    config["crosscloud:identity"] = {"ci": {"github_repository": "acme/ml-platform"}}
    config["crosscloud:endpoints"] = [
        {"name": "aa", "azure": {"model": "cohere-embed-multilingual-v3", "route": "serverless", "sku": "Standard"}},
        {"name": "bb", "azure": {"model": "llama-3-3-70b", "route": "serverless", "throughput": {"provisioned": True}}},
    ]
    first, second = errors_of(config)
    assert "crosscloud:endpoints[0].azure" in first and "the serverless route has none" in first
    assert "crosscloud:endpoints[1].azure" in second and "provisioned throughput needs a deployment" in second


def test_serverless_route_outside_its_regions_is_refused() -> None:
    config = stack_config()
    config["crosscloud:identity"] = {"ci": {"github_repository": "acme/ml-platform"}}
    config["crosscloud:azure"]["location"] = "francecentral"
    config["crosscloud:endpoints"] = [
        {"name": "search", "azure": {"model": "cohere-embed-multilingual-v3", "route": "serverless"}}
    ]
    [line] = errors_of(config)
    assert "'cohere-embed-multilingual-v3' is not offered in francecentral" in line and "regions: swedencentral" in line


def test_prod_refuses_offerings_the_catalog_marks_unverified() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"] = [{"name": "chat", "aws": {"model": "amazon-nova-2-lite"}}]
    config["crosscloud:identity"]["workloads"] = []
    declaration_from_config(config, "Pulumi.test.yaml")  # verified card table: fine in prod
    config["crosscloud:gpu"] = [
        {**config["crosscloud:gpu"][0], "cloud": "azure", "instance_type": "Standard_NC24ads_A100_v4", "zone": "1"}
    ]
    config["crosscloud:gpu"][0].pop("reservation")
    lines = errors_of(config)
    assert any("crosscloud:gpu[0].instance_type" in line and "verified: false" in line for line in lines)


def test_explicit_sku_outside_residency_is_refused() -> None:
    config = stack_config()
    config["crosscloud:endpoints"][0]["azure"]["sku"] = "DataZoneStandard"
    [line] = errors_of(config)
    assert "crosscloud:endpoints[0].azure.sku: 'DataZoneStandard' is not a resident offering of gpt-5.1" in line


def test_region_outside_the_residency_set() -> None:
    config = stack_config()
    config["crosscloud:aws"]["region"] = "eu-west-2"
    lines = errors_of(config)
    assert lines[0] == (
        "Pulumi.test.yaml: crosscloud:aws.region: 'eu-west-2' is outside residency 'eu'; "
        "allowed: eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3, eusc-de-east-1"
    )


def test_unknown_residency_and_unknown_region() -> None:
    config = stack_config()
    config["crosscloud:residency"] = "europa"
    config["crosscloud:azure"]["location"] = "swedencentrall"
    lines = errors_of(config)
    assert any("crosscloud:residency: 'europa' is not a residency set (did you mean 'europe'?)" in ln for ln in lines)
    assert any(
        "crosscloud:azure.location: 'swedencentrall' is not a known azure region (did you mean 'swedencentral'?)" in ln
        for ln in lines
    )


def test_misspelt_keys_at_every_level() -> None:
    config = stack_config()
    config["crosscloud:aws"]["regoin"] = config["crosscloud:aws"].pop("region")
    config["crosscloud:endpoint"] = []
    lines = errors_of(config)
    assert any("crosscloud:endpoint: unknown key (did you mean 'crosscloud:endpoints'?)" in ln for ln in lines)
    assert any(
        "crosscloud:aws.regoin: unknown key (did you mean 'region'?); allowed: region, account_id, network" in ln
        for ln in lines
    )


def test_overlapping_cidrs() -> None:
    config = stack_config()
    config["crosscloud:azure"]["network"]["cidr"] = "10.40.128.0/20"
    [line] = errors_of(config)
    assert "crosscloud:azure.network.cidr: '10.40.128.0/20' overlaps crosscloud:aws.network.cidr 10.40.0.0/16" in line


def test_public_cidr_is_refused() -> None:
    config = stack_config()
    config["crosscloud:aws"]["network"]["cidr"] = "8.8.0.0/16"
    [line] = errors_of(config)
    assert "crosscloud:aws.network.cidr: '8.8.0.0/16': must lie inside a private range (10.0.0.0/8" in line


def test_gpu_sku_without_a_reservation_type_in_the_region() -> None:
    config = stack_config("prod")
    config["crosscloud:gpu"][0]["region"] = "eu-south-2"
    config["crosscloud:gpu"][0]["zone"] = "eu-south-2a"
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].reservation: 'capacity-block' is not available for p5.48xlarge in eu-south-2" in line
    assert "regions of this residency with it: eu-north-1" in line


def test_gpu_nd_series_has_no_targeted_reservation() -> None:
    config = stack_config("prod")
    config["crosscloud:gpu"] = [
        {
            "name": "train",
            "cloud": "azure",
            "instance_type": "Standard_ND96isr_H100_v5",
            "count": 1,
            "zone": "1",
            "ends": "2031-01-31",
        }
    ]
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].reservation: 'targeted' is not available for Standard_ND96isr_H100_v5" in line


def test_gpu_future_dated_on_demand_p5_is_refused() -> None:
    config = stack_config("prod")
    config["crosscloud:gpu"][0]["reservation"] = "on-demand"
    [line] = errors_of(config)
    assert "crosscloud:gpu[0].starts: '2027-01-25' future-dated on-demand reservations are not offered" in line


def test_both_clouds_need_a_primary() -> None:
    config = stack_config()
    del config["crosscloud:endpoints"][0]["primary"]
    [line] = errors_of(config)
    assert "crosscloud:endpoints[0]:" in line and "primary is required" in line


def test_workload_names_an_undeclared_endpoint() -> None:
    config = stack_config("prod")
    config["crosscloud:identity"]["workloads"][0]["endpoints"] = ["chat", "vision"]
    [line] = errors_of(config)
    assert "crosscloud:identity.workloads[0].endpoints[1]: 'vision' is not a declared endpoint" in line


def test_secrets_are_refused_in_crosscloud_keys() -> None:
    config = stack_config()
    config["crosscloud:tags"] = {"secure": "AAABAMy..."}
    [line] = errors_of(config)
    assert "crosscloud:tags: is a secret" in line


def test_json_string_values_load_as_under_the_pulumi_cli() -> None:
    import json

    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config().items()}
    assert declaration_from_config(config, "Pulumi.dev.yaml").spec.aws is not None


def test_stack_file_is_read_as_pulumi_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  crosscloud:tags: {country: NO, since: 2026-12-07, on: yes, flag: true}\n")
    tags = read_stack_file(path)["crosscloud:tags"]
    assert tags == {"country": "NO", "since": "2026-12-07", "on": "yes", "flag": True}


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n  crosscloud:residency: eu\n   crosscloud:aws: [\n")
    with pytest.raises(DeclarationError) as info:
        load_declaration(path)
    [issue] = info.value.issues
    assert str(issue).startswith(f"{path}: line 3, column")


def test_unknown_top_level_key_in_stack_file(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("confg:\n  crosscloud:residency: eu\n")
    with pytest.raises(DeclarationError, match="confg.*is not a stack-file key"):
        load_declaration(path)


def test_profile_accepted_from_one_source_region_and_refused_from_another(tmp_path: Path) -> None:
    """A card whose eu. row from Stockholm adds London: Frankfurt passes, Stockholm is refused and told where to go."""
    import shutil

    from crosscloud.catalog import Catalog
    from crosscloud.catalog.loader import DATA_DIR
    from crosscloud.declaration.checks import check_declaration
    from crosscloud.declaration.load import parse_config

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    models = data / "models.yaml"
    text = models.read_text()
    sonnet = text.index("  claude-sonnet-4-5:")
    row = text.index("          eu-north-1: [", sonnet)
    end = text.index("\n", row)
    london = "          eu-north-1: [eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3]"
    models.write_text(text[:row] + london + text[end:])
    catalog = Catalog(data)

    def resolve(region: str) -> Any:
        config = stack_config()
        config["crosscloud:aws"]["region"] = region
        config["crosscloud:endpoints"] = [{"name": "chat", "aws": {"model": "claude-sonnet-4-5"}}]
        config["crosscloud:identity"] = {"ci": {"github_repository": "acme/ml-platform"}}
        return check_declaration(parse_config(config, "Pulumi.test.yaml"), catalog, "Pulumi.test.yaml")

    [chat] = resolve("eu-central-1").endpoints
    assert chat.aws is not None and chat.aws.prefix == "eu" and "eu-west-2" not in (chat.aws.destinations or ())
    with pytest.raises(DeclarationError) as info:
        resolve("eu-north-1")
    [line] = [str(i) for i in info.value.issues]
    assert "crosscloud:endpoints[0].aws.model: 'claude-sonnet-4-5' has no offering in eu-north-1" in line
    assert "routes from eu-north-1 to" in line and "eu-west-2 outside" in line
    assert "allowed: regions: eu-central-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3" in line
