"""Installs tfal: deep active learning that trains on the unlabeled data too."""

from setuptools import find_packages, setup

setup(
    name="tfal",
    version="0.1.0",
    description=(
        "Semi-supervised deep active learning (Simeoni et al., ICPR 2020) in "
        "TensorFlow 2 / Keras 3: DeepCluster pre-training, label propagation, "
        "acquisition strategies, TF Serving export."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Science/Research",
        "Intended Audience :: Developers",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
    # The Python versions TensorFlow 2.21 publishes wheels for (tested on 3.11).
    python_requires=">=3.10,<3.14",
    packages=find_packages(include=["tfal", "tfal.*"]) + ["tfal.gin_configs"],
    # The gin configs ship inside the package (tfal/gin_configs/): `--gin_file=mnist_1label.gin`
    # resolves after a plain `pip install .`, from any directory (tfal.gin_files).
    package_dir={"tfal.gin_configs": "gin_configs"},
    package_data={"tfal.gin_configs": ["*.gin", "*/*.gin"]},
    install_requires=[
        # Tested together on CPython 3.11 (x86-64, 2 cores).
        "tensorflow>=2.21,<2.22",
        "keras>=3.15,<4",
        "tensorflow-datasets>=4.9.10,<4.10",
        "tensorboard>=2.21,<2.22",  # TF 2.21 no longer pulls it in
        "importlib_resources>=6",  # imported by TFDS 4.9.x, not declared by it
        "faiss-cpu>=1.15,<1.16",
        "scipy>=1.13,<2",
        "numpy>=2.0,<3",
        "gin-config>=0.5,<0.6",
        "absl-py>=2.1",
        "pillow>=10",
        "matplotlib>=3.8",
        # PredictionLog, for the warmup requests written into every exported version
        "tensorflow-serving-api>=2.21,<2.22",
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "ruff>=0.6", "hypothesis>=6.100"],
        # The documentation site (mkdocs.yml, docs/): `mkdocs build --strict`, as .ci/run does.
        "docs": ["mkdocs>=1.6,<2", "mkdocs-material>=9,<10", "mkdocstrings[python]>=1,<2"],
    },
    entry_points={"console_scripts": ["tfal=tfal.main:run", "tfal-client=tfal.client:run"]},
)
