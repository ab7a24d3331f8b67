"""ui/text.plain: what a reader sees is the text as typed (the browser proof is
tests/test_browser_hostile_text.py; this checks the source it hands to Streamlit)."""

from __future__ import annotations

import re

import pytest

from ui.text import WORD_JOINER, plain

TYPED = [
    "[官方通知](http://evil.example/a)", "见 http://evil.example/b 处", "HTTPS://EVIL.EXAMPLE",
    "www.evil.example", "a@evil.example", "**粗** _斜_ ~~删~~ `码`", "<b>x</b> &lt; &amp;",
    "![图](http://evil.example/i.png)", "# 标题", "> 引用", "- 列表", "+ 列表", "1. 第一",
    "12) 第十二", ":material/home: :streamlit: :red[红] :smile:", "$x^2$", "a -> b <= c -- d",
    "| a | b |", "两行\n\n    第二行缩进", "=HYPERLINK(\"http://evil.example\",\"x\")", "清河县第一中学",
    "How many visits? (about 2.5 hours)",
]


def read(source: str) -> str:
    """What CommonMark shows for escapes, and the word joiner that shows as nothing."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source).replace(WORD_JOINER, "")


@pytest.mark.parametrize("typed", TYPED)
def test_the_reader_sees_the_text_as_typed_on_one_line(typed):
    assert read(plain(typed)) == " ".join(typed.split())


@pytest.mark.parametrize("typed", TYPED)
def test_nothing_in_it_starts_markup_or_a_link(typed):
    source = plain(typed)
    unescaped = re.sub(r"\\.", "", source)
    assert not re.search(r"[*_\[\]<>`~$&|]", unescaped)
    assert not re.match(r"\s*([#>+-]|\d+[.)])", source)
    assert not re.search(r"(?i)(?<!\u2060)(https?\\?:|www\.)", source)
    assert not re.search(r"(?i)https?:", source)  # the parser's own URL detection needs the colon
    assert not re.search(r"(?<!\u2060)@", source)
    assert not re.search(r":(?=[a-z_])", source)


def test_ordinary_text_is_left_alone():
    """Labels become accessible names as written: no backslash where nothing needs one."""
    assert plain("How many visits? (about 2.5 hours)") == "How many visits? (about 2.5 hours)"
    assert plain("清河县第一中学") == "清河县第一中学"
