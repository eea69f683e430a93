"""Saved Keras models: load them safely and find every recurrent layer (load.py),
show them (inspection.py), and extract verifiable cases from them (extract.py)."""

from .load import (  # noqa: F401
    MODEL_SUFFIXES,
    HDF5_SIGNATURE,
    INITIALISER_OPTIONS,
    RecurrentLayer,
    load_model,
    keras2_note,
    keras_of,
    cell_of,
    recurrent_layers,
    find_layers,
    activation_name,
    options)
