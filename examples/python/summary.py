"""Load a Terraform module with infrarag and print what it declares and
references: ``python examples/python/summary.py [DIR]``."""

import sys
from collections import Counter

from infrarag import hcl

directory = sys.argv[1] if len(sys.argv) > 1 else "examples/terraform/web"
module = hcl.load_module(directory)
kinds = Counter(d["kind"] for d in module["declarations"])
print(f"{directory}: {len(module['files'])} files, {len(module['declarations'])} declarations")
for kind, n in sorted(kinds.items()):
    print(f"  {kind:<10} {n}")
declared = {d["address"] for d in module["declarations"]}
for d in module["declarations"]:
    deps = sorted({r["subject"] for r in d["references"]} & declared)
    if deps:
        print(f"  {d['address']} -> {', '.join(deps)}")
# python-hcl2-compatible dicts, for code that used hcl2.load:
with open(f"{directory}/main.tf") as fh:
    as_dict = hcl.load(fh)
assert as_dict["resource"][0]["aws_s3_bucket"]["logs"]["bucket"] == "${var.name}-logs"
print("python-hcl2 dict of main.tf has", len(as_dict["resource"]), "resources")
