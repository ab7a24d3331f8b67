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
# character), an icon or logo shortcode (:material/..., :streamlit:), a typographic arrow or
# dash (->, --, <=).
_DETECTION = re.compile(r"(?i)(?=https?:|ftp:|www\.)|(?=@)|(?<=:)(?=[a-z_])|(?<=[-<>~=])(?=[-<>~=])")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text) -> str:
    """Markdown source that shows `text` as typed, on one line (runs of spaces and line
    breaks become one space, as HTML shows them anyway; a line break would start a new
    paragraph, and four leading spaces a code block)."""
    line = " ".join(str(text).split())
    return _ASCII_PUNCTUATION.sub(r"\\\1", _DETECTION.sub(WORD_JOINER, line))

