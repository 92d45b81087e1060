"""Read the stack declaration inside a Pulumi program, from the same config the CLI hands to every program."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env, get_config_secret_keys_env, is_config_secret

from crosscloud.declaration import ConfigIssue, Declaration, DeclarationError, declaration_from_config

NAMESPACE = "crosscloud:"


def stack_config() -> tuple[dict[str, Any], str]:
    """The running stack's `crosscloud:*` config (values as the engine sends them) and the stack file's name.

    A crosscloud key set with `pulumi config set --secret` reaches the program as plain text: used as a tag or a name
    it would land in the cloud and the state unencrypted. crosscloud keys hold no secrets, so such a key is refused
    (a DeclarationError).
    """
    config = {**get_config_env(), **CONFIG.get()}
    file = f"Pulumi.{pulumi.get_stack()}.yaml"
    ours = {k: v for k, v in config.items() if k.startswith(NAMESPACE)}
    secret = sorted(k for k in ours if k in get_config_secret_keys_env() or is_config_secret(k))
    if secret:
        raise DeclarationError(
            [
                ConfigIssue(file, key, "is set as a secret; crosscloud keys hold no secrets (keyless by design)")
                for key in secret
            ]
        )
    return ours, file


def load_from_pulumi() -> Declaration:
    """The validated declaration of the running stack; a config error ends the run cleanly (no traceback)."""
    try:
        config, file = stack_config()
        declaration = declaration_from_config(config, file, project=pulumi.get_project(), stack=pulumi.get_stack())
    except DeclarationError as exc:
        raise pulumi.RunError(str(exc)) from None
    for note in declaration.notes:  # e.g. a model retiring soon: the CLI shows warnings with the preview
        pulumi.log.warn(note)
    return declaration
