"""Errors a person can act on, in both interface languages.

The core never imports Streamlit, so it cannot know the viewer's language: it raises a
DomainError carrying the message in Chinese and English, and the page shows the one the viewer
reads (`message(exc, lang)`). str() is the English text, for the CLI, logs and tests.
"""

from __future__ import annotations


class DomainError(Exception):
    """What went wrong and how to fix it, in English (first, as for any exception) and Chinese.
    A message given only in English is shown as it is in both languages."""

    def __init__(self, en: str, zh: str | None = None, *args):
        super().__init__(en, *args)
        self.en = en
        self.zh = zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en

    def __str__(self) -> str:
        return self.en


class Bilingual(str):
    """A message that is not raised (e.g. one per row of an import preview): a str whose value
    is the English text, with the Chinese beside it."""

    def __new__(cls, en: str, zh: str | None = None):
        text = super().__new__(cls, en)
        text.zh = zh
        return text

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str.__str__(self)


def message(problem: BaseException | str, lang: str) -> str:
    """The text to show for an exception or message in the viewer's language."""
    return problem.text(lang) if isinstance(problem, (DomainError, Bilingual)) else str(problem)
