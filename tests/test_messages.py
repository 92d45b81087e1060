"""Messages that are true (issue 23.3), each pinned by its text: what a `sku:` error allows, which alternatives an
endpoint is offered, which version a pack's messages name, and what a config error quotes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crosscloud.declaration import DeclarationError, declaration_from_config
from crosscloud.engine.check import check_graph
from crosscloud.engine.graph import UNKNOWN
from tests.conftest import stack_config
from tests.graphs import graph, provider, resource


def problems(config: dict[str, object], file: str = "Pulumi.prod.yaml") -> list[str]:
    with pytest.raises(DeclarationError) as info:
        declaration_from_config(config, file)
    return [str(i) for i in info.value.issues]


def test_a_global_sku_error_lists_the_skus_that_would_be_allowed() -> None:
    config = stack_config("prod")
    summarise = next(e for e in config["crosscloud:endpoints"] if e["name"] == "summarise")
    summarise["azure"]["sku"] = "GlobalStandard"
    index = config["crosscloud:endpoints"].index(summarise)
    [line] = problems(config)
    assert line == (
        f"Pulumi.prod.yaml: crosscloud:endpoints[{index}].azure.sku: 'GlobalStandard' is not a resident offering of "
        "gpt-5.1 in swedencentral under residency 'eu' (offerings: GlobalStandard (processes worldwide); "
        "DataZoneStandard (processes in its data zone); Standard (processes in-region)); "
        "allowed: SKUs of gpt-5.1 resident in swedencentral: Standard"
    )
    assert "allowed: regions:" not in line


def test_a_sku_error_with_no_resident_sku_says_so_and_where_the_model_would_be() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"] = [{"name": "chat", "azure": {"model": "gpt-5.5", "sku": "GlobalStandard"}}]
    [line] = [p for p in problems(config) if "crosscloud:endpoints[0]" in p]
    assert "allowed: no SKU of gpt-5.5 in swedencentral is resident; " in line
    assert "; chat models resident in swedencentral: " in line


def test_a_chat_endpoint_is_offered_only_chat_models() -> None:
    config = stack_config("prod")
    config["crosscloud:endpoints"] = [{"name": "chat", "azure": {"model": "gpt-5.5"}}]
    [line] = [p for p in problems(config) if "crosscloud:endpoints[0]" in p]
    offered = line.split("chat models resident in swedencentral: ", 1)[1].split(", ")
    from crosscloud.catalog import load_catalog

    catalog = load_catalog()
    assert offered and all(catalog.models[m].kind == "chat" for m in offered), offered
    assert "text-embedding-3-large" not in line and "cohere-embed" not in line


def test_an_embedding_endpoint_is_offered_only_embedding_models() -> None:
    config = stack_config("prod")
    config["crosscloud:aws"]["region"] = "eu-south-2"
    config["crosscloud:endpoints"] = [{"name": "embed", "aws": {"model": "cohere-embed-english-v3"}}]
    found = [p for p in problems(config) if "endpoints[0].aws.model" in p]
    if not found:
        pytest.skip("cohere-embed-english-v3 is resident in eu-south-2 in this catalog")
    assert "embedding models resident in eu-south-2: " in found[0]
    assert "gpt-oss" not in found[0].split("embedding models resident", 1)[1]


def test_a_pack_names_its_pulumipolicy_version_in_its_messages(tmp_path: Path) -> None:
    """pulumi_policy writes its hard-coded 0.0.1 into "can't run policy ... during preview": the message names the
    version PulumiPolicy.yaml gives, as the summary does."""
    pack = tmp_path / "reads-unknowns"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(
        "description: reads a value unknown at preview\nversion: 1.4.2\nruntime: python\n"
    )
    (pack / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "def validate(args, report_violation):\n"
        "    if args.props.get('bucket', '').startswith('x'):\n"
        "        report_violation('never')\n"
        "PolicyPack(name='reads-unknowns', enforcement_level=EnforcementLevel.MANDATORY, policies=[\n"
        "    ResourceValidationPolicy(name='reads-bucket', description='reads', validate=validate)])\n",
        encoding="utf-8",
    )
    eu = provider("aws", "aws-eu", region="eu-central-1")
    g = graph([eu, resource("aws:s3/bucket:Bucket", "logs", eu, bucket=UNKNOWN)])
    result = check_graph(g, [pack])
    [finding] = result.violations
    assert result.packs[0].version == "1.4.2" and finding.policy_pack_version == "1.4.2"
    assert finding.message == (
        "can't run policy 'reads-bucket' from policy pack 'reads-unknowns@v1.4.2' during preview: "
        "string value at .bucket can't be known during preview"
    )
    assert "0.0.1" not in json.dumps([v.to_json() for v in result.violations])


def test_a_tags_error_names_the_tag_never_the_map() -> None:
    config = stack_config()
    config["crosscloud:tags"] = {"owner": "ml-platform", "cost-center": "4711", "token": "ghp_" + "a1B2" * 9}
    [line] = problems(config, "Pulumi.dev.yaml")
    assert line == (
        "Pulumi.dev.yaml: crosscloud:tags: tag 'token' holds what looks like key material; tags are public "
        "metadata, never secrets"
    )
