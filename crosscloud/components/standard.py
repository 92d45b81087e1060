"""Interfaces every crosscloud component exposes the same way on both clouds (in the spirit of Azure Verified
Modules' standard interfaces): tags, role assignments, diagnostics, private endpoints and customer-managed keys.

Each is a small typed value a component's args carry; the cloud-specific module that realises it
(`crosscloud/components/azure/interfaces.py`, ...) turns it into child resources named `f"{name}-<role>"`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field

MANAGED_BY = "crosscloud"

# A value known now or only once a resource exists (an ID, a principal ID, ...).
StrInput = pulumi.Output[str] | str


class _Interface(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class StandardArgs(_Interface):
    """Arguments shared by every component: the tags to stamp on every taggable child."""

    tags: dict[str, str] = Field(default_factory=dict)


class RoleAssignment(_Interface):
    """Grant `role` (a built-in role name known to the cloud's role table) on the component to a principal.

    `key` names the assignment stably (it seeds the assignment's deterministic ID), so re-running never duplicates it.
    """

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    role: str
    principal_id: StrInput
    # Managed identities and workload principals are service principals; Azure's API default ('User') would make
    # the assignment fail to replicate for a fresh identity.
    principal_type: Literal["ServicePrincipal", "Group", "User"] = "ServicePrincipal"


class Diagnostics(_Interface):
    """Send the component's resource logs and metrics to a log workspace."""

    workspace_id: StrInput
    log_category_groups: tuple[str, ...] = ("allLogs",)
    metrics: bool = True


class PrivateEndpoint(_Interface):
    """Reach the component only through a private endpoint in `subnet_id`.

    `dns_zone_ids` (zone name -> zone ID) become the endpoint's DNS zone group; empty means DNS records are left to
    someone else (the platform team's Azure Policy), so no zone group is created.
    """

    subnet_id: StrInput
    dns_zone_ids: dict[str, StrInput] = Field(default_factory=dict)


class CustomerManagedKey(_Interface):
    """Encrypt the component's data at rest with a key the customer holds; `identity_*` is the user-assigned
    identity the service reads the key with (it needs a crypto role on the vault)."""

    key_vault_id: str
    key_vault_uri: str
    key_name: str
    key_version: str | None = None
    identity_id: StrInput
    identity_client_id: StrInput
    identity_principal_id: StrInput


def stack_tags(user_tags: Mapping[str, str], *, project: str, stack: str, environment: str) -> dict[str, str]:
    """The declaration's tags plus the ones crosscloud always sets, so every resource traces back to its stack."""
    return {
        **user_tags,
        "managed-by": MANAGED_BY,
        "crosscloud-project": project,
        "crosscloud-stack": stack,
        "environment": environment,
    }


class StatefulArgs(StandardArgs):
    """Arguments of a component that holds state (keys, logs, reservations): `protect` guards it against deletion
    (set in prod from the declaration's environment)."""

    protect: bool = False
