"""The pictures docs/templates.md shows: one per template, made by `make preview`, kept small."""

from __future__ import annotations

import re

from shared import catalog
from shared.preview.gallery import DARK_TOO, PICTURE_WIDTH
from tests.preview.pictures import size
from tests.support.paths import ROOT

PICTURES = ROOT / "docs" / "images" / "templates"


def test_every_template_has_its_pictures_and_the_docs_show_them() -> None:
    shown = set(
        re.findall(r"images/templates/([\w-]+\.png)", (ROOT / "docs" / "templates.md").read_text())
    )
    expected = {f"{name}-light.png" for name in catalog.template_names()}
    expected |= {f"{name}-dark.png" for name in DARK_TOO}
    assert {path.name for path in PICTURES.glob("*.png")} == expected
    assert shown == expected
    for name in expected:
        png = (PICTURES / name).read_bytes()
        assert size(png)[0] == PICTURE_WIDTH
        assert len(png) < 30_000, f"{name} is {len(png)} bytes: run make preview"
