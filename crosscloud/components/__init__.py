"""Reusable Pulumi components for crosscloud, one concern each, symmetrical across AWS and Azure."""
