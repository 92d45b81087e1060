"""`crosscloud endpoints`: the contract as JSON and as a LiteLLM proxy config, loaded by LiteLLM's real Router."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from crosscloud.cli import main
from crosscloud.endpoints import contract_from_outputs, offline_outputs, render
from crosscloud.endpoints.litellm import LitellmConfig, LitellmParams
from tests.conftest import ROOT

KEY_FIELDS = ("api_key", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "client_secret")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crosscloud.cli", *args, "-C", str(ROOT)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, Any]]:
    """Each shipped stack's preview outputs, as `pulumi stack output --json` would show them."""
    found = {}
    for stack in ("dev", "prod"):
        done = cli("synth", stack)
        assert done.returncode == 0, done.stderr
        found[stack] = offline_outputs(json.loads(done.stdout)["outputs"])
    return found


def deployed(outputs: dict[str, Any]) -> dict[str, Any]:
    """The same outputs after `pulumi up`: every provider-computed value filled in."""
    data = copy.deepcopy(outputs)
    data["aws_invoke_targets"] = {
        name: f"arn:aws:bedrock:{e['aws']['region']}:123456789012:application-inference-profile/{name}0abc"
        for name, e in data["endpoints"].items()
        if e["aws"]
    }
    data["azure_identity_client_ids"] = {
        f"workload-{w}": f"{i:08d}-1111-4111-8111-111111111111" for i, w in enumerate(data["workloads"])
    }
    for e in data["endpoints"].values():
        if e["azure"] and e["azure"]["route"] == "serverless":
            e["azure"]["url"] = e["azure"]["api_base"] = "https://cohere-embed.swedencentral.models.ai.azure.com"
    return data


def litellm_file(stack: str, *extra: str, tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = tmp / f"{stack}-{'-'.join(extra) or 'default'}.yaml".replace("/", "_")
    done = cli("endpoints", stack, "--format", "litellm", *extra, "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path, yaml.safe_load(path.read_text()), done.stderr


def assert_contract_shape(config: dict[str, Any], served: dict[str, list[str]]) -> None:
    """Every endpoint once per cloud that serves it, a fallback across clouds for each dual-cloud one, no key and
    no global profile anywhere, each deployment's region explicit."""
    names = [d["model_name"] for d in config["model_list"]]
    clouds: dict[str, list[str]] = {}
    for d in config["model_list"]:
        endpoint = d["model_name"].split(":", 1)[0]
        cloud = d["model_info"]["id"].rsplit("-", 1)[1]
        clouds.setdefault(endpoint, []).append(cloud)
        params = d["litellm_params"]
        assert params["region_name"] == "eu"
        if params["model"].startswith("hosted_vllm/"):  # a self-hosted fleet: its internal base URL, nothing else
            assert set(params) == {"model", "api_base", "region_name"} and params["api_base"].endswith("/v1")
        elif cloud == "aws":
            assert params["aws_region_name"].startswith("eu-")
            assert ":application-inference-profile/" in params["model"]
            assert d["model_info"]["base_model"].startswith("bedrock/")
        else:
            assert params["model"].startswith(("azure/", "azure_ai/")) and params["api_base"].startswith("https://")
        assert not set(KEY_FIELDS) & set(params)
    assert {e: sorted(c) for e, c in clouds.items()} == {e: sorted(c) for e, c in served.items()}
    assert len(names) == len(set(names))
    dual = [e for e, c in served.items() if len(c) == 2]
    fallbacks = {k: v for rule in config["router_settings"]["fallbacks"] for k, v in rule.items()}
    assert sorted(fallbacks) == sorted(dual)
    for source, [target] in fallbacks.items():
        assert target.startswith(f"{source}:") and target in names
    text = yaml.safe_dump(config)
    assert "global." not in text
    for word in ("api_key", "client_secret", "secret_access_key", "password"):  # (/var/run/secrets is a path)
        assert word not in text.lower()


PROD_GATEWAY = {
    "chat": ["azure", "aws"],
    "reasoning": ["azure", "aws"],
    "summarise": ["azure"],
    "embed": ["aws", "azure"],
    "embed-multilingual": ["azure"],
}
DEV_GATEWAY = {
    "chat": ["azure", "aws"],
    "embed": ["aws", "azure"],
    "embed-multilingual": ["aws", "azure"],
    "chat-oss": ["azure", "aws"],  # the same pinned weights self-hosted on both clouds' GPU reservations
}


def test_prod_litellm_on_azure_and_on_aws_and_dev_load_in_litellms_router(tmp_path: Path) -> None:
    on_azure, azure_config, note = litellm_file("prod", "--workload", "gateway", "--runs-on", "azure", tmp=tmp_path)
    on_aws, aws_config, _ = litellm_file("prod", "--workload", "gateway", "--runs-on", "aws", tmp=tmp_path)
    dev, dev_config, _ = litellm_file("dev", "--workload", "gateway", tmp=tmp_path)  # runs on azure: its federation
    assert "placeholders until `pulumi up`" in note
    assert_contract_shape(azure_config, PROD_GATEWAY)
    assert_contract_shape(aws_config, PROD_GATEWAY)
    assert_contract_shape(dev_config, DEV_GATEWAY)

    # On Azure: Bedrock through the Entra token of the gateway's identity, Azure through its managed identity.
    chat_aws = next(d for d in azure_config["model_list"] if d["model_name"] == "chat:aws")["litellm_params"]
    assert chat_aws["aws_role_name"] == "arn:aws:iam::123456789012:role/crosscloud/crosscloud-prod-gateway"
    assert chat_aws["aws_web_identity_token"] == "oidc/azure/api://crosscloud-prod-bedrock"
    assert chat_aws["aws_session_name"] == "crosscloud-gateway"
    assert chat_aws["aws_sts_endpoint"] == "https://sts.eu-north-1.amazonaws.com"
    assert azure_config["litellm_settings"] == {"enable_azure_ad_token_refresh": True}
    assert set(azure_config["environment_variables"]) == {"AZURE_CLIENT_ID"}
    # On AWS: Bedrock through the task role (nothing in the file), Azure through the federated token file.
    chat_aws = next(d for d in aws_config["model_list"] if d["model_name"] == "chat:aws")["litellm_params"]
    assert not {"aws_role_name", "aws_web_identity_token"} & set(chat_aws)
    chat = next(d for d in aws_config["model_list"] if d["model_name"] == "chat")["litellm_params"]
    assert chat["azure_ad_token"] == "oidc/file//var/run/secrets/crosscloud/aws-web-identity-token"
    assert chat["tenant_id"] == "00000000-0000-0000-0000-00000000c0de" and chat["client_id"]
    # dev's self-hosted fleets: vLLM's OpenAI-compatible API at each cloud's internal load balancer
    oss = {
        d["model_name"]: d["litellm_params"] for d in dev_config["model_list"] if d["model_name"].startswith("chat-oss")
    }
    assert {p["model"] for p in oss.values()} == {"hosted_vllm/gpt-oss-120b"}
    assert oss["chat-oss:aws"]["api_base"] == "http://chat-oss.crosscloud-dev-experiments.internal/v1"
    serverless = next(d for d in aws_config["model_list"] if d["model_name"] == "embed-multilingual")
    assert serverless["litellm_params"]["model"].startswith("azure_ai/embed-multilingual-")

    done = subprocess.run(
        [sys.executable, "-m", "tests.litellm_load", str(on_azure), str(on_aws), str(dev)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = [json.loads(line) for line in done.stdout.splitlines()]
    for result, config in zip(loaded, (azure_config, aws_config, dev_config), strict=True):
        assert result["network"] == [], "loading the config reached for the network"
        assert result["deployments"] == sorted(d["model_name"] for d in config["model_list"])
        assert result["fallbacks"] == config["router_settings"]["fallbacks"]


def test_litellm_field_names_are_litellms_own() -> None:
    """The strict model emits only names LiteLLM's Router knows (checked in a subprocess: LiteLLM's import state)."""
    script = (
        "import os, json; os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] = 'True'\n"
        "from litellm.types.router import LiteLLM_Params, ModelInfo\n"
        "from litellm.router_api import router_init_args\n"
        "print(json.dumps({'params': sorted(LiteLLM_Params.model_fields), 'info': sorted(ModelInfo.model_fields),"
        " 'router': sorted(router_init_args())}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    known = json.loads(done.stdout.splitlines()[-1])
    assert set(LitellmParams.model_fields) <= set(known["params"]), set(LitellmParams.model_fields) - set(
        known["params"]
    )
    # `mode` is the proxy's health-check hint (model_info is open in LiteLLM's Router model)
    assert {"id", "base_model"} <= set(known["info"])
    assert {"fallbacks", "num_retries"} <= set(known["router"])


def test_deployed_stack_output_has_no_placeholder(outputs: dict[str, Any], tmp_path: Path) -> None:
    stack_output = tmp_path / "out.json"
    stack_output.write_text(json.dumps(deployed(outputs["prod"])))
    done = cli("endpoints", "prod", "--format", "litellm", "--workload", "gateway", "--runs-on", "azure",
               "--stack-output", str(stack_output))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "known-after-pulumi-up" not in done.stdout and done.stderr == ""
    config = yaml.safe_load(done.stdout)
    chat = next(d for d in config["model_list"] if d["model_name"] == "chat:aws")
    assert chat["litellm_params"]["model"].endswith(":application-inference-profile/chat0abc")
    # the same from stdin
    piped = cli("endpoints", "prod", "--format", "json", "--stack-output", "-", stdin=stack_output.read_text())
    assert piped.returncode == 0, piped.stderr
    contract = json.loads(piped.stdout)
    assert contract["placeholders"] == [] and contract["offline"] is False
    assert contract["endpoints"]["chat"]["aws"]["profile_arn"].endswith("/chat0abc")
    assert contract["workloads"]["gateway"]["azure_to_aws"]["audience"] == "api://crosscloud-prod-bedrock"


def test_offline_json_names_every_placeholder(outputs: dict[str, Any]) -> None:
    done = cli("endpoints", "prod")
    assert done.returncode == 0, done.stderr
    contract = json.loads(done.stdout)
    assert contract["offline"] is True
    assert "aws_invoke_targets.chat" in contract["placeholders"]
    assert "endpoints.embed-multilingual.azure.api_base" in contract["placeholders"]
    assert contract["endpoints"]["chat"]["aws"]["profile_arn"].count("known-after-pulumi-up") == 1


def one_line_error(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert "Traceback" not in done.stderr


def test_missing_value_in_a_real_stack_output_exits_2(outputs: dict[str, Any], tmp_path: Path) -> None:
    data = deployed(outputs["prod"])
    del data["aws_invoke_targets"]["chat"]
    path = tmp_path / "out.json"
    path.write_text(json.dumps(data))
    done = cli("endpoints", "prod", "--format", "litellm", "--workload", "gateway", "--runs-on", "aws",
               "--stack-output", str(path))  # fmt: skip
    one_line_error(done, "aws_invoke_targets.chat: has no value in the stack output")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["endpoints"]["chat"]["aws"].update(invoke_id="global.openai.gpt-oss-120b-1:0"), "residency"),
        (lambda d: d["endpoints"]["chat"]["azure"].update(sku="GlobalStandard"), "residency"),
        (lambda d: d["workloads"]["gateway"].update(azure_to_aws=None), "has no azure_to_aws federation"),
        (lambda d: d["aws_invoke_targets"].update(chat="[secret]"), "is a secret"),
        (lambda d: d["endpoints"]["chat"].update(primary="gcp"), "endpoints.chat.primary"),
    ],
)
def test_a_stack_output_that_would_break_the_contract_exits_2(
    outputs: dict[str, Any], tmp_path: Path, mutate: Any, expected: str
) -> None:
    good = deployed(outputs["prod"])
    path = tmp_path / "out.json"
    path.write_text(json.dumps(good))
    args = ("endpoints", "prod", "--format", "litellm", "--workload", "gateway", "--runs-on", "azure", "--stack-output")
    assert cli(*args, str(path)).returncode == 0  # the compliant twin
    bad = copy.deepcopy(good)
    mutate(bad)
    path.write_text(json.dumps(bad))
    one_line_error(cli(*args, str(path)), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--workload", "nobody", "--runs-on", "aws"), "'nobody' is not a workload of the stack"),
        (("--runs-on", "aws"), "--workload: -: is required: stack prod has 3 workloads"),
        (("--workload", "gateway"), "--runs-on: -: is required for workload 'gateway'"),
        (("--workload", "rag-api", "--runs-on", "azure"), "has no azure_to_aws federation"),
        (("--workload", "gateway", "--runs-on", "aws", "--token-file", "/tmp/token"), "credential dirs"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    outputs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps(deployed(outputs["prod"])))
    code = main(["endpoints", "prod", "-C", str(ROOT), "--format", "litellm", "--stack-output", str(path), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and expected in lines[0], lines


def test_unreadable_or_malformed_stack_output_exits_2(tmp_path: Path) -> None:
    one_line_error(cli("endpoints", "prod", "--stack-output", str(tmp_path / "none.json")), "cannot be read")
    (tmp_path / "bad.json").write_text("{not json")
    one_line_error(cli("endpoints", "prod", "--stack-output", str(tmp_path / "bad.json")), "is not JSON")


# -- the strict model: each rule's failing case beside its compliant twin -------------------------------------------
BEDROCK = {
    "model": "bedrock/arn:aws:bedrock:eu-north-1:123456789012:application-inference-profile/abc",
    "aws_region_name": "eu-north-1",
    "region_name": "eu",
}
AZURE = {
    "model": "azure/chat",
    "api_base": "https://cc.openai.azure.com/",
    "azure_scope": "https://cognitiveservices.azure.com/.default",
    "region_name": "eu",
}


VLLM = {"model": "hosted_vllm/gpt-oss-120b", "api_base": "http://10.41.31.253/v1", "region_name": "eu"}


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (BEDROCK, {**BEDROCK, "api_key": "sk-123"}),
        (BEDROCK, {k: v for k, v in BEDROCK.items() if k != "aws_region_name"}),
        (BEDROCK, {**BEDROCK, "model": "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0"}),
        (
            {**BEDROCK, "aws_role_name": "arn:aws:iam::1:role/r", "aws_session_name": "s1",
             "aws_web_identity_token": "oidc/azure/api://x"},
            {**BEDROCK, "aws_role_name": "arn:aws:iam::1:role/r", "aws_web_identity_token": "oidc/azure/api://x"},
        ),
        (
            {**AZURE, "azure_ad_token": "oidc/file//var/run/secrets/t", "tenant_id": "t", "client_id": "c"},
            {**AZURE, "azure_ad_token": "oidc/file/var/run/secrets/t", "tenant_id": "t", "client_id": "c"},
        ),
        (AZURE, {**AZURE, "aws_region_name": "eu-north-1"}),
        (AZURE, {**AZURE, "api_base": AZURE["api_base"].replace("https://", "http://")}),
        (VLLM, {**VLLM, "azure_scope": "https://cognitiveservices.azure.com/.default"}),
        (VLLM, {k: v for k, v in VLLM.items() if k != "api_base"}),
        (VLLM, {**VLLM, "api_key": "sk-123"}),
        (AZURE, {**AZURE, "client_secret": "x"}),
        (AZURE, {k: v for k, v in AZURE.items() if k != "region_name"}),
    ],
)  # fmt: skip
def test_litellm_params_rule_and_twin(good: dict[str, Any], bad: dict[str, Any]) -> None:
    LitellmParams(**good)
    with pytest.raises(ValidationError):
        LitellmParams(**bad)


def config(fallbacks: list[dict[str, list[str]]], env: dict[str, str] | None = None) -> dict[str, Any]:
    info = {"base_model": "bedrock/openai.gpt-oss-120b-1:0", "mode": "chat"}
    return {
        "model_list": [
            {"model_name": "chat", "litellm_params": AZURE, "model_info": {**info, "id": "chat-azure"}},
            {"model_name": "chat:aws", "litellm_params": BEDROCK, "model_info": {**info, "id": "chat-aws"}},
            {"model_name": "chat-b", "litellm_params": AZURE, "model_info": {**info, "id": "chat-b"}},
        ],
        "router_settings": {"fallbacks": fallbacks, "num_retries": 2},
        "litellm_settings": {},
        "environment_variables": env or {},
    }


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (config([{"chat": ["chat:aws"]}]), config([{"chat": ["chat-b"]}])),  # a fallback stays on one cloud
        (config([{"chat": ["chat:aws"]}]), config([{"chat": ["chat:gcp"]}])),  # not in model_list
        (config([], {"AZURE_CLIENT_ID": "c"}), config([], {"AZURE_CLIENT_SECRET": "c"})),
    ],
)
def test_litellm_config_rule_and_twin(good: dict[str, Any], bad: dict[str, Any]) -> None:
    LitellmConfig.model_validate(good)
    with pytest.raises(ValidationError):
        LitellmConfig.model_validate(bad)


def test_render_is_deterministic(outputs: dict[str, Any]) -> None:
    def once() -> str:
        contract = contract_from_outputs(deployed(outputs["prod"]), stack="prod", source="x", offline=False)
        return render(contract, "litellm", workload="gateway", runs_on="azure")

    assert once() == once()
    assert main(["endpoints", "prod", "-C", str(ROOT), "--format", "litellm", "--workload", "gateway",
                 "--runs-on", "azure", "-o", "/dev/null"]) == 0  # fmt: skip
