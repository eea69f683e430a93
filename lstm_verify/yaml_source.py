"""Read a YAML file into plain Python values, remembering the line of every key.

PyYAML's safe composer builds the node tree (no Python objects are ever
constructed); we turn nodes into dicts, lists and scalars ourselves so that
each value's line is known, duplicate keys are refused, and aliases cannot
expand into an enormous document.
"""

import yaml

from .errors import CaseError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_VALUES = 5_000_000  # scalars after alias expansion
MAX_DEPTH = 64
ALLOWED_TAGS = {f"tag:yaml.org,2002:{name}"
                for name in ("str", "int", "float", "bool", "null", "map", "seq")}


def float_text(text):
    """Float text that PyYAML reads back as a float: YAML 1.1 needs a decimal point in the
    mantissa, so 1e-08 (which PyYAML reads as a string) becomes 1.0e-08."""
    mantissa, e, exponent = text.partition("e")
    return (mantissa if "." in mantissa or not e else mantissa + ".0") + e + exponent


class _Builder:
    def __init__(self, path, max_values):
        self.path = path
        self.lines = {}
        self.count = 0
        self.max_values = max_values
        self.loader = yaml.SafeLoader("")

    def error(self, message, key, node):
        line = node.start_mark.line + 1 if node is not None else None
        return CaseError(message, self.path, key or None, line)

    def build(self, node, key="", depth=0):
        if depth > MAX_DEPTH:
            raise self.error(f"is nested more than {MAX_DEPTH} levels deep; a case file "
                             "needs at most 4 levels", key, node)
        self.lines.setdefault(key, node.start_mark.line + 1)
        if node.tag not in ALLOWED_TAGS:
            raise self.error(f"has the tag {node.tag}, which a case file may not use "
                             "(only plain numbers, strings, booleans, null, lists and maps)",
                             key, node)
        self.count += 1
        if self.count > self.max_values:
            raise self.error(
                f"the document expands to more than {self.max_values:,} values (YAML "
                "aliases can multiply a small file); pass --max-values N to allow a "
                "genuinely large case", key, node)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, key, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, f"{key}[{n}]", depth + 1)
                    for n, child in enumerate(node.value)]
        return self.build_scalar(node, key)

    def build_mapping(self, node, key, depth):
        result = {}
        self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("has a key that is not a plain name", key, key_node)
            name = self.build_scalar(key_node, key)
            name = str(name) if not isinstance(name, str) else name
            child = f"{key}.{name}" if key else name
            if name in result:
                raise self.error(
                    f"appears twice (lines {self.lines[child]} and "
                    f"{key_node.start_mark.line + 1}); each key may appear once",
                    child, key_node)
            self.lines[child] = key_node.start_mark.line + 1
            result[name] = self.build(value_node, child, depth + 1)
        return result

    def build_scalar(self, node, key):
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.error(f"could not be read: {exc}", key, node) from None


def load_yaml(path, text=None, max_values=MAX_VALUES):
    """Return ``(data, lines)``: the document and a map of dotted key -> line."""
    if text is None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES and max_values <= MAX_VALUES:
                raise CaseError(f"is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a "
                                "case may have; keep large arrays in a sibling .npz file "
                                "or pass --max-values to allow it", path)
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CaseError("is not UTF-8 text; a case file is YAML text", path) from None
        except OSError as exc:
            raise CaseError(f"cannot be read: {exc.strerror}", path) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CaseError(f"is not valid YAML: {exc.problem}", path, None, line) from None
    except yaml.YAMLError as exc:
        raise CaseError(f"is not valid YAML: {exc}", path) from None
    except RecursionError:
        raise CaseError("is nested too deeply to read", path) from None
    if node is None:
        raise CaseError("is empty; expected a YAML mapping with at least inputs and "
                        "weights", path)
    builder = _Builder(path, max_values)
    data = builder.build(node)
    return data, builder.lines
