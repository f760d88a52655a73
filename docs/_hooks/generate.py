"""MkDocs hook: the pages and files the site generates at build time, never committed.

- `reference/configuration.md`: every gin parameter of tfal, from its annotation and docstring
  (`tfal.config_reference`), so the reference cannot drift from the code it describes;
- `assets/...`: the result plots and TensorBoard screenshots kept under `results/`, so the pages
  show them without a second copy in `docs/`.
"""

from __future__ import annotations

import os

from mkdocs.structure.files import File, Files

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# site path -> repository path
_ASSETS = {
    "assets/accuracy_vs_labels_warm_start.png": "results/mnist_1label_warm_start/accuracy_vs_labels.png",
    "assets/accuracy_vs_labels_seed_tree.png": "results/mnist_1label_seed_tree/accuracy_vs_labels.png",
    "assets/accuracy_vs_labels_earlier.png": "results/mnist_1label/accuracy_vs_labels.png",
    "assets/tensorboard_hparams.png": "results/tensorboard/hparams.png",
    "assets/tensorboard_scalars.png": "results/tensorboard/scalars.png",
    "assets/tensorboard_images.png": "results/tensorboard/images.png",
    "assets/tensorboard_text.png": "results/tensorboard/text.png",
}


def on_files(files: Files, config) -> Files:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    from tfal import config_reference  # deferred: imports TensorFlow (seconds)

    files.append(
        File.generated(config, "reference/configuration.md", content=config_reference.render())
    )
    for dest, src in _ASSETS.items():
        files.append(File.generated(config, dest, abs_src_path=os.path.join(_ROOT, src)))
    return files
