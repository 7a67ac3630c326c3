"""Reading preview PNGs: sizes and colours, as a person would judge a picture."""

from __future__ import annotations

import io

from PIL import Image


def size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def colours(png: bytes) -> int:
    """How many distinct colours the picture has (counted up to 100,000)."""
    with Image.open(io.BytesIO(png)) as image:
        found = image.convert("RGB").getcolors(maxcolors=100_000)
    return len(found) if found is not None else 100_000


def dominant(png: bytes) -> tuple[int, int, int]:
    """The colour most of the picture has: the card's background."""
    with Image.open(io.BytesIO(png)) as image:
        found = image.convert("RGB").getcolors(maxcolors=100_000) or []
    _count, colour = max(found)
    assert isinstance(colour, tuple)  # an RGB picture's colours are (red, green, blue)
    return (int(colour[0]), int(colour[1]), int(colour[2]))
