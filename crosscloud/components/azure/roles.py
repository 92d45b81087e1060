"""Azure built-in role definition IDs crosscloud grants (they are the same GUIDs in every tenant).

Sources (2026-11): learn.microsoft.com/azure/role-based-access-control/built-in-roles (AI + machine learning,
Security, General, Storage, Containers); the same GUIDs appear in Azure Verified Modules and Microsoft's Foundry
samples. "Azure AI User" is displayed as "Foundry User" in newer portal copy; its GUID did not change.
"""

from __future__ import annotations

BUILTIN_ROLES: dict[str, str] = {
    # Data-plane inference on Azure OpenAI models of a Foundry / Azure OpenAI account.
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    # Data-plane inference on every model family of an AIServices account (Foundry Models inference API).
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    # Foundry projects: build and use agents, evaluations and models (no management of the account).
    "Azure AI User": "53ca6127-db72-4b80-b1b0-d745d6d5456d",
    "Azure AI Project Manager": "eadc314b-1a2d-4efa-be10-5d325db5065e",
    # Hub-based projects (Machine Learning workspaces): everything inside the workspace but managing it.
    "Azure AI Developer": "64702f94-c441-49e6-a78b-ef80e0188fee",
    # A service (here: the Foundry account) wrapping data keys with a customer-managed key.
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    # A self-hosted fleet's identity: read the weights' blobs; pull the mirrored image (Storage, Containers).
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
}


def role_definition_id(subscription_id: str, role: str) -> str:
    """The full role definition ID ARM expects in a role assignment."""
    try:
        guid = BUILTIN_ROLES[role]
    except KeyError:
        raise ValueError(f"unknown built-in role {role!r}; known: {', '.join(sorted(BUILTIN_ROLES))}") from None
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
