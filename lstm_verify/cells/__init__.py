"""The recurrent cells the tool knows, each a plain description (see cell.py).

A case names its cell (``cell: gru``); everything else — reading the case, the
reference loop, the Keras run, comparison, diagnosis, reports — reads the
description and never names a gate itself.  Adding a cell is one module here,
registered below, plus cases.
"""

from . import gru, lstm, simple_rnn
from .cell import Cell, Mistake

CELLS = {cell.name: cell for cell in (lstm.CELL, gru.CELL, simple_rnn.CELL)}
DEFAULT = "lstm"


def get(name):
    """The Cell for a case's ``cell:`` value (KeyError for an unknown name)."""
    return CELLS[name]


__all__ = ["CELLS", "DEFAULT", "Cell", "Mistake", "get"]
