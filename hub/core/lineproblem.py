"""One bad line of an imported CSV file (the registry, the duty roster): shared by their importers.

A :class:`LineProblem` is the line's number (the header is line 1), a message code and the code's
parameters; a subclass names the module of messages (``words``: ``text(lang, code, params)``)
that says it in Chinese or English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class LineProblem:
    words: ClassVar[Any]

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        """The reason in ``lang`` (Chinese unless ``"en"``), without the line number."""
        return self.words.text(lang, self.code, self.params)

    def __str__(self) -> str:
        return f"line {self.line}: {self.text('en')}"
