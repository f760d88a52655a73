import numpy as np

from tfal.models import conv_large, small_cnn


def test_conv_large_is_the_13_layer_network():
    model = conv_large(num_classes=10, input_shape=(28, 28, 1))
    convs = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [128] * 3 + [256] * 3 + [512, 256, 128]
    assert [c.kernel_size for c in convs][-3:] == [(3, 3), (1, 1), (1, 1)]
    assert 3.0e6 < model.count_params() < 3.2e6  # the authors' 3.1 M parameters
    out = model(np.zeros((2, 28, 28, 1), np.float32), training=False)
    assert out["embedding"].shape == (2, 128) and out["logits"].shape == (2, 10)


def test_factories_are_deterministic_for_a_seed_and_differ_across_seeds():
    a = small_cnn(num_classes=3, input_shape=(16, 16, 3), seed=1).get_weights()
    b = small_cnn(num_classes=3, input_shape=(16, 16, 3), seed=1).get_weights()
    c = small_cnn(num_classes=3, input_shape=(16, 16, 3), seed=2).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=False))
    assert not np.array_equal(a[0], c[0])


def test_a_keras_application_becomes_a_tfal_model():
    """A user's own backbone behind the {"embedding", "logits"} interface, grey 28x28 included."""
    import numpy as np

    from tfal.models import keras_application
    from tfal.models.applications import APPLICATIONS

    assert {"ResNet50", "MobileNetV2", "EfficientNetB0"} <= set(APPLICATIONS)
    x = np.random.default_rng(0).normal(size=(2, 28, 28, 1)).astype("float32")
    first = keras_application(10, (28, 28, 1), name="MobileNetV2", seed=1)
    out = first(x, training=False)
    assert out["logits"].shape == (2, 10) and out["embedding"].shape == (2, 1280)
    again = keras_application(10, (28, 28, 1), name="MobileNetV2", seed=1)
    other = keras_application(10, (28, 28, 1), name="MobileNetV2", seed=2)
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the seed draws the initial weights
    kernels = [(a, c) for a, c in zip(first.get_weights(), other.get_weights(), strict=True)]
    assert not np.allclose(*kernels[0]) and not np.allclose(*kernels[-2])
