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
    # skipped: the item is left out; changed: kept with a difference; note: for information;
    # refused: the converted questionnaire does not validate, so nothing is imported
    kind: str = "skipped"

    def where(self) -> str:
        return f"{self.file}:{self.sheet}:{self.row if self.row is not None else '-'}"

    def text(self, lang: str = "en") -> str:
        return f"{self.where()}: {self.zh if lang == 'zh' else self.en}"

    def __str__(self) -> str:
        return self.text("en")


def issue_rows(issues, lang: str, for_file: bool = False) -> list[dict]:
    """Issues as table rows in the page's language. On a page the message comes first (it is
    what to do, and gets the width) and the place is one short column "sheet:row" (the file is
    the one just uploaded); for a CSV download every field gets its own column."""
    zh = lang == "zh"
    if for_file:
        return [{("文件" if zh else "file"): i.file, ("工作表" if zh else "sheet"): i.sheet,
                 ("行" if zh else "row"): i.row, ("项目" if zh else "item"): i.item,
                 ("说明" if zh else "problem"): i.zh if zh else i.en} for i in issues]
    return [{("说明" if zh else "problem"): i.zh if zh else i.en,
             ("位置" if zh else "where"): f"{i.sheet}:{i.row if i.row is not None else '-'}",
             ("项目" if zh else "item"): i.item} for i in issues]


def message_column(lang: str) -> str:
    """The name of the message column of issue_rows (pages give it the width)."""
    return "说明" if lang == "zh" else "problem"
