"""`crosscloud catalog sync` on recorded responses (written from the APIs' documented shapes): boto3 clients under
botocore's Stubber, the Azure management client over a fake HTTP transport. A recorded retirement and a new Region
flow through the overlay into a declaration's verdict; without credentials the command says so in one line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import HttpTransport
from azure.core.pipeline.transport._requests_basic import RequestsTransportResponse
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber

from crosscloud.catalog import Catalog
from crosscloud.catalog import sync as syncing
from crosscloud.catalog.loader import DATA_DIR
from crosscloud.catalog.overlay import read_overlay, write_overlay
from crosscloud.declaration import DeclarationError
from crosscloud.declaration.checks import check_declaration
from crosscloud.declaration.load import parse_config
from tests.conftest import ROOT, stack_config

AT = "2026-12-03T10:00:00Z"
TODAY = dt.date(2026, 12, 3)
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def fm(region: str, model_id: str, types: list[str], status: str = "ACTIVE", **life: Any) -> dict[str, Any]:
    """One ListFoundationModels modelSummaries item, as the API documents it."""
    return {
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": model_id.split(".", 1)[1],
        "providerName": model_id.split(".", 1)[0].capitalize(),
        "inputModalities": ["TEXT"],
        "outputModalities": ["EMBEDDING"] if "embed" in model_id else ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": types,
        "modelLifecycle": {"status": status, **life},
    }


def profile(prefix: str, model_id: str, destinations: list[str]) -> dict[str, Any]:
    return {
        "inferenceProfileName": f"EU {model_id}",
        "inferenceProfileArn": f"arn:aws:bedrock:eu-central-1:123456789012:inference-profile/{prefix}.{model_id}",
        "inferenceProfileId": f"{prefix}.{model_id}",
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model_id}"} for r in destinations],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


EU_SIX = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
RECORDED: dict[str, dict[str, Any]] = {
    # Cohere Embed Multilingual gains eu-north-1; Claude Sonnet 4.5 reached its end of life (recorded retirement).
    "eu-north-1": {
        "models": [
            fm("eu-north-1", "cohere.embed-multilingual-v3", ["ON_DEMAND"]),
            fm(
                "eu-north-1",
                SONNET,
                ["INFERENCE_PROFILE"],
                "LEGACY",
                legacyTime=dt.datetime(2026, 10, 8, tzinfo=dt.UTC),
                endOfLifeTime=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            ),
            fm("eu-north-1", "acme.new-model-v1:0", ["ON_DEMAND"]),
        ],
        "profiles": [profile("eu", SONNET, EU_SIX)],
    },
    "eu-central-1": {
        "models": [fm("eu-central-1", "cohere.embed-multilingual-v3", ["ON_DEMAND"])],
        "profiles": [profile("eu", SONNET, EU_SIX)],
    },
}


def stubbed_clients(recorded: dict[str, dict[str, Any]]) -> tuple[Any, list[Stubber]]:
    stubbers: list[Stubber] = []

    def client_for(region: str) -> Any:
        client = boto3.client("bedrock", region_name=region, config=Config(signature_version=UNSIGNED))
        stubber = Stubber(client)
        stubber.add_response("list_foundation_models", {"modelSummaries": recorded[region]["models"]}, {})
        stubber.add_response(
            "list_inference_profiles",
            {"inferenceProfileSummaries": recorded[region]["profiles"]},
            {"typeEquals": "SYSTEM_DEFINED"},
        )
        stubber.activate()
        stubbers.append(stubber)
        return client

    return client_for, stubbers


class Credential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("recorded", 4102444800)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> AccessTokenInfo:
        return AccessTokenInfo("recorded", 4102444800)


class RecordedTransport(HttpTransport):  # type: ignore[misc]
    """Answers Cognitive Services "Models - List" per location from recorded JSON; records what was asked."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages, self.urls = pages, []

    def __enter__(self) -> RecordedTransport:
        return self

    def __exit__(self, *args: object) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> RequestsTransportResponse:
        self.urls.append(request.url)
        location = request.url.split("/locations/")[1].split("/")[0]
        answer = requests.Response()
        answer.status_code = 200
        answer.headers["Content-Type"] = "application/json"
        answer._content = json.dumps(self.pages[location]).encode()
        return RequestsTransportResponse(request, answer)


def azure_model(name: str, version: str, skus: list[str], status: str = "GenerallyAvailable", **extra: Any) -> Any:
    return {
        "kind": "OpenAI",
        "skuName": "S0",
        "model": {
            "format": "OpenAI",
            "name": name,
            "version": version,
            "lifecycleStatus": status,
            "capabilities": {"chatCompletion": "true"},
            "skus": [{"name": s, "usageName": f"OpenAI.{s}.{name}"} for s in skus],
            **extra,
        },
    }


AZURE_PAGES = {
    # gpt-5.1 retired early in this recording (deprecation.inference in the past); a new version of gpt-5.4 appears.
    "swedencentral": {
        "value": [
            azure_model(
                "gpt-5.1",
                "2025-11-13",
                ["Standard", "ProvisionedManaged"],
                deprecation={"inference": "2026-12-01T00:00:00Z"},
            ),
            azure_model("gpt-5.4", "2026-09-01", ["GlobalStandard"]),
        ]
    }
}


def recorded_entries(shipped: Catalog) -> tuple[list[Any], RecordedTransport, list[Stubber]]:
    client_for, stubbers = stubbed_clients(RECORDED)
    aws = syncing.aws_entries(shipped, syncing.read_aws(client_for, ["eu-north-1", "eu-central-1"]), AT)
    transport = RecordedTransport(AZURE_PAGES)
    client = CognitiveServicesManagementClient(
        Credential(), "00000000-0000-0000-0000-000000000000", transport=transport
    )
    azure = syncing.azure_entries(shipped, syncing.read_azure(client, ["swedencentral"]), AT)
    return aws + azure, transport, stubbers


def test_recorded_answers_become_entries_that_say_where_and_when() -> None:
    shipped = Catalog(DATA_DIR)
    entries, transport, stubbers = recorded_entries(shipped)
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
    assert transport.urls == [
        "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
        "Microsoft.CognitiveServices/locations/swedencentral/models?api-version=2025-09-01"
    ]
    by_path = {e.path: e for e in entries}
    cohere = by_path[("cohere-embed-multilingual-v3", "aws", "in_region")]
    assert "eu-north-1" in cohere.value and cohere.read_at == AT and "eu-central-1, eu-north-1" in cohere.read_from
    sonnet = by_path[("claude-sonnet-4-5", "aws", "lifecycle")].value
    assert sonnet == {
        "status": "retired",
        "legacy": "2026-10-08",
        "retirement": "2026-12-01",
        "source": "SYNC",
        "date": "2026-12-03",
    }
    assert by_path[("claude-sonnet-4-5", "aws", "profiles", "eu")].value["routes"]["eu-north-1"] == EU_SIX
    assert ("acme.new-model-v1-0",) in by_path
    assert by_path[("gpt-5.4-2026-09-01",)].value["azure"]["skus"] == {"GlobalStandard": ["swedencentral"]}
    # A location not read keeps its shipped regions; the read one follows the API.
    standard = by_path[("gpt-5.1", "azure", "skus", "Standard")].value
    assert "swedencentral" in standard and "eastus" in standard


def test_the_diff_shows_what_is_applied_and_what_contradicts_a_verified_row() -> None:
    shipped = Catalog(DATA_DIR)
    entries, _, _ = recorded_entries(shipped)
    text = syncing.diff(shipped, entries, TODAY).render("catalog sync")
    assert "+ cohere-embed-multilingual-v3.aws.in_region: gained eu-north-1" in text
    assert "+ claude-sonnet-4-5.aws.lifecycle: lifecycle retired" in text
    assert "+ gpt-5.1.azure.lifecycle: lifecycle retired, retirement 2026-12-01" in text
    # swedencentral no longer answers DataZoneStandard / GlobalStandard for gpt-5.1: verified rows, so not applied.
    assert "! gpt-5.1.azure.skus.DataZoneStandard: lost swedencentral on a verified row" in text


def test_a_recorded_retirement_and_a_new_region_flow_into_a_verdict(tmp_path: Path) -> None:
    shipped = Catalog(DATA_DIR)
    entries, _, _ = recorded_entries(shipped)
    path = tmp_path / "overlay.yaml"
    write_overlay(path, entries, AT)
    assert len(read_overlay(path)) == len(entries)
    merged = Catalog(DATA_DIR, path)
    config = stack_config("prod")
    embed = next(e for e in config["crosscloud:endpoints"] if e["name"] == "embed")
    embed["aws"]["model"] = "cohere-embed-multilingual-v3"  # in eu-north-1: only the overlay has it
    config["crosscloud:endpoints"] = [e for e in config["crosscloud:endpoints"] if "gpt-5.1" not in str(e)]
    config["crosscloud:identity"] = {}
    spec = parse_config(config, "Pulumi.prod.yaml")
    with pytest.raises(DeclarationError, match="is not offered in eu-north-1"):
        check_declaration(spec, shipped, "Pulumi.prod.yaml", on=TODAY)
    resolved = check_declaration(spec, merged, "Pulumi.prod.yaml", on=TODAY)
    [aws] = [e.aws for e in resolved.endpoints if e.name == "embed"]
    assert aws is not None and aws.invoke_id == "cohere.embed-multilingual-v3" and aws.region == "eu-north-1"
    # The shipped prod stack resolves today; with the recorded retirement, gpt-5.1 is refused with its date.
    prod = parse_config(stack_config("prod"), "Pulumi.prod.yaml")
    check_declaration(prod, shipped, "Pulumi.prod.yaml", on=TODAY)
    with pytest.raises(DeclarationError) as info:
        check_declaration(prod, merged, "Pulumi.prod.yaml", on=TODAY)
    lines = [str(i) for i in info.value.issues]
    assert any(
        "crosscloud:endpoints[0].azure.model: 'gpt-5.1' retired on Azure AI Foundry on 2026-12-01 (SYNC" in line
        for line in lines
    )


def _no_credentials_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize(("cloud", "said"), [("aws", "no AWS credentials found"), ("azure", "no Azure subscription")])
def test_without_credentials_one_line_and_exit_2(tmp_path: Path, cloud: str, said: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", "catalog", "sync", "--cloud", cloud],
        capture_output=True,
        text=True,
        env=_no_credentials_env(tmp_path),
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert run.stdout == "" and len(run.stderr.splitlines()) == 1 and said in run.stderr


def test_preview_does_not_import_the_sdks() -> None:
    code = "import sys, crosscloud.cli; print(sorted(m for m in ('boto3', 'azure.identity') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "[]", run.stderr
