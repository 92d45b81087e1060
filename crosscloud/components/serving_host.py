"""What a self-hosted GPU instance runs at boot, as cloud-init: fetch the pinned weights from the in-region store,
pull the pinned vLLM image from the in-region registry, and start vLLM's OpenAI-compatible server under systemd.

Pure functions of known strings (no Pulumi), so the document is readable at preview and testable as YAML. Nothing
reaches a public hub at run time: the weights come from the stack's store (the container runs with HF_HUB_OFFLINE=1
and the model as a local path), the image from the stack's registry by digest, and the host has no route to the
internet anyway. Both clouds run the same container with the same arguments; only the fetch and the log driver differ.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import yaml

from crosscloud.declaration.selfhosted import SelfHostedRoute

MODELS_DIR = "/opt/crosscloud/models"
SERVICE = "crosscloud-vllm"
# No telemetry and no hub lookups from inside the container (vLLM and Hugging Face libraries honour these).
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
}


@dataclass(frozen=True)
class Host:
    """Where one fleet's replicas find what they serve: the store prefix, the registry image and the log options."""

    image: str  # <registry>/<repository>@sha256:... in the stack's own registry
    port: int
    fetch_script: str  # a shell or python script that copies the weights to `local_weights`
    fetch_interpreter: str  # /bin/bash or /usr/bin/python3
    login_script: str  # bash: logs docker in to the registry with the instance's identity
    log_options: tuple[str, ...]  # docker --log-driver/--log-opt arguments


def weights_prefix(route: SelfHostedRoute) -> str:
    """The store prefix the platform team copies the weights to, one per revision (e.g. openai/gpt-oss-120b/b5c9...)."""
    return f"{route.repository}/{route.revision}"


def local_weights(route: SelfHostedRoute) -> str:
    return f"{MODELS_DIR}/{weights_prefix(route)}"


def vllm_arguments(route: SelfHostedRoute, port: int) -> list[str]:
    """The server's arguments: the local copy of the weights, the catalog key as the served name (clients send the
    same model name on both clouds), the catalog's tensor parallelism and model arguments."""
    container_path = f"/models/{weights_prefix(route)}"
    return [
        "--model",
        container_path,
        "--served-model-name",
        route.served_name,
        "--tensor-parallel-size",
        str(route.tensor_parallel),
        "--host",
        "0.0.0.0",  # noqa: S104 - inside the container; the host port is reachable only through the load balancer
        "--port",
        str(port),
        *route.serving_args,
    ]


def docker_run(route: SelfHostedRoute, host: Host) -> list[str]:
    env = [f"--env={k}={v}" for k, v in OFFLINE_ENV.items()]
    return [
        "/usr/bin/docker",
        "run",
        "--rm",
        f"--name={SERVICE}",
        "--gpus=all",
        "--ipc=host",  # vLLM's tensor-parallel workers share memory (the recipe's docker run)
        f"--publish={host.port}:{host.port}",
        f"--volume={MODELS_DIR}:/models:ro",
        *env,
        *host.log_options,
        host.image,
        *vllm_arguments(route, host.port),
    ]


def _unit(route: SelfHostedRoute, host: Host) -> str:
    command = " ".join(shlex.quote(part) for part in docker_run(route, host))
    return "\n".join(
        [
            "[Unit]",
            f"Description=vLLM OpenAI-compatible server for {route.endpoint} ({route.repository}@{route.revision})",
            "After=docker.service network-online.target",
            "Requires=docker.service",
            "Wants=network-online.target",
            "",
            "[Service]",
            "Type=simple",
            f"ExecStartPre=/usr/local/sbin/{SERVICE}-fetch",
            f"ExecStartPre=/usr/local/sbin/{SERVICE}-login",
            f"ExecStartPre=-/usr/bin/docker rm --force {SERVICE}",
            f"ExecStart={command}",
            f"ExecStop=/usr/bin/docker stop {SERVICE}",
            "Restart=always",
            "RestartSec=30",
            "TimeoutStartSec=7200",  # the first start copies tens of GB of weights
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the scripts and the unit) as literal blocks, so the document reads as the files it writes."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def cloud_init(route: SelfHostedRoute, host: Host) -> str:
    """The `#cloud-config` document (user data on EC2, custom data on Azure)."""
    document = {
        "write_files": [
            {
                "path": f"/usr/local/sbin/{SERVICE}-fetch",
                "permissions": "0755",
                "owner": "root:root",
                "content": f"#!{host.fetch_interpreter}\n{host.fetch_script}",
            },
            {
                "path": f"/usr/local/sbin/{SERVICE}-login",
                "permissions": "0755",
                "owner": "root:root",
                "content": f"#!/bin/bash\nset -euo pipefail\n{host.login_script}",
            },
            {
                "path": f"/etc/systemd/system/{SERVICE}.service",
                "permissions": "0644",
                "owner": "root:root",
                "content": _unit(route, host),
            },
        ],
        "runcmd": [
            ["mkdir", "-p", local_weights(route)],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", f"{SERVICE}.service"],
        ],
    }
    return "#cloud-config\n" + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000)


# -- AWS ---------------------------------------------------------------------------------------------------------


def aws_host(
    route: SelfHostedRoute,
    *,
    bucket: str,
    region: str,
    registry: str,
    repository: str,
    digest: str,
    log_group: str,
    port: int,
) -> Host:
    """S3 (through the VPC's gateway endpoint) for the weights, ECR for the image, CloudWatch Logs for the server's
    output (docker's awslogs driver, credentials from the instance profile through IMDSv2)."""
    source = f"s3://{bucket}/{weights_prefix(route)}/"
    fetch = "\n".join(
        [
            "set -euo pipefail",
            f"aws s3 sync {shlex.quote(source)} {shlex.quote(local_weights(route) + '/')} --region {region} "
            "--only-show-errors",
            "",
        ]
    )
    login = "\n".join(
        [
            f"aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {registry}",
            f"docker pull {registry}/{repository}@{digest}",
            "",
        ]
    )
    return Host(
        image=f"{registry}/{repository}@{digest}",
        port=port,
        fetch_script=fetch,
        fetch_interpreter="/bin/bash",
        login_script=login,
        log_options=(
            "--log-driver=awslogs",
            f"--log-opt=awslogs-region={region}",
            f"--log-opt=awslogs-group={log_group}",
            "--log-opt=awslogs-create-group=false",
        ),
    )


# -- Azure -------------------------------------------------------------------------------------------------------

# The VM's one user-assigned identity answers IMDS token requests (no client_id needed with a single identity).
_IMDS = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
_AZURE_FETCH = """import json, os, urllib.parse, urllib.request, xml.etree.ElementTree as ET

ACCOUNT, CONTAINER, PREFIX, DEST = {account!r}, {container!r}, {prefix!r}, {dest!r}
IMDS = {imds!r}


def token(resource):
    request = urllib.request.Request(IMDS + urllib.parse.quote(resource, safe=""), headers={{"Metadata": "true"}})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["access_token"]


def get(url, bearer):
    request = urllib.request.Request(url, headers={{"Authorization": "Bearer " + bearer, "x-ms-version": "2021-08-06"}})
    return urllib.request.urlopen(request, timeout=600)


bearer, marker = token("https://storage.azure.com/"), ""
base = "https://%s.blob.core.windows.net/%s" % (ACCOUNT, CONTAINER)
while True:
    query = {{"restype": "container", "comp": "list", "prefix": PREFIX + "/", "marker": marker}}
    with get(base + "?" + urllib.parse.urlencode(query), bearer) as answer:
        listing = ET.fromstring(answer.read())
    for name in (b.findtext("Name") for b in listing.iter("Blob")):
        target = os.path.join(DEST, name[len(PREFIX) + 1:])
        if os.path.exists(target):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with get(base + "/" + urllib.parse.quote(name), bearer) as blob, open(target + ".part", "wb") as out:
            while chunk := blob.read(1 << 24):
                out.write(chunk)
        os.replace(target + ".part", target)
    marker = listing.findtext("NextMarker") or ""
    if not marker:
        break
"""


def azure_host(
    route: SelfHostedRoute, *, account: str, container: str, registry: str, repository: str, digest: str, port: int
) -> Host:
    """Blob storage (private endpoint, the identity's data-reader role) for the weights, ACR (private endpoint,
    AcrPull) for the image, syslog for the server's output (the Azure Monitor agent's data collection rule)."""
    fetch = _AZURE_FETCH.format(
        account=account, container=container, prefix=weights_prefix(route), dest=local_weights(route), imds=_IMDS
    )
    arm = f"{_IMDS}https%3A%2F%2Fmanagement.azure.com%2F"
    read = "python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
    login = "\n".join(
        [
            f"aad=$(curl -sf -H Metadata:true '{arm}' | {read} access_token)",
            f"refresh=$(curl -sf -X POST -d grant_type=access_token -d service={registry} "
            f'--data-urlencode access_token="$aad" https://{registry}/oauth2/exchange | {read} refresh_token)',
            'echo "$refresh" | docker login --username 00000000-0000-0000-0000-000000000000 '
            f"--password-stdin {registry}",
            f"docker pull {registry}/{repository}@{digest}",
            "",
        ]
    )
    return Host(
        image=f"{registry}/{repository}@{digest}",
        port=port,
        fetch_script=fetch,
        fetch_interpreter="/usr/bin/python3",
        login_script=login,
        log_options=("--log-driver=syslog", f"--log-opt=tag={SERVICE}", "--log-opt=syslog-facility=local0"),
    )
