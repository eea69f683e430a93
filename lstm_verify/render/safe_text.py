"""Text a case file wrote, made safe to show: on a terminal, in rich markup, XML, Markdown.

A case's name, description, known_mistake and file name are the user's (or a
stranger's) text.  Control characters in them would drive the terminal (an ESC
sequence can recolour, retitle or clear it), bidirectional overrides can make a
file name read backwards, and XML 1.0 forbids most of them outright, so a JUnit
report holding one would not parse.  Each is shown as its escape (``\\x1b``,
``\\u202e``); tabs and newlines stay as they are.
"""

import re

# C0 controls but tab and newline, DEL and C1 controls, lone surrogates (unencodable),
# the bidirectional marks, embeddings, overrides and isolates, line/paragraph separators,
# the byte-order mark and the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff]")


def _escaped(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text):
    """``text`` with every character that could act on a terminal (or break XML) shown as
    its escape, e.g. ESC as ``\\x1b``; tabs and newlines kept."""
    return _UNSAFE.sub(_escaped, str(text))


def markup(text):
    """``visible`` text for rich: square brackets are not read as markup either."""
    from rich.markup import escape
    return escape(visible(text))


def xml(text):
    """Text that XML 1.0 accepts in an element or attribute (ElementTree escapes & < >)."""
    return visible(text)


def markdown(text):
    """Text for a Markdown paragraph or heading: raw HTML is shown, never rendered."""
    import html   # here: calc and verify start faster without it
    return html.escape(visible(text), quote=False)
