"""Load LiteLLM proxy config files with LiteLLM's real Router, the network cut off (run as a subprocess by
tests/test_endpoints.py, so LiteLLM's import-time state stays out of the test process).

Usage: python -m tests.litellm_load FILE...  ->  one JSON line per file: the deployments and fallbacks the Router
holds, and every network access attempted (must be none).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any

import yaml

ATTEMPTS: list[str] = []


def _blocked(*args: Any, **kwargs: Any) -> Any:
    ATTEMPTS.append(repr(args[:2]))
    raise OSError("network access in a test")


def load(path: str) -> dict[str, Any]:
    import litellm
    from litellm import Router

    with open(path, encoding="utf-8") as file:
        config = yaml.safe_load(file)
    for key, value in (config.get("environment_variables") or {}).items():
        os.environ[key] = str(value)
    for key, value in (config.get("litellm_settings") or {}).items():  # as the proxy applies them
        setattr(litellm, key, value)
    router = Router(model_list=config["model_list"], **config["router_settings"])
    deployments = router.get_model_list() or []
    return {
        "file": path,
        "deployments": sorted(d["model_name"] for d in deployments),
        "models": sorted(d["litellm_params"]["model"] for d in deployments),
        "fallbacks": router.settings().fallbacks,
        "network": list(ATTEMPTS),
    }


def main() -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # the bundled cost map: no fetch at import
    socket.socket.connect = _blocked  # type: ignore[method-assign]
    socket.getaddrinfo = _blocked
    for path in sys.argv[1:]:
        print(json.dumps(load(path)))


if __name__ == "__main__":
    main()
