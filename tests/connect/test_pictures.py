"""The page's pictures in docs/ are what `make screenshots` draws: 1280x800, light and dark."""

from PIL import Image, ImageStat

from tests.support.paths import ROOT


def test_the_committed_pictures_are_1280_by_800_one_light_one_dark() -> None:
    brightness = {}
    for scheme in ("light", "dark"):
        with Image.open(ROOT / "docs" / f"connect-{scheme}.png") as picture:
            assert picture.size == (1280, 800)
            brightness[scheme] = ImageStat.Stat(picture.convert("L")).mean[0]
    assert brightness["light"] > 180 > 80 > brightness["dark"]
