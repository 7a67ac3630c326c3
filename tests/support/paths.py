"""Where things are in the repository (defined once in devtools.paths)."""

from devtools.paths import BAD_CARDS, FIXTURES, PAYLOADS, ROOT, TEMPLATES, TESTS

__all__ = ["BAD_CARDS", "FIXTURES", "PAYLOADS", "ROOT", "TEMPLATES", "TESTS"]
