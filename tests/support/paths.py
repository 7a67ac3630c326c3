"""Where things are in the repository, for tests at any depth of `tests/`."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
PAYLOADS = FIXTURES / "payloads"
BAD_CARDS = FIXTURES / "bad_cards"
TEMPLATES = ROOT / "shared" / "templates"
