"""`python -m shared templates`: the shipped templates with their descriptions."""

from __future__ import annotations

import argparse

from shared import catalog
from shared.cli.common import EXIT_OK

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    infos = [catalog.get(name) for name in catalog.template_names()]
    width = max((len(info.name) for info in infos), default=0)
    for info in infos:
        print(f"{info.name:<{width}}  {info.description}")
    return EXIT_OK
