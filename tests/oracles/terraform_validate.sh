#!/bin/sh
# Records what `terraform validate -json` says of each module under
# tests/fixtures/validate (they use only the built-in terraform provider),
# as terraform.json beside it: the truth tests/tests/validate.rs compares
# infrarag's findings with. Run it again after changing a fixture:
#   sh tests/oracles/terraform_validate.sh
set -eu
root="$(cd "$(dirname "$0")/../fixtures/validate" && pwd)"
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
for dir in "$root"/*/; do
  work="$(mktemp -d)"
  cp -R "$dir". "$work"
  rm -f "$work/terraform.json"
  (cd "$work" && { terraform init -backend=false -input=false >/dev/null 2>&1 || true; } && terraform validate -json) \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); [x.pop("snippet", None) for x in d["diagnostics"]]; print(json.dumps(d, indent=2))' \
    > "$dir/terraform.json" || true
  rm -rf "$work"
  echo "$(basename "$dir"): $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["error_count"])' "$dir/terraform.json") error(s)"
done
