"""`python -m shared render NAME [--data FILE|-] [--envelope]`: a template expanded with data."""

from __future__ import annotations

import argparse
import json
import sys

from shared.cards.envelope import to_message
from shared.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    NOT_EXPANDED,
    expand_or_report,
    read_data,
    template_info,
)

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    info = template_info(args.name)
    data = info.sample_data if args.data is None else read_data(args.data)
    card = expand_or_report(info.name, data)
    if card is NOT_EXPANDED:
        return EXIT_PROBLEMS
    try:
        output = to_message(card) if args.envelope else card
    except ValueError as error:  # the template expanded to something that is not a card
        print(f"error: {info.name}: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return EXIT_OK
