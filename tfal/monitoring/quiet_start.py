"""TensorFlow's start without its noise: the banner is the first thing a campaign shows.

Importing TensorFlow and touching its devices writes C++ lines straight to file descriptor 2,
before absl's logging is initialised, so TF_CPP_MIN_LOG_LEVEL cannot hold them back: absl's
"All log messages before absl::InitializeLog()" notice (twice), CUDA probing on a machine without
a GPU driver, oneDNN's notice and the CPU-instructions hint. `tensorflow_started` runs the import
with descriptor 2 going to a temporary file and writes back every line but those known ones:
anything else TensorFlow says (a real warning or error) still reaches the terminal.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

# Lines that say nothing a user can act on, on any machine.
ALWAYS = (
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"To enable the following instructions: .* rebuild TensorFlow",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
)
# CUDA's probing: noise where no NVIDIA driver is installed, a real problem where one is.
WITHOUT_A_DRIVER = (
    r"cudart_stub\.cc.*Could not find cuda drivers",
    r"failed call to cuInit",
)
DRIVER = "/proc/driver/nvidia"


def noise_patterns(has_driver: bool) -> re.Pattern:
    """The lines dropped: `ALWAYS`, and CUDA's probing too on a machine without a driver."""
    patterns = ALWAYS + (() if has_driver else WITHOUT_A_DRIVER)
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def kept_lines(text: str, noise: re.Pattern) -> str:
    """`text` without the noise lines (and their continuation: the CPU hint spans two lines)."""
    return "".join(line for line in text.splitlines(keepends=True) if not noise.search(line))


def tensorflow_started() -> None:
    """Imports TensorFlow and lists its devices with the start's noise filtered (docstring)."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # CUDA's probing happens here, not at import
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            sys.stderr.write(kept_lines(text, noise_patterns(os.path.exists(DRIVER))))
            sys.stderr.flush()
