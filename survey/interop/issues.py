"""A located problem in an imported file: `FILE:sheet:row: what, and what to do`, in zh and en."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    file: str
    sheet: str
    row: int | None
    en: str  # what is wrong and what to do, in English
    zh: str  # the same in Chinese
    item: str = ""  # the question / column concerned, if any
    # skipped: the item is left out; changed: kept with a difference; note: for information
    kind: str = "skipped"

    def where(self) -> str:
        return f"{self.file}:{self.sheet}:{self.row if self.row is not None else '-'}"

    def text(self, lang: str = "en") -> str:
        return f"{self.where()}: {self.zh if lang == 'zh' else self.en}"

    def __str__(self) -> str:
        return self.text("en")


def issue_rows(issues, lang: str) -> list[dict]:
    """Issues as table rows for a page (column names in the page's language)."""
    zh = lang == "zh"
    return [{("文件" if zh else "file"): i.file, ("工作表" if zh else "sheet"): i.sheet,
             ("行" if zh else "row"): i.row, ("项目" if zh else "item"): i.item,
             ("说明" if zh else "problem"): i.zh if zh else i.en} for i in issues]
