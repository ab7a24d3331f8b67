"""Ready example queries for analysts, kept as files in queries/*.sql.

Each file starts with `-- title: 中文 | English` and `-- description: 中文 | English`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from survey.config import PROJECT_ROOT

QUERIES_DIR = PROJECT_ROOT / "queries"


@dataclass(frozen=True)
class ExampleQuery:
    name: str
    title: tuple[str, str]
    description: tuple[str, str]
    sql: str

    def title_in(self, lang: str) -> str:
        return self.title[1 if lang == "en" else 0]

    def description_in(self, lang: str) -> str:
        return self.description[1 if lang == "en" else 0]


def _pair(text: str) -> tuple[str, str]:
    zh, _, en = text.partition("|")
    return zh.strip(), (en or zh).strip()


def load(folder: Path = QUERIES_DIR) -> list[ExampleQuery]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        meta = {}
        for line in text.splitlines():
            if line.startswith("-- ") and ":" in line:
                key, _, value = line[3:].partition(":")
                meta[key.strip()] = value.strip()
        found.append(ExampleQuery(path.stem, _pair(meta.get("title", path.stem)),
                                  _pair(meta.get("description", "")), text))
    return found
