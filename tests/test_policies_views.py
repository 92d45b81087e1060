"""What a rule sees of the SDK's resources: plain data, converted only when a rule reads it."""

from __future__ import annotations

from typing import Any

from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from crosscloud.policies.rules.base import PlainOnDemand, get, plain

WIRE = {
    "location": "westeurope",
    "tags": {"team": "ml", "crosscloud:exempt:x": "2099-01-01:reason given"},
    "rules": [{"port": 443, "cidrs": ["10.0.0.0/16"]}],
    "count": 3,
    "enabled": True,
    "nothing": None,
}


def _proxied(value: dict[str, Any]) -> Any:
    """The props object pulumi_policy hands a policy: deserialized wire values behind unknown-checking proxies."""
    return unknown_checking_proxy(deserialize_properties(value))


def test_plain_unwraps_the_sdk_proxies() -> None:
    converted = plain(_proxied(WIRE))
    assert converted == WIRE
    assert type(converted) is dict and type(converted["rules"]) is list and type(converted["rules"][0]) is dict


def test_on_demand_converts_once_and_only_when_read() -> None:
    props = PlainOnDemand(_proxied(WIRE))
    assert props._converted is None, "building a view converts nothing"
    assert props["location"] == "westeurope"
    first = props._converted
    assert first is not None and props._source is None, "the proxies are dropped once converted"
    assert props.get("missing", "default") == "default" and "tags" in props and len(props) == len(WIRE)
    assert dict(props) == WIRE and props == WIRE and props._converted is first
    assert get(props, "rules.0.cidrs.0") == "10.0.0.0/16"


def test_on_demand_of_plain_data_is_the_same_data() -> None:
    props = PlainOnDemand({"a": {"b": [1, 2]}})
    assert props == {"a": {"b": [1, 2]}} and plain(props) == {"a": {"b": [1, 2]}}


def test_a_pack_is_ready_to_serve_with_its_catalog_read_and_its_heap_frozen() -> None:
    import gc

    from crosscloud.catalog.loader import _load
    from crosscloud.policies.rules import ready_to_serve

    _load.cache_clear()
    try:
        ready_to_serve()
        assert gc.get_freeze_count() > 0
        assert _load.cache_info().currsize == 1, "read before the first call, not on it"
    finally:
        gc.unfreeze()
