"""Read a YAML file into plain Python values, remembering the line of every key.

The document is built from the parser's event stream (libyaml's C parser where
PyYAML has it), never through PyYAML's node tree or its object constructor:
scalars are typed by YAML's own resolver and built with the safe constructor's
functions for int, float, bool, null and str only, so no Python object is ever
made.  Values are counted as they are read, aliases expanded, so a document that
is too large (long, or multiplied by aliases) is refused when the count passes
the limit, before the rest is read; an alias shares the anchored value instead
of copying it.  Duplicate keys are refused; ``<<`` merge keys are applied as
YAML defines them (keys written in the mapping override merged ones).
"""

import re

import yaml

from .. import reading
from ..errors import CaseError

try:   # libyaml: a 13 MB case parses in seconds rather than minutes
    from yaml import CSafeLoader as _Loader
except ImportError:   # pragma: no cover - PyYAML without its C extension
    from yaml import SafeLoader as _Loader

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_VALUES = 5_000_000  # values after alias expansion
MAX_DEPTH = 64
MAX_INTEGER = 2 ** 63 - 1   # past int64, numpy and float() refuse or round a whole number
YAML = "tag:yaml.org,2002:"
SCALAR_TAGS = {YAML + name for name in ("str", "int", "float", "bool", "null")}
MERGE = YAML + "merge"
# YAML 1.1 reads a float only with a dot in the mantissa and a sign in the exponent:
# 1e-3 and 1.0e8 are text.  (PyYAML follows YAML 1.1; YAML 1.2 would read them as numbers.)
# The commonest numbers, read without the resolver (a subset of YAML 1.1's own patterns).
_PLAIN_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?")
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
_FLOAT_TRAP = re.compile(r"[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)[eE][-+]?\d+")


def float_text(text):
    """Float text that PyYAML reads back as a float: YAML 1.1 needs a decimal point in the
    mantissa, so 1e-08 (which PyYAML reads as a string) becomes 1.0e-08."""
    mantissa, e, exponent = text.partition("e")
    return (mantissa if "." in mantissa or not e else mantissa + ".0") + e + exponent


def number_trap(text):
    """For text such as '1e-3' that YAML 1.1 reads as a string though it looks like a
    number: the spelling it reads as a float ('1.0e-3'); else None."""
    if not isinstance(text, str) or not _FLOAT_TRAP.fullmatch(text):
        return None
    mantissa, e, exponent = re.split("([eE])", text)
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}{e}{exponent}"


class KeyLines(dict):
    """Dotted key -> line of a document; ``values_read`` counts its values (aliases
    expanded), so .npz entries can be counted against the same --max-values."""

    values_read = 0


class _Builder:
    """Plain values from a parser's events, with lines, counts and YAML's merge rules."""

    def __init__(self, path, max_values):
        self.path = path
        self.max_values = max_values
        self.lines = KeyLines()
        self.count = 0
        self.through_aliases = 0
        self.anchors = {}     # name -> (value, number of values in it)
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.known = {}       # (tag, text) -> value: a big case repeats its numbers

    def error(self, message, key, event):
        line = event.start_mark.line + 1 if event is not None else None
        return CaseError(message, self.path, key or None, line)

    def counted(self, n, key, event, alias=False):
        self.count += n
        self.through_aliases += n if alias else 0
        if self.count > self.max_values:
            why = ("YAML aliases (*name) repeat anchored parts of it, so a small file can "
                   "stand for a huge one" if self.through_aliases else
                   "keep large arrays in a sibling .npz file (arrays: and npz:NAME)")
            raise self.error(f"the document holds more than {self.max_values:,} values "
                             f"({why}); pass --max-values N to allow a genuinely large case",
                             key, event)

    def build(self, events, event, key="", depth=0):
        if depth > MAX_DEPTH:
            raise self.error(f"is nested more than {MAX_DEPTH} levels deep; a case file "
                             "needs at most 4 levels", key, event)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise self.error(f"uses the alias *{event.anchor}, but no anchor "
                                 f"&{event.anchor} is complete before it", key, event)
            value, size = self.anchors[event.anchor]
            self.counted(size, key, event, alias=True)
            return value
        start = self.count
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event, key)
            self.counted(1, key, event)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.check_tag(event.tag, "seq" if isinstance(event, yaml.SequenceStartEvent)
                           else "map", key, event)
            self.lines.setdefault(key, event.start_mark.line + 1)
            self.counted(1, key, event)
            value = (self.sequence(events, key, depth)
                     if isinstance(event, yaml.SequenceStartEvent)
                     else self.mapping(events, key, depth))
        else:   # the parser never gives another event here
            raise self.error(f"holds an unexpected {type(event).__name__}", key, event)
        if event.anchor is not None:
            self.anchors[event.anchor] = value, self.count - start
        return value

    def sequence(self, events, key, depth):
        items = []
        for event in events:
            if isinstance(event, yaml.SequenceEndEvent):
                return items
            items.append(self.build(events, event, f"{key}[{len(items)}]", depth + 1))

    def mapping(self, events, key, depth):
        written, merged = {}, []
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            if not isinstance(key_event, yaml.ScalarEvent):
                raise self.error("has a key that is not a plain name", key, key_event)
            tag = self.tag(key_event)
            if tag == MERGE:
                merged.append(self.merge_source(events, key, depth, key_event))
                continue
            name = self.scalar(key_event, key)
            name = name if isinstance(name, str) else str(name)
            child = f"{key}.{name}" if key else name
            line = key_event.start_mark.line + 1
            if name in written:
                raise self.error(f"appears twice (lines {self.lines[child]} and {line}); "
                                 "each key may appear once", child, key_event)
            self.lines[child] = line
            written[name] = self.build(events, next(events), child, depth + 1)
        result = {}
        for source, line in merged:   # an earlier source wins; keys written here win over all
            for name, value in source.items():
                if name not in result:
                    result[name] = value
                    self.lines.setdefault(f"{key}.{name}" if key else str(name), line)
        result.update(written)
        return result

    def merge_source(self, events, key, depth, key_event):
        """(mapping to merge, line) for a ``<<`` key: a mapping or a list of mappings."""
        where = f"{key}.<<" if key else "<<"
        value = self.build(events, next(events), where, depth + 1)
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(s, dict) for s in sources):
            from .checks import describe
            raise self.error(f"is {describe(value)}, but << (a YAML merge key) takes a "
                             "mapping, or a list of mappings, whose keys it merges into this "
                             "one (e.g. << : *defaults)", where, key_event)
        combined = {}
        for source in sources:
            for name, item in source.items():
                combined.setdefault(name, item)
        return combined, key_event.start_mark.line + 1

    def too_big(self, event, key):
        """A whole number past int64: named at its array key with its position, if any."""
        array, indices = re.fullmatch(r"(.*?)((?:\[\d+\])*)", key).groups()
        position = ", ".join(re.findall(r"\d+", indices))
        at = f" at position [{position}]" if indices else ""
        digits = len(event.value.lstrip("+-"))
        found = f"contains the whole number" if indices else "is the whole number"
        return self.error(f"{found} {event.value[:12]}... ({digits} digits){at}, beyond the 64-bit range of whole numbers; an LSTM "
                          "case needs moderate numbers (within 1e30)", array or key, event)

    def tag(self, event):
        if event.tag is None or event.tag == "!":
            return self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        return event.tag

    def check_tag(self, tag, kind, key, event):
        if tag is None or tag == "!" or tag == YAML + kind or (
                kind == "str" and tag in SCALAR_TAGS):
            return
        if tag == YAML + "timestamp":
            raise self.error(f"is {event.value!r}, which YAML reads as a date or time, not "
                             f"text; quote this text: \"{event.value}\"", key, event)
        raise self.error(f"has the tag {tag}, which a case file may not use (only plain "
                         "numbers, strings, booleans, null, lists and maps)", key, event)

    def scalar(self, event, key):
        if event.tag is None and not event.style:   # plain: the fast path for numbers
            if _PLAIN_FLOAT.fullmatch(event.value):
                return float(event.value)
            if _PLAIN_INT.fullmatch(event.value):
                return int(event.value)
        tag = self.tag(event)
        known = self.known.get((tag, event.value))
        if known is not None:
            return known
        self.check_tag(tag, "str", key, event)
        if tag == YAML + "int" and len(event.value.replace("_", "")) > 40:
            raise self.too_big(event, key)   # before int() spends time on it
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.yaml_constructors[tag](self.constructor, node)
        except (ValueError, yaml.YAMLError) as exc:
            raise self.error(f"could not be read as {tag[len(YAML):]}: {exc}", key,
                             event) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise self.too_big(event, key)
        if tag != YAML + "str" and len(self.known) < 100_000:
            self.known[tag, event.value] = value
        return value


def load_yaml(path, text=None, max_values=MAX_VALUES):
    """Return ``(data, lines)``: the document and a map of dotted key -> line."""
    if text is None:
        limit = MAX_FILE_BYTES if max_values <= MAX_VALUES else None
        text = reading.read_text(path, "a case file", limit,
                                 too_big="keep large arrays in a sibling .npz file or pass "
                                 "--max-values to allow it")
    builder = _Builder(path, max_values)
    try:
        events = yaml.parse(text, Loader=_Loader)
        data = _document(builder, events, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise CaseError(f"is not valid YAML: {exc.problem or exc.context}", path, None,
                        line) from None
    except yaml.YAMLError as exc:
        raise CaseError(f"is not valid YAML: {exc}", path) from None
    except RecursionError:
        raise CaseError("is nested too deeply to read", path) from None
    builder.lines.values_read = builder.count
    return data, builder.lines


def _document(builder, events, path):
    """The one document of a stream of parser events."""
    data, documents = None, 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise CaseError("holds more than one YAML document (a second --- at line "
                                f"{event.start_mark.line + 1}); a case file is one document",
                                path, None, event.start_mark.line + 1)
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent,
                                yaml.MappingStartEvent)):
            data = builder.build(events, event)
            documents = documents or 1
    if data is None:
        raise CaseError("is empty; expected a YAML mapping with at least inputs and "
                        "weights", path)
    return data
