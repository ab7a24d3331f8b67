"""Text that people typed (point and region names, questionnaire labels from an import, problem
reports, account names, notes), shown as text: never as a link, an image, bold or a heading.

Most Streamlit elements render markdown: st.markdown, st.caption, st.title, the st.success /
info / warning / error boxes, every widget label, radio options, expander and tab labels,
metric labels. Backslash-escaping markdown's characters is not enough there: Streamlit's
markdown (remark-gfm) still turns a bare http://..., www.... or name@host into a link,
because it looks for them in the text after the escapes are read, and it replaces
:material/x: and :streamlit: (an image) in the source before parsing. `plain` escapes every
ASCII punctuation character and puts an invisible WORD JOINER (U+2060) where those
detections would start, so the reader sees the text as typed and nothing is made of it.

Where the whole element is typed text, st.text (or st.code) shows it with no markdown at all
and keeps its line breaks. Select boxes and multiselects show their options as plain text:
their labels need nothing (escaping them would show the backslashes).
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
# Where Streamlit's markdown would start something: a URL or www. (the character before it
# must be a space or punctuation), an e-mail address (the character before @ must be a word
# character), an icon, logo or colour directive (:material/x:, :streamlit:, :red[...]), a
# typographic arrow or dash (->, --, <=).
_DETECTION = re.compile(r"(?i)(?=https?:|ftp:|www\.)|(?=@)|(?<=:)(?=[a-z_])|(?<=[-<>~=])(?=[-<>~=])")
# The characters that start inline markup (emphasis, code, links and images, HTML, maths,
# strikethrough, entities, tables). Others (. , ? ! ( ) ...) stay as they are: widget labels
# become the fields' accessible names as written, and a screen reader would read backslashes.
_INLINE = re.compile(r"([\\`*_\[\]<>~$&|])")
# What starts a block at the beginning of a line: a heading, a quote, a list item.
_BLOCK_START = re.compile(r"^([#>+-]|\d+(?=[.)]))")
# The parser itself also finds http:// in the source (after any character but a letter): an
# escaped colon stops it there, the word joiner in the text it makes.
_SCHEME_COLON = re.compile(r"(?i)\b(https?|ftp):")


def plain(text) -> str:
    """Markdown source that shows `text` as typed, on one line (runs of spaces and line
    breaks become one space, as HTML shows them anyway; a line break would start a new
    paragraph, and four leading spaces a code block)."""
    line = _INLINE.sub(r"\\\1", _DETECTION.sub(WORD_JOINER, " ".join(str(text).split())))
    line = _SCHEME_COLON.sub(r"\1\\:", line)
    block = _BLOCK_START.match(line)
    if block is None:
        return line
    marker = block.group(1)
    if marker[0].isdigit():  # 1. or 1): the dot or parenthesis is the marker
        return marker + "\\" + line[len(marker):]
    return "\\" + line
