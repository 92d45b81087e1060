"""The `crosscloud catalog sync` command and the `crosscloud models --lifecycle` view: argument wiring for cli.py.

`catalog sync` reads the clouds' own APIs (crosscloud.catalog.sync), prints what would change against the shipped
catalog and, with `--write FILE`, saves the overlay that `CROSSCLOUD_CATALOG_OVERLAY=<absolute path>` makes every
consumer merge. Without credentials it says so in one line (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from crosscloud.catalog import load_catalog
from crosscloud.catalog.loader import DATA_DIR, Catalog, today
from crosscloud.declaration import ConfigIssue, DeclarationError, read_stack_file


def add_parsers(sub: Any) -> None:
    catalog = sub.add_parser("catalog", help="the model catalog's data: refresh it from the clouds' own APIs")
    actions = catalog.add_subparsers(dest="catalog_command", required=True, parser_class=type(catalog))
    p = actions.add_parser("sync", help="read Bedrock and Foundry model lists and print the diff to the catalog")
    p.add_argument("--cloud", choices=["aws", "azure", "both"], default="both")
    p.add_argument("--aws-region", action="append", metavar="REGION", help="Bedrock Region to read (repeatable)")
    p.add_argument("--azure-location", action="append", metavar="LOCATION", help="Azure location (repeatable)")
    p.add_argument("--subscription", default=os.environ.get("AZURE_SUBSCRIPTION_ID"), help="Azure subscription ID")
    p.add_argument("--write", type=Path, metavar="FILE", help="save the values read as an overlay file")


def add_lifecycle_arguments(models: argparse.ArgumentParser) -> None:
    models.add_argument("--lifecycle", action="store_true", help="what retires when, per offering")
    models.add_argument("--stack", help="with --lifecycle: only the models this stack's endpoints use")
    models.add_argument("-C", "--project-dir", type=Path, default=Path("."), help="folder of Pulumi.<stack>.yaml")


def lifecycle_view(args: argparse.Namespace) -> str:
    from crosscloud.lifecycle_table import endpoint_models, lifecycle_table

    used = None
    if args.stack is not None:
        path = args.project_dir / f"Pulumi.{args.stack}.yaml"
        if not path.is_file():
            raise DeclarationError([ConfigIssue(str(path), "-", "no such stack file")])
        used = endpoint_models(read_stack_file(path))
    return lifecycle_table(load_catalog(), used=used)


def sync(args: argparse.Namespace) -> str:
    """The diff (and the overlay file with --write); NoCredentials becomes a one-line input error."""
    from crosscloud.catalog import sync as syncing
    from crosscloud.catalog.overlay import write_overlay

    shipped = Catalog(DATA_DIR)  # the diff is always against the shipped data, whatever overlay is configured
    read_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    clouds = ["aws", "azure"] if args.cloud == "both" else [args.cloud]
    entries = []
    read: list[str] = []
    try:
        factories = {
            "aws": syncing.aws_client_factory() if "aws" in clouds else None,
            "azure": syncing.azure_client(args.subscription) if "azure" in clouds else None,
        }
    except syncing.NoCredentials as exc:
        other = " (or --cloud for the other one)" if args.cloud == "both" else ""
        raise DeclarationError([ConfigIssue("crosscloud catalog sync", "-", f"{exc}{other}")]) from None
    if factories["aws"] is not None:
        regions = args.aws_region or [r for r in shipped.regions_of("aws") if shipped.aws_partition(r) == "aws"]
        entries += syncing.aws_entries(shipped, syncing.read_aws(factories["aws"], regions), read_at)
        read.append(f"{len(regions)} AWS Regions")
    if factories["azure"] is not None:
        locations = args.azure_location or shipped.regions_of("azure")
        entries += syncing.azure_entries(shipped, syncing.read_azure(factories["azure"], locations), read_at)
        read.append(f"{len(locations)} Azure locations")
    result = syncing.diff(shipped, entries, today())
    text = result.render(f"catalog sync: read {' and '.join(read)} at {read_at}; against the shipped catalog")
    if args.write is not None:
        try:
            write_overlay(args.write, entries, read_at)
        except OSError as exc:
            raise DeclarationError([ConfigIssue(str(args.write), "-", f"cannot write: {exc.strerror}")]) from None
        text += f"overlay written to {args.write}: set CROSSCLOUD_CATALOG_OVERLAY={args.write.resolve()} to use it\n"
    return text
