"""Tables that fit the terminal: units split across tables by width, never a cut number,
and text lines that wrap under their own indent. No computation here."""

from itertools import takewhile

import numpy as np

from ..arithmetic import fmt
from .safe_text import markup as escape

MAX_UNITS_SHOWN = 8      # a wider layer shows the units that differ, and says so
MAX_UNITS_DIFFERING = 32


def _text(markup):
    """A rich Text of a piece of markup (plain text as it is: no markup to parse)."""
    from rich.text import Text

    return Text(markup) if "[" not in markup else Text.from_markup(markup, emoji=False)


def _text_width(text):
    """Terminal cells the widest line of a Text takes."""
    return max((line.cell_len for line in text.split("\n")), default=0)


def _width(markup):
    """Terminal cells the widest line of a piece of markup takes."""
    return _text_width(_text(markup))


def fitted(title, labels, columns, cells, width, span=lambda first, last: f"{first}–{last}"):
    """Rich tables holding rows `labels` and columns `columns` (headers), cells[r][k] the
    markup of row r, column k, split into as many tables as it takes to fit `width`
    terminal cells: a column is whole in one table or moves to the next; a split table's
    title says which columns it holds (span of the first and last header)."""
    from rich.table import Table

    labels = [_text(label) for label in labels]       # each parsed once: widths and rows
    cells = [[_text(cell) for cell in row] for row in cells]
    label_width = max(map(_text_width, labels), default=0)
    widths = [max([_width(columns[k])] + [_text_width(row[k]) for row in cells])
              for k in range(len(columns))]
    used_by_label = 1 + label_width + 3        # left border, padding 2, separator 1
    groups, group, used = [], [], used_by_label
    for k, w in enumerate(widths):
        if group and used + w + 3 > width:
            groups.append(group)
            group, used = [], used_by_label
        group.append(k)
        used += w + 3
    groups.append(group)
    tables = []
    for group in groups:
        part = "" if len(groups) == 1 else f", {span(columns[group[0]], columns[group[-1]])}"
        table = Table(title=title + part, title_justify="left", show_lines=True)
        table.add_column("", no_wrap=True, min_width=label_width)
        for k in group:
            table.add_column(columns[k], justify="right", no_wrap=True, min_width=widths[k])
        for label, row in zip(labels, cells):
            table.add_row(label, *(row[k] for k in group))
        tables.append(table)
    return tables


def unit_span(first, last):
    """'units 0–4' from the headers 'unit 0' and 'unit 4'."""
    return f"units {first.split()[-1]}–{last.split()[-1]}"


def units_to_show(units, differing):
    """The units a table shows and the line that says what the others are: all of them up
    to MAX_UNITS_SHOWN; past that the units that differ (or the first ones if none do)."""
    if units <= MAX_UNITS_SHOWN:
        return list(range(units)), None
    differing = sorted(differing)
    if not differing:
        return (list(range(MAX_UNITS_SHOWN)),
                f"units {MAX_UNITS_SHOWN}..{units - 1} not shown: nothing differs there")
    shown = differing[:MAX_UNITS_DIFFERING]
    others = units - len(shown)
    more = len(differing) - len(shown)
    return shown, (f"showing the {len(shown)} unit(s) that differ"
                   + (f" (and not {more} more that differ too; see --json)" if more else "")
                   + f"; the other {others} of {units} units not shown"
                   + ("" if more else ": nothing differs there"))


def leading_units(units, every=False):
    """calc's units (nothing differs there): all of them up to MAX_UNITS_SHOWN or with
    ``every`` (--all-units), else the first ones and the line that says so."""
    if every or units <= MAX_UNITS_SHOWN:
        return list(range(units)), None
    return (list(range(MAX_UNITS_SHOWN)),
            f"units {MAX_UNITS_SHOWN}..{units - 1} of {units} not shown in the step tables "
            "(--all-units shows them)")


def heading(console, markup):
    """A rule titled ``markup``; a title too long for one line (rich's rule would cut it
    with "…") is printed wrapped above a plain rule."""
    if _width(markup) + 4 <= console.width:
        console.rule(markup, align="left")
    else:
        say(console, markup)
        console.rule()


def say(console, markup, indent=0):
    """Print a line of markup, wrapped lines keeping its indent."""
    from rich.padding import Padding
    from rich.text import Text

    # emoji=False: an author's ':x:' is text, not an emoji code
    console.print(Padding(Text.from_markup(markup, emoji=False), (0, 0, 0, indent),
                          expand=False))


def say_explanation(console, explanation, where, label="", numbers="numbers"):
    """The first divergence (``where``: its position, described), each mistake that
    reproduces the author's ``numbers`` when recomputed, and the explanation's note."""
    m = explanation.first
    say(console, f"first divergence{label}: {where}: author {fmt(m.expected)}, reference "
                 f"{fmt(m.reference)}", 2)
    for d in explanation.diagnoses:
        say(console, f"[yellow]diagnosis:[/] {escape(d.text)} ({d.id}); recomputed that way, "
                     f"all {explanation.given} of the author's {numbers} come out", 2)
    if explanation.note:
        say(console, escape(explanation.note), 2)


def say_array(console, name, array, after="", indent=2):
    """``name = [[1, 2], [3, 4]]`` one innermost row per line, as numpy prints: a row too long
    for the terminal wraps between two numbers, under its first one; ``after`` (markup)
    follows the last bracket. ``name`` is plain text."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    array = np.asarray(array)
    if array.ndim == 0:
        say(console, f"{escape(name)} = {fmt(array)}{after}", indent)
        return
    rows = array.reshape(-1, array.shape[-1])     # (every row of the last axis, its length)
    label = f"{name} = "
    widest = max(len(fmt(v)) for v in rows.flat)
    if indent + len(label) + 2 * array.ndim + 1 + widest > console.width:
        say(console, escape(f"{name} ="), indent)   # no room for a number beside the name
        label, indent = "", indent + 2
    grid = Table.grid()
    grid.add_column(no_wrap=True)                  # the name, then blanks
    grid.add_column(no_wrap=True, justify="right")  # the opening brackets
    grid.add_column()                              # the numbers, wrapped between two
    for r, row in enumerate(rows):
        opens, closes = _brackets(np.unravel_index(r, array.shape[:-1]), array.shape[:-1])
        last = r == len(rows) - 1
        numbers = Text(", ".join(fmt(v) for v in row) + "]" * closes + ("" if last else ","))
        if last:
            numbers.append_text(Text.from_markup(after, emoji=False))
        grid.add_row(Text(label if r == 0 else ""), Text("[" * opens), numbers)
    console.print(Padding(grid, (0, 0, 0, indent), expand=False))


def _brackets(index, outer):
    """How many brackets open before and close after the row at ``index`` along the axes
    ``outer``: its own, and one for each enclosing block it begins (or ends)."""
    inner_first = list(zip(reversed(index), reversed(outer)))
    opens = 1 + len(list(takewhile(lambda p: p[0] == 0, inner_first)))
    closes = 1 + len(list(takewhile(lambda p: p[0] == p[1] - 1, inner_first)))
    return opens, closes
