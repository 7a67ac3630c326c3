"""Cards: the Adaptive Card Template Language engine and the card checks.

`expand` and `compile_template` match Microsoft's official JavaScript SDK
(`adaptivecards-templating` with `adaptive-expressions`); `check_card` tells whether
Teams will take a card.
"""

from .check import Problem, Target, check_card
from .errors import (
    Binding,
    TemplateError,
    TemplateExpansionError,
    TemplateSyntaxError,
    UnresolvedBindingsError,
)
from .template import CompiledTemplate, Expansion, RepeatSpan, compile_template, expand, json_path

__all__ = [
    "Binding",
    "CompiledTemplate",
    "Expansion",
    "Problem",
    "RepeatSpan",
    "Target",
    "TemplateError",
    "TemplateExpansionError",
    "TemplateSyntaxError",
    "UnresolvedBindingsError",
    "check_card",
    "compile_template",
    "expand",
    "json_path",
]
