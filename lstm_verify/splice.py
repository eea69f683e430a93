"""Replace (or add) one top-level entry of a YAML mapping as text; every other byte stays.

The entry is located with the parser's events (character positions, not guesses
about lines), so the same edit works for a block mapping at any indentation, a
flow or JSON mapping on one line or pretty-printed, CRLF line endings, a file
ending in the ``...`` document marker, and comments anywhere.  What cannot be done
without changing the rest of the document (an anchor defined inside the entry and
used elsewhere) is refused with the reason.  The caller still reads the result
back: this module edits text, it does not promise the document means what it did.
"""

from dataclasses import dataclass, field

import yaml

from .errors import CaseError


@dataclass
class Entry:
    """A top-level key and its value, as character positions in the text."""

    name: str
    key_start: int
    value_start: int = 0
    value_end: int = 0       # just after the value's last character (not the next token)
    anchors: set = field(default_factory=set)


@dataclass
class Layout:
    flow: bool               # the mapping is {...} (flow or JSON), not block style
    entries: list
    aliases: list            # (anchor name, line) of every alias in the document


def layout(text):
    """The top-level mapping's Layout, or None when the document is not a mapping."""
    events = iter(yaml.parse(text, Loader=yaml.SafeLoader))   # pure Python: exact indices
    for event in events:
        if isinstance(event, yaml.NodeEvent):
            break
    else:
        return None
    if not isinstance(event, yaml.MappingStartEvent):
        return None
    found = Layout(flow=bool(event.flow_style), entries=[], aliases=[])
    for key in events:
        if isinstance(key, yaml.MappingEndEvent):
            return found
        entry = Entry(name=getattr(key, "value", None), key_start=key.start_mark.index)
        _value(events, entry, found.aliases)
        found.entries.append(entry)
    return found


def _value(events, entry, aliases):
    """Consume one value's events, noting where its content starts and ends."""
    depth, flows, first = 0, [], True
    for event in events:
        if first:
            entry.value_start, first = event.start_mark.index, False
        if getattr(event, "anchor", None) and not isinstance(event, yaml.AliasEvent):
            entry.anchors.add(event.anchor)
        if isinstance(event, yaml.AliasEvent):
            aliases.append((event.anchor, event.start_mark.line + 1))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            flows.append(event.flow_style)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            if flows.pop():   # a block collection ends where the next token starts
                entry.value_end = event.end_mark.index
        else:
            entry.value_end = event.end_mark.index
        if depth == 0:
            return


def replace_entry(text, name, block_lines, flow_text):
    """``text`` with the top-level entry ``name`` replaced, or added after the last one.

    ``block_lines``: the entry as block YAML lines at indentation 0 (``name:`` first);
    ``flow_text``: its value as one flow/JSON value, for a mapping written in {...}."""
    found = layout(text)
    if found is None or not found.entries:
        raise CaseError("is not a YAML mapping with keys; there is nowhere to put "
                        f"'{name}'")
    entry = next((e for e in found.entries if e.name == name), None)
    if entry is not None:
        _refuse_shared_anchors(entry, found.aliases, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    if found.flow:
        if entry is not None:
            return text[:entry.value_start] + flow_text + text[entry.value_end:]
        end = found.entries[-1].value_end
        return text[:end] + f', "{name}": {flow_text}' + text[end:]
    indent = found.entries[0].key_start - _line_start(text, found.entries[0].key_start)
    block = "".join(" " * indent + line + newline for line in block_lines)
    if entry is None:
        end = _line_end(text, found.entries[-1].value_end)
        prefix = text[:end] if text[:end].endswith("\n") or not end else text[:end] + newline
        return prefix + block + text[end:]
    start = _line_start(text, entry.key_start)
    if text[start:entry.key_start].strip():   # something else before the key on its line
        start, block = entry.key_start, block[indent:]
    return text[:start] + block + text[_line_end(text, entry.value_end):]


def _refuse_shared_anchors(entry, aliases, name):
    used = [(anchor, line) for anchor, line in aliases if anchor in entry.anchors]
    if used:
        anchor, line = used[0]
        raise CaseError(f"defines the anchor &{anchor} inside '{name}', and line {line} "
                        f"uses it (*{anchor}); replacing '{name}' would break that "
                        f"reference, so the file is left untouched: move the anchor out of "
                        f"'{name}' (or write its value out) and try again")


def _line_start(text, index):
    return text.rfind("\n", 0, index) + 1


def _line_end(text, index):
    """Just after the end of the line holding ``index`` (the rest of a line whose content
    ends at ``index``, such as a comment, goes with it)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1
