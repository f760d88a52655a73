"""Every shipped gin file parses with unknown bindings as errors, alone and on top of the experiments."""

import os
import pathlib

import gin
import pytest

from tfal import campaign
from tfal.gin_files import CONFIGS_DIR as GIN_CONFIGS_DIR

CONFIGS = sorted(pathlib.Path(GIN_CONFIGS_DIR).rglob("*.gin"))
INCLUDES = ("setting", "strategy")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(GIN_CONFIGS_DIR)))
def test_shipped_gin_file_parses(path):
    # includable files are parsed on top of an experiment, as users use them
    base = (
        [str(pathlib.Path(GIN_CONFIGS_DIR) / "mnist_1label.gin")]
        if path.parent.name in INCLUDES
        else []
    )
    campaign.parse_gin([*base, str(path)], [])
    assert gin.config_str()


def test_settings_and_strategies_compose_on_the_cpu_experiment():
    files = [
        f"{GIN_CONFIGS_DIR}/mnist_1label_cpu.gin",
        f"{GIN_CONFIGS_DIR}/setting/semi.gin",
        f"{GIN_CONFIGS_DIR}/strategy/uncertainty.gin",
    ]
    campaign.parse_gin(files, ["ActiveLearningLoop.seed = 3"])
    assert gin.query_parameter("ActiveLearningLoop.seed") == 3
    assert gin.query_parameter("SemiSupervised.batch_size") == 64


def test_unknown_binding_is_an_error():
    with pytest.raises(ValueError, match="bad gin config"):
        campaign.parse_gin(
            [f"{GIN_CONFIGS_DIR}/mnist_1label.gin"],
            ["Trainer.no_such_option = 1"],
        )


@pytest.mark.parametrize(
    "name, tfal_s",
    [
        ("mnist_1label.gin", False),
        ("svhn_b100.gin", False),
        ("cifar10_b100.gin", False),
        ("cifar10_b1000.gin", False),
        ("cifar100_b1000.gin", False),
        ("mnist_1label_cpu.gin", True),
    ],
)
def test_tfal_s_levers_are_off_in_the_faithful_configs_and_on_in_the_cpu_one(name, tfal_s):
    """Whitened LP and warm-started cycles: beyond the paper, so only in the CPU config."""
    from tfal.loop import SemiSupervised

    files = [f"{GIN_CONFIGS_DIR}/{name}", f"{GIN_CONFIGS_DIR}/setting/semi.gin"]
    campaign.parse_gin(files, [])
    assert SemiSupervised().lp_options()["whiten"] is tfal_s
    assert SemiSupervised().warm_epochs == (1 if tfal_s else None)


def test_the_small_pool_setting_propagates_on_pixels_first_without_whitening():
    """setting/semi_small_pool.gin: what results/small_pool measured to beat LabelSpreading."""
    from tfal.loop import SemiSupervised

    files = [
        f"{GIN_CONFIGS_DIR}/mnist_1label_cpu.gin",
        f"{GIN_CONFIGS_DIR}/setting/semi_small_pool.gin",
    ]
    campaign.parse_gin(files, [])
    semi = SemiSupervised()
    assert [semi.on_pixels(e) for e in (0, semi.pixel_epochs - 1, semi.pixel_epochs)] == [
        True,
        True,
        False,
    ]
    assert not semi.whiten and semi.k == 10 and semi.sup_epochs_or(100) == 0


def test_bad_cg_backend_is_refused_when_the_campaign_is_configured():
    """Caught before any training, not at the first LP."""
    from tfal.loop import SemiSupervised

    with pytest.raises(
        ValueError, match="cg_backend='jax': expected a str one of 'auto', 'scipy', 'tensorflow'"
    ):
        SemiSupervised(cg_backend="jax")


def test_default_run_directory_names_every_gin_file_and_the_seed(repo_root):
    files = [
        str(repo_root / "gin_configs/mnist_1label_cpu.gin"),
        str(repo_root / "gin_configs/setting/semi.gin"),
    ]
    campaign.parse_gin(files, ["ActiveLearningLoop.seed = 3"])
    assert campaign.default_run_dir(files, campaign.campaign_seed()) == os.path.join(
        "runs", "mnist_1label_cpu+semi-seed3"
    )
    cifar = [str(repo_root / "gin_configs/cifar10_b100.gin"), files[1]]
    assert campaign.default_run_dir(cifar, 3) != campaign.default_run_dir(files, 3)


def test_tfal_configs_are_found_from_any_directory_and_win_over_a_local_folder(
    tmp_path, monkeypatch
):
    """--gin_file names tfal's config from an empty directory; includes never pick up a
    gin_configs/ folder that happens to be in the working directory (a gin file is code)."""
    planted = tmp_path / "gin_configs" / "setting"
    planted.mkdir(parents=True)
    (planted / "semi.gin").write_text("ActiveLearningLoop.model_name = 'planted'\n")
    (tmp_path / "mine.gin").write_text(
        "include 'gin_configs/mnist_1label_cpu.gin'\ninclude 'gin_configs/setting/semi.gin'\n"
    )
    monkeypatch.chdir(tmp_path)
    campaign.parse_gin(["mine.gin"], [])
    assert gin.query_parameter("ActiveLearningLoop.semi") is not None
    assert gin.query_parameter("ActiveLearningLoop.budget") == 10
    assert "planted" not in gin.config_str()  # tfal's setting/semi.gin was read, not the local one
    gin.clear_config()
    campaign.parse_gin(["mnist_1label_cpu.gin"], ["ActiveLearningLoop.seed = 3"])
    assert gin.query_parameter("ActiveLearningLoop.seed") == 3
    with pytest.raises(FileNotFoundError, match="gin file .nope.gin. does not exist"):
        campaign.parse_gin(["nope.gin"], [])
