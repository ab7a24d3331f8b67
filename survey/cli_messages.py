"""What the command line tells a person: Chinese then English (an operator at a county may read
either), no traceback for what they can fix."""

from __future__ import annotations

import sys

from survey.errors import DomainError


def say(en: str, zh: str, out=None) -> None:
    out = out or sys.stdout
    print(zh, file=out)
    print(en, file=out)


def fail(exc: DomainError) -> int:
    """A refusal a person can act on, on stderr, exit code 2 (every CLI command)."""
    print(f"错误:{exc.zh or exc.en}", file=sys.stderr)
    print(f"error: {exc.en}", file=sys.stderr)
    return 2
