"""A catalog overlay: values read from the clouds' own APIs (`crosscloud catalog sync --write FILE`), merged over the
shipped models.yaml by the one loader when `CROSSCLOUD_CATALOG_OVERLAY` names the file.

Each entry records where and when its value was read. The merge is one function (`merge`) used both by the loader and
by the sync diff, so what the diff calls "applied" is exactly what every consumer sees:

- new models, new cloud blocks of a model, new geo-profile tables and new route rows: applied;
- Region lists (Bedrock in-Region, Azure SKU regions): Regions gained are applied; Regions lost on a verified row are a
  conflict (an API answer depends on the caller's account and opted-in Regions, so absence is weaker evidence than
  the source that verified the row); on an unverified row the API's list replaces it;
- a route row whose destinations grow is applied (more destinations can only refuse more); one that shrinks is a
  conflict;
- lifecycle: a row at least as strict as the shipped one on every count (a later stage on the day of reading, an
  earlier or newly set retirement) is applied, because a cloud saying "retired" must not be ignored; a looser one is a
  conflict.

A conflict is never applied: it is listed (`Catalog.overlay_conflicts`, the sync diff) for a person to re-verify.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crosscloud.catalog.files import OverlayFileError, read_overlay_yaml

MAX_OVERLAY_BYTES = 16 * 1024 * 1024  # a catalog overlay may carry every model of both clouds

OVERLAY_ENV = "CROSSCLOUD_CATALOG_OVERLAY"
FORMAT_KEY = "crosscloud-catalog-overlay"
FORMAT = 1
_STAGES = ("active", "legacy", "deprecated", "retired")


class OverlayError(ValueError):
    """The overlay file is malformed (the loader reports it as a catalog error, naming the file)."""


@dataclass(frozen=True)
class Entry:
    """One value read from a cloud: `path` below models.yaml's `models` map."""

    path: tuple[str, ...]
    value: Any
    read_from: str
    read_at: str

    def to_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "value": self.value, "read_from": self.read_from, "read_at": self.read_at}

    @property
    def where(self) -> str:
        return ".".join(self.path)


@dataclass
class MergeResult:
    models: dict[str, Any]
    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unchanged: int = 0


def read_overlay(path: Path) -> list[Entry]:
    """The entries of an overlay file, or OverlayError naming what is wrong."""
    try:
        raw = read_overlay_yaml(path, MAX_OVERLAY_BYTES)
    except OverlayFileError as exc:
        raise OverlayError(str(exc)) from None
    if not isinstance(raw, dict) or raw.get(FORMAT_KEY) != FORMAT:
        raise OverlayError(f"is not a crosscloud catalog overlay ({FORMAT_KEY}: {FORMAT} missing)")
    values = raw.get("values")
    if not isinstance(values, list):
        raise OverlayError("values: must be a list of {path, value, read_from, read_at}")
    entries = []
    for i, item in enumerate(values):
        if not isinstance(item, dict) or set(item) != {"path", "value", "read_from", "read_at"}:
            raise OverlayError(f"values[{i}]: must have exactly path, value, read_from and read_at")
        path_ = item["path"]
        if not isinstance(path_, list) or not path_ or not all(isinstance(p, str) for p in path_):
            raise OverlayError(f"values[{i}].path: must be a non-empty list of keys")
        if not str(item["read_from"]).strip() or not str(item["read_at"]).strip():
            raise OverlayError(f"values[{i}]: read_from and read_at must say where and when the value was read")
        entries.append(Entry(tuple(path_), item["value"], str(item["read_from"]), str(item["read_at"])))
    return entries


def write_overlay(path: Path, entries: list[Entry], written: str) -> None:
    document = {FORMAT_KEY: FORMAT, "written": written, "values": [e.to_json() for e in entries]}
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _verified(node: Mapping[str, Any]) -> bool:
    return node.get("verified", True) is not False


def _stage(row: Mapping[str, Any], on: dt.date) -> int:
    stage = _STAGES.index(str(row.get("status", "active")))
    for key, status in (("legacy", "legacy"), ("deprecation", "deprecated"), ("retirement", "retired")):
        when = _date(row.get(key))
        if when is not None and when <= on:
            stage = max(stage, _STAGES.index(status))
    return stage


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _stricter_or_equal(new: Mapping[str, Any], old: Mapping[str, Any], on: dt.date) -> bool:
    """Whether lifecycle row `new` is at least as strict as `old` on every count."""
    if _stage(new, on) < _stage(old, on):
        return False
    for key in ("legacy", "deprecation", "retirement"):
        old_date, new_date = _date(old.get(key)), _date(new.get(key))
        if old_date is not None and (new_date is None or new_date > old_date):
            return False
    return True


def _same_lifecycle(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    keys = ("status", "legacy", "deprecation", "retirement")
    return all(str(new.get(k) or "") == str(old.get(k) or "") for k in keys)


class _Merger:
    def __init__(self, models: dict[str, Any], today: dt.date) -> None:
        self.result = MergeResult(copy.deepcopy(models))
        self.today = today

    def conflict(self, entry: Entry, why: str) -> None:
        self.result.conflicts.append(f"{entry.where}: {why} (read from {entry.read_from} at {entry.read_at})")

    def applied(self, entry: Entry, what: str) -> None:
        self.result.applied.append(f"{entry.where}: {what} (read from {entry.read_from} at {entry.read_at})")

    def apply(self, entry: Entry) -> None:
        models = self.result.models
        key, rest = entry.path[0], entry.path[1:]
        model = models.get(key)
        if not rest:
            if model is None:
                models[key] = entry.value
                self.applied(entry, "new model")
            else:
                self.conflict(entry, "the catalog already has this model; overlay entries name its fields")
            return
        if model is None:
            self.conflict(entry, "names a model the catalog does not have")
            return
        cloud, rest = rest[0], rest[1:]
        if cloud not in ("aws", "azure"):
            raise OverlayError(f"{entry.where}: the second key must be aws or azure")
        block = model.get(cloud)
        if not rest:
            if block is None:
                model[cloud] = entry.value
                self.applied(entry, f"new {cloud} offering")
            else:
                self.conflict(entry, f"the catalog already has the {cloud} offering")
            return
        if block is None:
            self.conflict(entry, f"the catalog has no {cloud} offering of this model to change")
            return
        self.field(entry, cloud, block, rest)

    def field(self, entry: Entry, cloud: str, block: dict[str, Any], rest: tuple[str, ...]) -> None:
        head = rest[0]
        if cloud == "aws" and rest == ("in_region",):
            self.regions(entry, block, "in_region", _verified(block))
        elif cloud == "azure" and head == "skus" and len(rest) == 2:
            skus = block.setdefault("skus", {})
            verified = _verified(block) and rest[1] not in block.get("unverified_skus", [])
            if rest[1] not in skus:
                skus[rest[1]] = list(entry.value)
                self.applied(entry, f"new SKU {rest[1]}")
            else:
                self.regions(entry, skus, rest[1], verified)
        elif cloud == "aws" and head == "profiles" and len(rest) == 2:
            self.profile(entry, block.setdefault("profiles", {}), rest[1], _verified(block))
        elif head == "lifecycle" and len(rest) == 1:
            self.lifecycle(entry, block, cloud)
        else:
            raise OverlayError(f"{entry.where}: not a field an overlay may set")

    def regions(self, entry: Entry, parent: dict[str, Any], key: str, verified: bool) -> None:
        if not isinstance(entry.value, list):
            raise OverlayError(f"{entry.where}: must be a list of regions")
        old, new = list(parent.get(key) or []), [str(r) for r in entry.value]
        gained, lost = [r for r in new if r not in old], [r for r in old if r not in new]
        if not gained and not lost:
            self.result.unchanged += 1
            return
        if lost and verified:
            self.conflict(entry, f"lost {', '.join(sorted(lost))} on a verified row; kept until re-verified")
        if not verified:
            parent[key] = new
            self.applied(entry, f"unverified row replaced by the API's list ({', '.join(new) or 'none'})")
            return
        if gained:
            parent[key] = old + gained
            self.applied(entry, f"gained {', '.join(sorted(gained))}")

    def profile(self, entry: Entry, profiles: dict[str, Any], prefix: str, verified: bool) -> None:
        value = entry.value
        if not isinstance(value, dict) or not isinstance(value.get("routes"), dict):
            raise OverlayError(f"{entry.where}: must be a profile table {{routes, source}}")
        table = profiles.get(prefix)
        if table is None:
            profiles[prefix] = value
            self.applied(entry, f"{prefix}. route table recorded ({len(value['routes'])} source Regions)")
            return
        routes = table["routes"]
        changed = False
        for source, dest in value["routes"].items():
            old = routes.get(source)
            if old is None:
                routes[source] = list(dest)
                self.applied(entry, f"new source Region {source} -> {', '.join(dest)}")
                changed = True
            elif set(dest) == set(old):
                continue
            elif set(dest) >= set(old) or not verified:
                routes[source] = list(dest)
                self.applied(entry, f"{source} now routes to {', '.join(sorted(dest))} (was {', '.join(old)})")
                changed = True
            else:
                self.conflict(
                    entry, f"{source} would route to fewer Regions ({', '.join(sorted(dest))}) than the verified row"
                )
                changed = True
        if not changed:
            self.result.unchanged += 1

    def lifecycle(self, entry: Entry, block: dict[str, Any], cloud: str) -> None:
        new = entry.value
        if not isinstance(new, dict):
            raise OverlayError(f"{entry.where}: must be a lifecycle row")
        if cloud == "aws":
            old = block.get("lifecycle")
        else:
            rows = block.setdefault("lifecycle", [])
            old = next((r for r in rows if not r.get("skus")), None)
        if old is not None and _same_lifecycle(new, old):
            self.result.unchanged += 1
            return
        if old is not None and not _stricter_or_equal(new, old, self.today):
            self.conflict(entry, f"looser than the shipped row ({_describe(new)} vs {_describe(old)})")
            return
        if cloud == "aws":
            block["lifecycle"] = new
        else:
            rows = block["lifecycle"]
            rows[:] = [r for r in rows if r.get("skus")] + [new]
        self.applied(entry, f"lifecycle {_describe(new)}" + (f" (was {_describe(old)})" if old else ""))


def _describe(row: Mapping[str, Any]) -> str:
    parts = [str(row.get("status"))]
    parts += [f"{k} {row[k]}" for k in ("legacy", "deprecation", "retirement") if row.get(k)]
    return ", ".join(parts)


def merge(models: dict[str, Any], entries: list[Entry], today: dt.date) -> MergeResult:
    """models.yaml's `models` map with the overlay applied where the rules above allow."""
    merger = _Merger(models, today)
    for entry in entries:
        merger.apply(entry)
    return merger.result
