"""`crosscloud endpoints`: the stack output contract applications use, as JSON or as a LiteLLM proxy config."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from crosscloud.catalog import load_catalog
from crosscloud.declaration.errors import ConfigIssue, DeclarationError
from crosscloud.endpoints.contract import Cloud, Contract, contract_from_outputs, read_stack_output
from crosscloud.endpoints.litellm import DEFAULT_TOKEN_FILE, LitellmConfig, render_litellm, to_yaml

__all__ = [
    "DEFAULT_TOKEN_FILE",
    "Contract",
    "LitellmConfig",
    "contract_from_outputs",
    "offline_outputs",
    "read_stack_output",
    "render",
    "render_litellm",
]

_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the Pulumi wire sentinel for a value unknown at preview
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi wire signature, not a secret


def offline_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """A preview's stack outputs as `pulumi stack output --json` would show them: unknowns as null, secrets as
    "[secret]"."""

    def plain(value: Any) -> Any:
        if value == _UNKNOWN:
            return None
        if isinstance(value, Mapping):
            if _SECRET_SIG_KEY in value:
                return "[secret]"
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in outputs.items()}


def _workload(contract: Contract, chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    if len(contract.workloads) == 1:
        return next(iter(contract.workloads))
    raise DeclarationError(
        [
            ConfigIssue(
                "--workload",
                "-",
                f"is required: stack {contract.stack} has {len(contract.workloads)} workloads (the proxy runs as one)",
                ", ".join(contract.workloads) or "none (declare crosscloud:identity.workloads)",
            )
        ]
    )


def _runs_on(contract: Contract, workload: str, chosen: Cloud | None) -> Cloud:
    """Where the proxy runs: given, or implied by the workload's only federation direction."""
    if chosen is not None:
        return chosen
    w = contract.workloads.get(workload)
    if w is not None:
        if w.azure_to_aws is not None and w.aws_to_azure is None:
            return "azure"
        if w.aws_to_azure is not None and w.azure_to_aws is None:
            return "aws"
    raise DeclarationError(
        [ConfigIssue("--runs-on", "-", f"is required for workload {workload!r} (where the proxy runs)", "aws, azure")]
    )


def render(
    contract: Contract,
    output_format: Literal["json", "litellm"],
    *,
    workload: str | None = None,
    runs_on: Cloud | None = None,
    token_file: str = DEFAULT_TOKEN_FILE,
) -> str:
    if output_format == "json":
        return json.dumps(contract.to_json(), indent=2) + "\n"
    name = _workload(contract, workload)
    where = _runs_on(contract, name, runs_on)
    config = render_litellm(contract, load_catalog(), name, where, token_file)
    return to_yaml(config, contract, name, where)
