"""Writes core/src/providers/data/{aws,azurerm,google}.json.gz, the provider
knowledge infrarag embeds, from ../shared/corpus/provider-schemas (schemas
derived from the cdktf prebuilt providers) and ../shared/corpus/provider-docs
(descriptions and categories from each provider's registry docs).

    python3 tests/oracles/provider_schemas.py [CORPUS_DIR]

The output is compact JSON, gzip'd without a timestamp so the same input
always gives the same bytes:

    {"provider": "aws", "source": "registry.terraform.io/hashicorp/aws",
     "version": "6.25.0", "docs": "5.46",
     "resources": {"aws_s3_bucket": {"d": description, "c": category, "s": BLOCK}},
     "data_sources": {...}}

    BLOCK     = {"a": {name: [FLAGS, TYPE]}, "b": {name: [NESTING, MIN, MAX, BLOCK]}}
    FLAGS     = "r" required | "o" optional | "c" computed | "oc" optional + computed
    TYPE      = Terraform's type JSON ("string", ["list", "string"], ...)
    NESTING   = "list" | "set" | "single" | "map" | "opaque" (any content; see
                the corpus SOURCES.md rule 9); MAX 0 means no limit
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = {
    # name: (schema version, docs version), as the corpus SOURCES.md files state them
    "aws": ("6.25.0", "5.46"),
    "azurerm": ("4.55.0", "5.2.0"),
    "google": ("6.50.0", "7.46.0"),
}


def block(b: dict) -> dict:
    out: dict = {}
    attrs = {}
    for name, a in sorted(b.get("attributes", {}).items()):
        flags = "r" if a.get("required") else ("oc" if a.get("optional") and a.get("computed") else ("o" if a.get("optional") else "c"))
        attrs[name] = [flags, a.get("type", "dynamic")]
    if attrs:
        out["a"] = attrs
    blocks = {}
    for name, bt in sorted(b.get("block_types", {}).items()):
        nesting = "opaque" if bt.get("x_opaque") else bt["nesting_mode"]
        blocks[name] = [nesting, bt.get("min_items", 0), bt.get("max_items", 0), block(bt.get("block", {}))]
    if blocks:
        out["b"] = blocks
    return out


def docs(corpus: Path, provider: str) -> dict[tuple[str, str], dict]:
    out = {}
    for line in (corpus / "provider-docs" / f"{provider}.jsonl").read_text().splitlines():
        d = json.loads(line)
        kind = "resource" if d["kind"] == "resource" else "data"
        out[(kind, d["type"])] = d
    return out


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
    for provider, (version, docs_version) in PROVIDERS.items():
        raw = json.loads(gzip.decompress((corpus / "provider-schemas" / f"{provider}.json.gz").read_bytes()))
        [(source, schema)] = raw["provider_schemas"].items()
        described = docs(corpus, provider)
        out = {"provider": provider, "source": source, "version": version, "docs": docs_version}
        for key, kind in (("resources", "resource"), ("data_sources", "data")):
            types = {}
            for name, s in sorted(schema[f"{'resource' if kind == 'resource' else 'data_source'}_schemas"].items()):
                entry: dict = {}
                d = described.get((kind, name))
                if d:
                    if d.get("description"):
                        entry["d"] = d["description"]
                    if d.get("subcategory"):
                        entry["c"] = d["subcategory"]
                entry["s"] = block(s["block"])
                types[name] = entry
            out[key] = types
        text = json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()
        path = ROOT / "core" / "src" / "providers" / "data" / f"{provider}.json.gz"
        path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
        print(f"{path.relative_to(ROOT)}: {len(out['resources'])} resources, {len(out['data_sources'])} data sources, {len(text):,} B JSON, {path.stat().st_size:,} B gzip")


if __name__ == "__main__":
    main()
