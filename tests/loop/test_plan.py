"""The cost estimate reads the schedule the cycles run: planned steps and pool extractions equal
what a campaign did (counted from the images the network was really asked to embed)."""

import pytest

from tfal import campaign
from tfal.loop import ActiveLearningLoop, estimate
from tfal.training import Trainer

pytestmark = pytest.mark.slow

SMALL = [
    "tfds_dataset.pool_size = 600",
    "tfds_dataset.test_size = 300",
    "ActiveLearningLoop.sup_epochs = 5",
]


@pytest.mark.parametrize("strategy", ["random", "uncertainty"])
def test_planned_extractions_and_steps_are_what_the_campaign_ran(tmp_path, monkeypatch, strategy):
    """Random acquires without extracting the pool, Uncertainty extracts it once per acquisition:
    the plan counts exactly the images the campaign embedded and the steps it took."""
    campaign.parse_gin(
        ["gin_configs/testing/tiny.gin", "gin_configs/setting/semi.gin",
         f"gin_configs/strategy/{strategy}.gin"],
        SMALL,
    )  # fmt: skip
    loop = ActiveLearningLoop(str(tmp_path / "run"))
    planned = estimate.planned_work(loop)
    embedded, steps = [], []
    predict, train = Trainer.predict, Trainer.train

    def counting_predict(self, batches, **kwargs):
        out = predict(self, batches, **kwargs)
        embedded.append(len(out["probs"]))
        return out

    def counting_train(self, dataset, num_steps, **kwargs):
        steps.append(num_steps)
        return train(self, dataset, num_steps, **kwargs)

    monkeypatch.setattr(Trainer, "predict", counting_predict)
    monkeypatch.setattr(Trainer, "train", counting_train)
    loop.run()
    assert planned.extracted_images == sum(embedded)
    assert planned.train_steps == sum(steps)
