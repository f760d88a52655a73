"""Seeds drive the network; coupled L2 is the same update under loss scaling and data parallelism."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from tiny_models import dense_model

from tfal import seeds
from tfal.models import small_cnn
from tfal.training import Trainer
from tfal.training.regularization import add_coupled_l2

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it


def _tiny_cnn(seed):
    return Trainer(2, (12, 12, 1), model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a), seed=seed)


def test_two_seeds_give_different_initial_weights_and_the_same_seed_identical_ones():
    a, b, again = _tiny_cnn(1), _tiny_cnn(2), _tiny_cnn(1)
    for wa, w1 in zip(a.initial_weights, again.initial_weights, strict=True):
        np.testing.assert_array_equal(wa, w1)
    pairs = zip(a.initial_weights, b.initial_weights, strict=True)
    kernels = [(wa, wb) for wa, wb in pairs if wa.ndim > 1]
    assert kernels and all(not np.allclose(wa, wb) for wa, wb in kernels)


def test_campaign_seeds_give_different_network_seeds_per_stream():
    assert seeds.model_seed(0, 0, "init") != seeds.model_seed(1, 0, "init")
    assert seeds.model_seed(0, 0, "dropout") != seeds.model_seed(0, 1, "dropout")
    assert 0 <= seeds.model_seed(123, 4, "init") < 2**30
    with pytest.raises(ValueError, match="unknown random stream 'nope'; allowed: initial"):
        seeds.rng(0, 0, "nope")


def _dropout_masks(trainer, dropout_seed):
    trainer.reset(dropout_seed=dropout_seed)
    x = tf.ones((4, 12, 12, 1))
    return trainer.model(x, training=True)["embedding"].numpy()


def test_each_cycle_draws_its_own_dropout_masks_and_reset_restores_them():
    trainer = _tiny_cnn(0)
    first, second = _dropout_masks(trainer, 10), _dropout_masks(trainer, 11)
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(first, _dropout_masks(trainer, 10))
    states = [v.numpy() for v in trainer.model.variables if "seed_generator" in v.path]
    trainer.reset()  # without a seed: the generators' initial states
    restored = [v.numpy() for v in trainer.model.variables if "seed_generator" in v.path]
    assert len(states) == 2 and not all(
        np.array_equal(s, r) for s, r in zip(states, restored, strict=True)
    )
    np.testing.assert_array_equal(
        restored, [v for v in trainer._initial_variables if v.dtype == np.int64]
    )


def _one_update(precision, weight_decay):
    trainer = Trainer(
        3,
        (4, 4, 1),
        model_fn=dense_model,
        learning_rate=0.1,
        momentum=0.0,
        nesterov=False,
        weight_decay=weight_decay,
        precision=precision,
        steps_per_call=1,
        seed=0,
    )
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(16, 4, 4, 1)).astype(np.float32))
    y = tf.constant(rng.integers(0, 3, 16).astype(np.int32))
    trainer.start_phase(1000)  # the learning rate stays ~0.1 for this step
    trainer.train(tf.data.Dataset.from_tensors((x, y)).repeat(), 1)
    return [w.astype(np.float32) for w in trainer.model.get_weights()]


def test_mixed_float16_update_equals_the_float32_update_with_weight_decay():
    # A decay large enough that losing it (divided by the 2^15 loss scale) is far outside fp16 noise.
    f32 = _one_update("float32", weight_decay=0.5)
    f16 = _one_update("mixed_float16", weight_decay=0.5)
    no_decay = _one_update("float32", weight_decay=0.0)
    for a, b, c in zip(f32, f16, no_decay, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4)
        if a.ndim > 1:
            assert np.abs(a - c).max() > 100 * 1e-4  # the decay moved the weights measurably


def test_coupled_l2_term_is_divided_by_the_replicas_and_pre_scaled_by_the_loss_scale():
    v = tf.Variable([1.0, -2.0])
    g = tf.constant([0.5, 0.5])
    plain = keras.optimizers.SGD(0.1)
    np.testing.assert_allclose(
        add_coupled_l2([g], [v], weight_decay=0.1, optimizer=plain, num_replicas=2)[0],
        [0.5 + 0.05, 0.5 - 0.1],
    )
    scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0)
    np.testing.assert_allclose(
        add_coupled_l2([g * 8], [v], weight_decay=0.1, optimizer=scaled, num_replicas=1)[0] / 8,
        [0.5 + 0.1, 0.5 - 0.2],
    )


def test_two_replicas_update_like_one_device_on_the_same_global_batch():
    # Logical devices must be configured before TensorFlow initialises: a fresh process.
    script = pathlib.Path(__file__).with_name("replicas_match_one_device.py")
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("MAXDIFF")]
    assert proc.returncode == 0 and line, proc.stderr[-2000:]
    _, replicas, diff, moved = line[0].split()
    assert int(replicas) == 2
    assert float(diff) < 1e-5 < 100 * 1e-5 < float(moved)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _two_worker_configs() -> list[str]:
    """TF_CONFIG of each worker of a two-worker cluster on 127.0.0.1 (skips where it cannot
    bind)."""
    try:
        ports = [_free_port(), _free_port()]
    except OSError as e:  # no loopback networking: the cluster cannot start here
        pytest.skip(f"cannot bind 127.0.0.1 for a two-worker cluster: {e}")
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
            for i in range(2)]  # fmt: skip


def _two_workers_and_one(script_name: str, tmp_path, single: bool = True) -> tuple:
    """Runs tests/training/SCRIPT as two MultiWorkerMirroredStrategy workers on 127.0.0.1
    (TF_CONFIG) and, if `single`, once with `--single`; returns the saved .npz files."""
    configs = _two_worker_configs()
    script = str(pathlib.Path(__file__).with_name(script_name))
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "PYTHONPATH": root}
    workers = []
    for index, config in enumerate(configs):
        workers.append(
            subprocess.Popen(
                [sys.executable, script, str(tmp_path / f"worker{index}.npz")],
                env={**env, "TF_CONFIG": config},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0 and "REPLICAS 2" in out, err[-2000:]
    if not single:
        return tuple(np.load(tmp_path / f"worker{i}.npz") for i in range(2))
    subprocess.run(
        [sys.executable, script, str(tmp_path / "single.npz"), "--single"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return tuple(np.load(tmp_path / f"{n}.npz") for n in ("worker0", "worker1", "single"))


def test_two_worker_processes_train_to_the_weights_of_one_worker(tmp_path):
    """MultiWorkerMirroredStrategy, two processes on 127.0.0.1 (TF_CONFIG), vs one worker."""
    w0, w1, single = _two_workers_and_one("multi_worker.py", tmp_path)
    for key in single.files:
        np.testing.assert_array_equal(w0[key], w1[key])
        np.testing.assert_allclose(w0[key], single[key], atol=1e-5)


def test_two_workers_extract_the_pools_embeddings_of_one_worker(tmp_path):
    """`Trainer.predict` under MultiWorkerMirroredStrategy: each worker embeds its half of every
    batch (37 images in batches of 10: the last, of 7, is padded) and both end with the whole
    pool's embeddings and probabilities in pool order, those of one worker alone."""
    w0, w1 = _two_workers_and_one("extract_workers.py", tmp_path, single=False)
    assert w0["single_embedding"].shape == (37, 8) and w0["single_probs"].shape == (37, 3)
    for key in ("embedding", "probs"):
        np.testing.assert_array_equal(w0[f"shared_{key}"], w1[f"shared_{key}"])
        np.testing.assert_allclose(w0[f"shared_{key}"], w0[f"single_{key}"], atol=1e-5)


def test_two_devices_extract_the_pools_embeddings_of_one_device(tmp_path):
    """The same under MirroredStrategy over two logical CPUs of one process."""
    script = str(pathlib.Path(__file__).with_name("extract_workers.py"))
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "PYTHONPATH": root}
    proc = subprocess.run(
        [sys.executable, script, str(tmp_path / "both.npz"), "--mirrored"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0 and "REPLICAS 2" in proc.stdout, proc.stderr[-2000:]
    both = np.load(tmp_path / "both.npz")
    for key in ("embedding", "probs"):
        assert both[f"single_{key}"].shape[0] == 37
        np.testing.assert_allclose(both[f"shared_{key}"], both[f"single_{key}"], atol=1e-5)


def test_a_cli_campaign_runs_on_two_workers_that_agree(tmp_path, request):
    """docs/scale.md's two-machine command, on 127.0.0.1: each worker's CLI builds
    MultiWorkerMirroredStrategy before TensorFlow starts (else: "Collective ops must be configured
    at program startup"), both finish, and chief and worker hold the same labels, acquired batches
    and accuracies (Uncertainty: the picks follow the model the two trained together)."""
    from subprocess_campaigns import command, outcome

    configs = _two_worker_configs()
    flags = [
        "--gin_file=gin_configs/strategy/uncertainty.gin",
        "--gin_bindings=ActiveLearningLoop.num_cycles = 2",
        "--gin_bindings=SemiSupervised.epochs = 1",
        "--gin_bindings=ActiveLearningLoop.sup_epochs = 10",
        "--gin_bindings=Trainer.strategy = @tfal.training.distribution_strategy()",
        "--gin_bindings=distribution_strategy.name = 'multi_worker_mirrored'",
    ]
    workers = [
        subprocess.Popen(
            command(str(tmp_path / f"worker{i}"), *flags),
            cwd=request.config.rootpath,
            env={**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "TF_CONFIG": configs[i]},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]  # fmt: skip
    errors = [w.communicate(timeout=300)[1] for w in workers]
    for w, err in zip(workers, errors, strict=True):
        assert w.returncode == 0, err[-2000:]
    chief, other = outcome(str(tmp_path / "worker0")), outcome(str(tmp_path / "worker1"))
    assert chief == other and len(chief[0]) == 20 and len(chief[3]) == 2
