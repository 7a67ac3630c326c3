"""The functions the engine refuses: each is refused at compile time with its reason, every
other AEL name is implemented, and the README and docs/templates.md list exactly these."""

from __future__ import annotations

import re

import pytest

from devtools.paths import ROOT
from shared.cards import TemplateError, compile_template
from shared.cards._parser import ALIASES
from shared.cards.functions import AEL_FUNCTION_NAMES, FUNCTIONS, REFUSED


def test_every_ael_name_is_implemented_an_alias_or_refused() -> None:
    assert AEL_FUNCTION_NAMES - set(ALIASES) - set(REFUSED) == set(AEL_FUNCTION_NAMES) & set(
        FUNCTIONS
    )
    assert not set(REFUSED) & set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_function_fails_at_compile_time_with_its_reason(name: str) -> None:
    with pytest.raises(TemplateError) as error:
        compile_template({"type": "AdaptiveCard", "body": [{"text": f"${{{name}(a, b)}}"}]})
    assert f"{name}() is refused: {REFUSED[name]}" in str(error.value)


def _listed(text: str) -> set[str]:
    return set(re.findall(r"`(\w+)`", text))


def test_the_readme_lists_the_refused_functions() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("Refused when a template is compiled")
    paragraph = readme[start : readme.index("\n\n", start)]
    assert _listed(paragraph) == set(REFUSED)


def test_the_template_docs_list_the_refused_functions() -> None:
    docs = (ROOT / "docs" / "templates.md").read_text("utf-8")
    rows = re.findall(r"^   \| (`.*?) \| .* \|$", docs, flags=re.MULTILINE)
    assert rows, "docs/templates.md has the table of refused functions"
    assert set().union(*(_listed(row) for row in rows)) == set(REFUSED)
