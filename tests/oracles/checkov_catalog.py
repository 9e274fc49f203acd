"""Writes core/src/validate/policy/checkov_catalog.txt from checkov 3.3.13's
own registries: for each of its aws, azure and gcp Terraform checks
(resource, data, provider and graph), the check's id, its kind, its
categories (upper case, as checkov's enum names them) and its severity
(`-` where checkov gives none, which offline is all but one).

    make bench-validate                      # installs checkov
    PYTHONPATH=.bench/peers/checkov-3.3.13 .venv/bin/python tests/oracles/checkov_catalog.py
"""

from __future__ import annotations

from pathlib import Path

from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.terraform.checks.data.registry import data_registry
from checkov.terraform.checks.provider.registry import provider_registry
from checkov.terraform.checks.resource.registry import resource_registry

rows: dict[str, str] = {}


def add(check_id: str, kind: str, categories: list[str], severity: object) -> None:
    if not any(p in check_id for p in ("_AWS_", "_AZURE_", "_GCP_")):
        return
    names = ",".join(sorted({c.upper() for c in categories}))
    rows[check_id] = f"{check_id} {kind} {names} {severity or '-'}"


for kind, registry in (("resource", resource_registry), ("data", data_registry), ("provider", provider_registry)):
    for checks in [*registry.checks.values(), *registry.wildcard_checks.values()]:
        for check in checks:
            add(check.id, kind, [c.name for c in check.categories], check.severity)
graph = get_graph_checks_registry("terraform")
graph.load_checks()
for check in graph.checks:
    add(check.id, "graph", [str(check.category)], check.severity)

out = Path(__file__).resolve().parents[2] / "core/src/validate/policy/checkov_catalog.txt"
key = lambda r: (r.split("_")[0], r.split("_")[1], int(r.split()[0].split("_")[2]))  # noqa: E731
out.write_text("".join(f"{r}\n" for r in sorted(rows.values(), key=key)))
print(f"{len(rows)} checks written to {out}")
