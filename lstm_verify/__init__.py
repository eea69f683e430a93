"""lstm-verify: check an LSTM's arithmetic gate by gate against a reference and real Keras."""

__version__ = "0.1.0"
