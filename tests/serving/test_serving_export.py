"""Export a stand-in model, inspect it like TF Serving would, reload it elsewhere, compare outputs."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from serving_helpers import (
    CLASS_NAMES,
    IMAGE_SHAPE,
    MEAN,
    STD,
    make_model,
    random_images,
    reference_outputs,
)

import tfal.serving.export
from tfal.serving import export_model, load_for_inference

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

ENV = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def png(array):
    """A grey image [H, W, 1] as a PNG file's bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array[:, :, 0], mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _export(model, base, version=1, **overrides):
    kwargs = dict(image_shape=IMAGE_SHAPE, mean=MEAN, std=STD, class_names=CLASS_NAMES)
    kwargs.update(overrides)
    return export_model(model, export_base=str(base), version=version, **kwargs)


def test_saved_model_cli_lists_the_contract(exported):
    _, path = exported
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    command = (
        [cli]
        if os.path.exists(cli)
        else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    )
    shown = subprocess.run(
        [*command, "show", "--all", "--dir", path],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=True,
    ).stdout
    serving = shown.split("signature_def['serving_default']:")[1].split("Method name")[0]
    inputs, outputs = serving.split("output(s):")
    assert "inputs['images']" in inputs and "DT_UINT8" in inputs and "(-1, 28, 28, 1)" in inputs
    assert inputs.count("inputs[") == 1
    for name, dtype, shape in [
        ("probabilities", "DT_FLOAT", "(-1, 10)"),
        ("class_ids", "DT_INT64", "(-1)"),
        ("embeddings", "DT_FLOAT", "(-1, 16)"),
    ]:
        block = outputs.split(f"outputs['{name}']")[1].split("name:")[0]
        assert dtype in block and shape in block, (name, block)
    names = outputs.split("outputs['class_names']")[1].split("name:")[0]
    assert "DT_STRING" in names and "(-1)" in names
    by_bytes = shown.split("signature_def['predict_bytes']:")[1].split("Method name")[0]
    bytes_in, bytes_out = by_bytes.split("output(s):")
    assert "inputs['image_bytes']" in bytes_in and "DT_STRING" in bytes_in and "(-1)" in bytes_in
    assert all(
        f"outputs['{n}']" in bytes_out for n in ("probabilities", "class_ids", "class_names")
    )
    metadata = shown.split("signature_def['metadata']:")[1].split("Method name")[0]
    assert "inputs[" not in metadata
    assert "outputs['class_names']" in metadata and "DT_STRING" in metadata


def test_reload_in_fresh_process_matches_in_memory_model(exported, tmp_path):
    model, path = exported
    images = random_images(7)
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(
        """
        import sys, numpy as np
        from tfal.serving import load_for_inference
        served = load_for_inference(sys.argv[1])
        out = served(np.load(sys.argv[2]), batch_size=3)
        np.savez(sys.argv[3], all_class_names=np.array(served.class_names), **out)
        """
    )
    out_file = tmp_path / "out.npz"
    subprocess.run(
        [sys.executable, "-c", script, path, str(tmp_path / "images.npy"), str(out_file)],
        env=ENV,
        timeout=120,
        check=True,
    )
    got = np.load(out_file)
    want = reference_outputs(model, images)
    np.testing.assert_allclose(got["probabilities"], want["probabilities"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["embeddings"], want["embeddings"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got["class_ids"], want["class_ids"])
    assert got["class_ids"].dtype == np.int64 and got["probabilities"].dtype == np.float32
    assert list(got["all_class_names"]) == list(CLASS_NAMES)
    assert list(got["class_names"]) == [CLASS_NAMES[c] for c in want["class_ids"]]


def test_version_dir_is_complete_and_class_names_asset_written(exported):
    _, path = exported
    assert os.path.basename(path) == "1"
    assert sorted(os.listdir(os.path.dirname(path))) == ["1"]  # no temp directory left
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert os.path.isfile(os.path.join(path, "variables", "variables.index"))
    with open(os.path.join(path, "assets", "class_names.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == list(CLASS_NAMES)


def test_reexport_replaces_version_and_removes_leftovers(tmp_path):
    base = tmp_path / "stand_in"
    images = random_images(4)
    first = _export(make_model(seed=0), base)
    before = load_for_inference(first)(images)["probabilities"]
    (base / ".tmp-1-424242" / "variables").mkdir(parents=True)  # a killed earlier export
    second_model = make_model(seed=5)
    second = _export(second_model, base)
    assert second == first
    assert sorted(os.listdir(base)) == ["1"]
    after = load_for_inference(second)(images)["probabilities"]
    assert not np.allclose(before, after)
    np.testing.assert_allclose(
        after, reference_outputs(second_model, images)["probabilities"], rtol=1e-5, atol=1e-6
    )


def test_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    base = tmp_path / "stand_in"
    _export(make_model(), base, version=3)

    def half_written(model, *, path, **kwargs):
        os.makedirs(os.path.join(path, "variables"))
        raise OSError("disk full")

    monkeypatch.setattr(tfal.serving.export, "_write_saved_model", half_written)
    with pytest.raises(OSError, match="disk full"):
        _export(make_model(), base, version=4)
    assert os.listdir(base) == ["3"]  # no temp directory, no version 4, version 3 untouched
    assert load_for_inference(str(base / "3")).class_names == list(CLASS_NAMES)


def test_mixed_precision_outputs_are_float32(tmp_path):
    model = make_model(logits_dtype="mixed_float16")
    served = load_for_inference(_export(model, tmp_path / "mixed"))
    out = served(random_images(3))
    assert out["probabilities"].dtype == np.float32
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        out["probabilities"], reference_outputs(model, random_images(3))["probabilities"], atol=2e-3
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"version": -1}, "version"),
        ({"mean": (0.1, 0.2)}, "one value per channel"),
        ({"std": (0.0,)}, "std"),
        ({"class_names": ("a\nb",) + CLASS_NAMES[1:]}, "line breaks"),
        ({"class_names": CLASS_NAMES[:9]}, "10 classes but 9"),
    ],
)
def test_bad_arguments_raise(tmp_path, overrides, message):
    version = overrides.pop("version", 1)
    with pytest.raises(ValueError, match=message):
        _export(make_model(), tmp_path / "bad", version=version, **overrides)
    assert not (tmp_path / "bad" / str(version)).exists()


def test_served_model_rejects_wrong_input(exported):
    served = load_for_inference(exported[1])
    with pytest.raises(ValueError, match="uint8"):
        served(random_images(2).astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        served(np.zeros((2, 28, 28, 3), np.uint8))


def test_briefly_trained_real_network_serves_its_own_probabilities(tmp_path):
    """small_cnn (batch norm, dropout) after a few SGD steps: the export must run it in inference
    mode with the moving statistics, per example, like the Trainer's own prediction."""
    from tfal.data import sampling
    from tfal.data.pipeline import Augmentation, InputPipeline
    from tfal.models import small_cnn
    from tfal.training import Trainer

    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 256)
    images = random_images(256, seed=5)
    images[np.arange(256), y, :, 0] = 255  # a learnable bright row per class
    trainer = Trainer(
        10, IMAGE_SHAPE, model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a), seed=3
    )
    pipe = InputPipeline(images, np.float32(MEAN), np.float32(STD), Augmentation(max_shift=1))
    batches = sampling.supervised_batches(np.arange(256), y, batch_size=32, num_steps=30, rng=rng)
    trainer.start_phase(30)
    trainer.train(pipe.train_dataset(batches, rng), 30)
    path = _export(trainer.model, tmp_path / "real")
    served = load_for_inference(path)(images[:40])
    in_memory = trainer.predict(pipe.inference_batches(40, images[:40]))["probs"]
    np.testing.assert_allclose(served["probabilities"], in_memory, atol=1e-5)
    assert served["class_ids"].tolist() == in_memory.argmax(1).tolist()
    # trained, and its batch-norm statistics moved off their initial values
    moving = [v.numpy() for v in trainer.model.variables if "moving_mean" in v.path]
    assert moving and any(np.abs(m).max() > 1e-3 for m in moving)
    assert np.ptp(in_memory, axis=0).max() > 0.01  # per-example outputs, not one constant row


def test_loading_an_export_calls_none_of_its_functions(exported):
    """A SavedModel is code: class names come from its asset file, on first use, not from a call."""
    served = load_for_inference(exported[1])
    assert served._class_names is None  # nothing was called at load
    assert served.class_names == list(CLASS_NAMES)
    metadata = served._loaded.signatures["metadata"]()["class_names"].numpy()
    assert [n.decode("utf-8") for n in metadata] == list(CLASS_NAMES)


def test_encoded_images_are_decoded_resized_and_normalised_in_the_graph(exported):
    import tensorflow as tf

    model, path = exported
    served = load_for_inference(path)
    images = random_images(4, seed=3)

    got = served.predict_bytes([png(x) for x in images])
    want = served(images)
    np.testing.assert_allclose(got["probabilities"], want["probabilities"], atol=1e-6)
    assert got["class_ids"].tolist() == want["class_ids"].tolist()
    assert list(got["class_names"]) == [CLASS_NAMES[c] for c in want["class_ids"]]
    # another size: resized to 28x28 (bilinear, antialiased, rounded to pixels) inside the model
    big = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)  # 56x56
    resized = tf.round(tf.image.resize(big.astype(np.float32), [28, 28], antialias=True)).numpy()
    np.testing.assert_allclose(
        served.predict_bytes([png(x) for x in big])["probabilities"],
        served(np.clip(resized, 0, 255).astype(np.uint8))["probabilities"],
        atol=1e-5,
    )


def test_each_version_is_also_a_keras_file(exported):
    import keras

    model, path = exported
    loaded = keras.saving.load_model(os.path.join(path, "model.keras"))
    x = np.random.default_rng(0).normal(size=(3, *IMAGE_SHAPE)).astype(np.float32)
    np.testing.assert_allclose(
        loaded(x, training=False)["logits"], model(x, training=False)["logits"], atol=1e-6
    )


def test_an_undecodable_image_is_flagged_and_the_others_are_answered(exported):
    """predict_bytes answers each image on its own: text and a truncated PNG are flagged
    (decoded False, class id -1), the good images beside them get serving_default's answers."""
    model, path = exported
    served = load_for_inference(path)
    images = random_images(3, seed=5)

    good = [png(x) for x in images]
    got = served.predict_bytes([good[0], b"not an image", good[1], good[2][:40], good[2]])
    want = served(images)
    assert got["decoded"].tolist() == [True, False, True, False, True]
    assert got["class_ids"].tolist() == [*want["class_ids"][:2].tolist()[:1], -1,
                                         want["class_ids"][1], -1, want["class_ids"][2]]  # fmt: skip
    np.testing.assert_allclose(got["probabilities"][[0, 2, 4]], want["probabilities"], atol=1e-6)
    assert not got["probabilities"][[1, 3]].any()
    assert list(got["class_names"][[1, 3]]) == ["<undecodable>"] * 2
    none = served.predict_bytes([b"x", b"y"])
    assert none["decoded"].tolist() == [False, False] and none["class_ids"].tolist() == [-1, -1]


def test_the_warmup_file_holds_one_predict_request_per_signature(exported):
    """assets.extra/tf_serving_warmup_requests parses as TF Serving's PredictionLog records, one
    per signature, each input named and typed as the signature wants; the version still loads
    with tf.saved_model.load, and each request, run through its signature, is answered."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    model, path = exported
    records = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(os.path.join(path, "assets.extra", "tf_serving_warmup_requests"))
    ]  # fmt: skip
    loaded = tf.saved_model.load(path)
    assert [r.predict_log.request.model_spec.signature_name for r in records] == [
        "serving_default", "predict_bytes", "metadata",
    ]  # fmt: skip
    for record in records:
        request = record.predict_log.request
        assert request.model_spec.name == os.path.basename(os.path.dirname(path))
        fn = loaded.signatures[request.model_spec.signature_name]
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        assert set(inputs) == set(fn.structured_input_signature[1])
        out = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        assert out  # answered
    bytes_out = loaded.signatures["predict_bytes"](
        image_bytes=tf.constant(tf.make_ndarray(records[1].predict_log.request.inputs["image_bytes"]))
    )
    assert bytes_out["decoded"].numpy().tolist() == [True]
