"""Write local.settings.json for `make run` from local.settings.example.json.

The example is committed, so it cannot carry a key; the copy gets its own random
`SUBSCRIPTIONS_KEY`, so that the configuration page (/api/connect) works at once under
`func start`. The key stays in the git-ignored local.settings.json on this machine.

    python -m devtools.local_settings [--example FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from devtools.paths import ROOT
from shared.subscriptions.crypto import KEY_SETTING, new_local_key


def local_settings(example: dict[str, Any]) -> dict[str, Any]:
    """The example's settings, with a fresh local subscriptions key where it has none."""
    values = dict(example.get("Values", {}))
    if not str(values.get(KEY_SETTING, "")).strip():
        values[KEY_SETTING] = new_local_key()
    return {**example, "Values": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", type=Path, default=ROOT / "local.settings.example.json")
    parser.add_argument("--out", type=Path, default=ROOT / "local.settings.json")
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"{args.out.name} exists; left as it is")
        return 0
    example = json.loads(args.example.read_text(encoding="utf-8"))
    args.out.write_text(json.dumps(local_settings(example), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.name} with a new local {KEY_SETTING}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
