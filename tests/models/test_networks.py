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
