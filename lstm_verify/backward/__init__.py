"""The backward pass: backpropagation through time checked gate by gate.

reference.py is the one BPTT loop (numpy) around each cell's backward step; case.py
reads a case's ``backward`` and ``expected.gradients``; compare.py sets the author's
gradients beside the reference's and TensorFlow's (keras_backward.py).
"""

from .bptt import Gradients, run, upstream_of

__all__ = ["Gradients", "run", "upstream_of"]
