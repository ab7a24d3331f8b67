"""Questionnaires: YAML files -> validated, frozen models (parse -> validate -> model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from survey.questionnaire.model import Question, Questionnaire, Section, Text
from survey.questionnaire.validate import (
    Problem, QuestionnaireError, load, parse_bytes, parse_file, parse_text,
)

__all__ = ["Question", "Questionnaire", "Section", "Text", "Problem", "QuestionnaireError",
           "load", "parse_bytes", "parse_file", "parse_text", "LoadResult", "load_dir",
           "yaml_files"]


@dataclass
class LoadResult:
    """The outcome of reading a folder: the valid questionnaires and every problem found."""

    valid: list[Questionnaire] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def yaml_files(paths) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def load_dir(*paths) -> LoadResult:
    """Validate every YAML file; a broken file is reported and skipped, never fatal."""
    result = LoadResult()
    for path in yaml_files(paths):
        model, problems = parse_file(path)
        result.problems.extend(problems)
        if model is not None:
            result.valid.append(model)
    return result
