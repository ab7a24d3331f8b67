"""What the command line tells a person: Chinese then English (an operator at a county may read
either), no traceback for what they can fix."""

from __future__ import annotations

import argparse
import re
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


# argparse's own refusals (English), in Chinese: (pattern, replacement)
_ARGPARSE_ZH = (
    (r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)", r"参数 \1 的取值 \2 无效;可选:\3"),
    (r"argument (\S+): invalid (\w+) value: (.+)", r"参数 \1 的值 \3 无效(应为 \2)"),
    (r"argument (\S+): '(.*)' is not a date YYYY-MM-DD", r"参数 \1 的值 '\2' 不是日期(YYYY-MM-DD)"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"the following arguments are required: (.+)", r"缺少必需的参数:\1"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数:\1"),
)
_asked: list[str] = []  # the command line being parsed (its --lang decides the language)


def asked_lang(argv: list[str]) -> str | None:
    """The --lang of a command line that may not parse (zh, en, or None: both)."""
    for i, word in enumerate(argv):
        if word.startswith("--lang="):
            return word.split("=", 1)[1]
        if word == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    return None


class Parser(argparse.ArgumentParser):
    """argparse whose refusals (a wrong choice, a missing argument) are in the --lang asked
    for, or in Chinese then English."""

    def parse_args(self, args=None, namespace=None):
        _asked[:] = list(sys.argv[1:] if args is None else args)
        return super().parse_args(args, namespace)

    def error(self, message):
        lang = asked_lang(_asked)
        usage = self.format_usage()
        zh = message
        for pattern, replacement in _ARGPARSE_ZH:
            zh = re.sub(pattern, replacement, zh)
        if lang != "en":
            sys.stderr.write(usage.replace("usage:", "用法:", 1) + f"{self.prog}: 错误:{zh}\n")
        if lang != "zh":
            sys.stderr.write(usage + f"{self.prog}: error: {message}\n")
        self.exit(2)
