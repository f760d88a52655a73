"""Where gin files are found: tfal's own configs first (installed or in a checkout), then the user's.

tfal's configs ship as package data (`tfal/gin_configs/` in an installed tfal) and live in the
repository's top-level `gin_configs/` in a checkout. A `--gin_file` names the user's own file when
it exists as given, else one of tfal's (`gin_configs/mnist_1label.gin` or `mnist_1label.gin`, from
any directory). Includes inside gin files (`include 'gin_configs/setting/semi.gin'`) resolve
against tfal's configs first, so a `gin_configs/` folder that happens to be in the working
directory never replaces them; a user's own include falls back to the working directory.
"""

from __future__ import annotations

import contextlib
import os

import gin.config

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_INSTALLED = os.path.join(_PACKAGE_DIR, "gin_configs")
_CHECKOUT = os.path.join(os.path.dirname(_PACKAGE_DIR), "gin_configs")
# The installed copy when tfal is installed; the checkout's own in an editable install or a clone.
CONFIGS_DIR = _INSTALLED if os.path.isdir(_INSTALLED) else _CHECKOUT


def search_paths() -> list[str]:
    """Prefixes for 'gin_configs/<f>' and '<f>' names of tfal's own configs, in that order."""
    return [os.path.dirname(CONFIGS_DIR), CONFIGS_DIR]


def resolve(path: str) -> str:
    """The absolute path of a --gin_file: the user's file if it exists as given, else tfal's own."""
    if os.path.isfile(path):
        return os.path.abspath(path)
    if not os.path.isabs(path):
        for prefix in search_paths():
            candidate = os.path.join(prefix, path)
            if os.path.isfile(candidate):
                return candidate
    raise FileNotFoundError(
        f"gin file {path!r} does not exist (nor among tfal's configs in {CONFIGS_DIR})"
    )


@contextlib.contextmanager
def own_configs_first():
    """While parsing: includes resolve against tfal's configs, then the working directory."""
    prefixes = gin.config._LOCATION_PREFIXES
    saved = list(prefixes)
    prefixes[:] = [*search_paths(), ""]
    try:
        yield
    finally:
        prefixes[:] = saved
