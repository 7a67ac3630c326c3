"""The renderer files a preview page loads: each pinned by package version and integrity hash.

The same files, byte for byte, are what `renderer/package-lock.json` installs: the browser refuses
a file whose hash differs (Subresource Integrity), and the preview tests serve the installed files
under these addresses, so a pin that drifts from the lock file fails the tests.

Versions: `adaptivecards` 3.0.6 is Microsoft's Adaptive Cards renderer for the web (the one the
Designer and Teams' web client are built on); `adaptivecards-designer` 2.4.4 carries the Designer's
Microsoft Teams host configs (`lib/hostConfigs/microsoft-teams-{light,dark}.json`) and the Teams
container's style sheets (`dist/containers/teams-container-{light,dark}.css`); `markdown-it` 14.1.0
is the markdown processor the renderer uses when the page has one (Teams renders markdown in text).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "CDN",
    "MARKDOWN",
    "RENDERER",
    "THEMES",
    "PinnedFile",
    "Theme",
    "host_config",
    "integrity",
    "pinned_files",
    "style_sheet",
]

Theme = Literal["light", "dark"]
THEMES: Final[tuple[Theme, ...]] = ("light", "dark")

# The public npm CDN that serves a package's published files under its exact version; the browser
# checks each file against its hash, so the CDN cannot change what runs.
CDN: Final = "https://cdn.jsdelivr.net/npm"


@dataclass(frozen=True)
class PinnedFile:
    package: str
    version: str
    path: str  # inside the package
    integrity: str  # SRI: "sha384-" + base64 of the file's SHA-384

    @property
    def url(self) -> str:
        return f"{CDN}/{self.package}@{self.version}/{self.path}"


_CARDS = ("adaptivecards", "3.0.6")
_DESIGNER = ("adaptivecards-designer", "2.4.4")

RENDERER: Final = PinnedFile(
    *_CARDS,
    "dist/adaptivecards.min.js",
    "sha384-M6IdJidOpX9E8ISrXtcfFvFTf4ePKNWDy3pRXxzb/8dro8ceUoIIzcK4higcq/JC",
)

MARKDOWN: Final = PinnedFile(
    "markdown-it",
    "14.1.0",
    "dist/markdown-it.min.js",
    "sha384-wLhprpjsmjc/XYIcF+LpMxd8yS1gss6jhevOp6F6zhiIoFK6AmHtm4bGKtehTani",
)

_HOST_CONFIGS: Final[dict[Theme, PinnedFile]] = {
    "light": PinnedFile(
        *_DESIGNER,
        "lib/hostConfigs/microsoft-teams-light.json",
        "sha384-SyGpxcZql1AdHDG6nYkP2Z52kHtWXDQTQ28buV4hwmCDG8/TwBmggu8wnMfSGPgI",
    ),
    "dark": PinnedFile(
        *_DESIGNER,
        "lib/hostConfigs/microsoft-teams-dark.json",
        "sha384-2p3MxnGvwjD8PkGSTTQJkqsfcepErwkbdIl9wXBdwvUkqgdDDaI8LL100sO8zcNm",
    ),
}

_STYLE_SHEETS: Final[dict[Theme, PinnedFile]] = {
    "light": PinnedFile(
        *_DESIGNER,
        "dist/containers/teams-container-light.css",
        "sha384-8OXrpuE1Gd8MyZ6NZafRHsZmNx56prV2z2HoPS9jsRd8GCWDei9beaU0L9rxs2SQ",
    ),
    "dark": PinnedFile(
        *_DESIGNER,
        "dist/containers/teams-container-dark.css",
        "sha384-26ftNxVQViWTMqMh0lojoL1knnzMDRKtPlOuALnEj2mWyaiQniyFoUHH3G/7/Oz5",
    ),
}


def host_config(theme: Theme) -> PinnedFile:
    return _HOST_CONFIGS[theme]


def style_sheet(theme: Theme) -> PinnedFile:
    return _STYLE_SHEETS[theme]


def pinned_files() -> list[PinnedFile]:
    """Every file a preview page may load, in both themes."""
    return [RENDERER, MARKDOWN, *_HOST_CONFIGS.values(), *_STYLE_SHEETS.values()]


def integrity(data: bytes) -> str:
    """The Subresource Integrity value of `data` as the pins write it: SHA-384, base64."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")
