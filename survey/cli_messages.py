"""What the command line tells a person: Chinese then English (an operator at a county may read
either), no traceback for what they can fix."""

from __future__ import annotations

import sys

from survey.errors import DomainError, message

LANG_HELP = "language of the messages (default: both, Chinese then English)"


def say(en: str, zh: str, out=None, lang: str | None = None) -> None:
    """One message in the language asked for (--lang zh|en), or both, Chinese first."""
    out = out or sys.stdout
    if lang != "en":
        print(zh, file=out)
    if lang != "zh":
        print(en, file=out)


def say_each(problems, lang: str | None = None, out=None) -> None:
    """Messages that carry both languages (survey.errors.message), one line each, on stderr."""
    for problem in problems:
        say(message(problem, "en"), message(problem, "zh"), out or sys.stderr, lang)


def fail(exc: DomainError) -> int:
    """A refusal a person can act on, on stderr, exit code 2 (every CLI command)."""
    print(f"错误:{exc.zh or exc.en}", file=sys.stderr)
    print(f"error: {exc.en}", file=sys.stderr)
    return 2
