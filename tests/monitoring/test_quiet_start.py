"""TensorFlow's start noise is dropped, and nothing else: a real warning still reaches the user."""

from tfal.monitoring import quiet_start

START = """WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796391102.147578   13332 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796391104.1   13332 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.
I0000 00:00:1796391104.2   13332 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1796391107.530659   13332 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
W0000 00:00:1796391108.0   13332 some_op.cc:9] a real warning about your model
"""


def test_without_a_driver_only_real_lines_are_kept():
    kept = quiet_start.kept_lines(START, quiet_start.noise_patterns(has_driver=False))
    assert kept == "W0000 00:00:1796391108.0   13332 some_op.cc:9] a real warning about your model\n"


def test_with_a_driver_cuda_s_complaints_are_kept():
    kept = quiet_start.kept_lines(START, quiet_start.noise_patterns(has_driver=True)).splitlines()
    assert len(kept) == 3
    assert "Could not find cuda drivers" in kept[0] and "failed call to cuInit" in kept[1]
