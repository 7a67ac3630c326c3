"""Record the official SDK's answers for every conformance case (run after adding cases)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from devtools.sdk.reference import EXPECTED, expand_all, install, load_cases


def main() -> None:
    cases = load_cases()
    with tempfile.TemporaryDirectory() as folder:
        answers = expand_all(install(Path(folder)), cases)
    recorded = {case["name"]: answer for case, answer in zip(cases, answers, strict=True)}
    text = json.dumps(recorded, indent=1, ensure_ascii=False)
    # A lone surrogate (the SDK's substring can cut a pair) has no UTF-8 form: keep it as
    # the JSON escape the SDK wrote.
    text = re.sub("[\ud800-\udfff]", lambda match: f"\\u{ord(match.group()):04x}", text)
    EXPECTED.write_text(text + "\n", "utf-8")
    print(f"recorded {len(recorded)} answers in {EXPECTED}")


if __name__ == "__main__":
    main()
