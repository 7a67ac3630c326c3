"""Where things are in the repository, for the tests and the benchmarks."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
PAYLOADS = FIXTURES / "payloads"
BAD_CARDS = FIXTURES / "bad_cards"
TEMPLATES = ROOT / "shared" / "templates"
