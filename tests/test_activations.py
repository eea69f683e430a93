"""Each numpy activation against Keras's own function on the same points."""

import numpy as np
import pytest

from lstm_verify import activations, keras_run

POINTS = np.array([[-7.0, -3.0, -1.5, -1.0, -0.5, -0.25, 0.0],
                   [0.25, 0.5, 1.0, 1.5, 3.0, 3.2, 7.0]])


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_matches_keras(name):
    keras = keras_run._import_keras()
    expected = np.asarray(keras.activations.get(name)(POINTS.astype("float64")))
    np.testing.assert_allclose(activations.get(name)(POINTS), expected, rtol=1e-7, atol=1e-9)


def test_hard_sigmoid_is_keras3s_not_keras2s():
    # Keras 3: x/6 + 0.5; Keras 2 gave 0.2x + 0.5 = 0.7 at x = 1.
    assert activations.hard_sigmoid(np.array(1.0)) == pytest.approx(0.5 + 1 / 6)
    assert activations.hard_sigmoid(np.array(3.0)) == 1.0


def test_none_is_linear():
    x = np.array([-2.0, 5.0])
    np.testing.assert_array_equal(activations.get(None)(x), x)
