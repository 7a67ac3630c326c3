"""Card previews: a card drawn by Microsoft's Adaptive Cards renderer with Teams' host config.

- `pins`: the renderer files (version, address, integrity hash); `page`: the preview page and its
  Content-Security-Policy (pure; the HTML answer of the render route uses it);
- `install`: the pinned npm packages and Chromium on this machine; `browser`: headless Chromium
  through Playwright (development dependency, imported only by the commands that render);
- `run`: what the `preview` and `check --render` commands ask of it.
"""
