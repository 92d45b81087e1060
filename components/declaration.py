"""Read the stack declaration inside a Pulumi program, from the same config the CLI hands to every program."""

from __future__ import annotations

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from crosscloud.declaration import Declaration, DeclarationError, declaration_from_config


def load_from_pulumi() -> Declaration:
    """The validated declaration of the running stack; a config error ends the run cleanly (no traceback)."""
    config = {**get_config_env(), **CONFIG.get()}
    try:
        return declaration_from_config(config, f"Pulumi.{pulumi.get_stack()}.yaml")
    except DeclarationError as exc:
        raise pulumi.RunError(str(exc)) from None
