"""The campaign's network seen through its data: extraction on the pool, evaluation on the test
split, MC-dropout samples and the TF Serving export. No training here (that is the Trainer's)."""

from __future__ import annotations

import numpy as np

from tfal import lp, seeds
from tfal.data.disk_images import DiskImages
from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.data.pool_storage import PoolStorage
from tfal.data.sources import Dataset
from tfal.loop.evaluation import Evaluation, evaluation
from tfal.monitoring import console
from tfal.serving import export_model
from tfal.training import Trainer


class PoolModel:
    """Inference with the trainer's current model on `data`, in batches of `batch_size`."""

    def __init__(
        self,
        trainer: Trainer,
        pipeline: InputPipeline,
        data: Dataset,
        *,
        batch_size: int,
        mean: np.ndarray,
        std: np.ndarray,
    ):
        self.trainer, self.pipeline, self.data = trainer, pipeline, data
        self.batch_size, self.mean, self.std = batch_size, mean, std

    @classmethod
    def build(
        cls,
        data: Dataset,
        *,
        trainer_fn,
        augmentation: Augmentation | None,
        seed: int,
        batch_size: int,
    ) -> PoolModel:
        """The campaign's network (its initial weights drawn from the campaign seed; its outputs
        checked by the Trainer, `tfal.models.contract`) and the pool's input pipeline."""
        mean, std = data.channel_stats()
        pipeline = InputPipeline(data.x_pool, mean, std, augmentation or Augmentation())
        trainer = trainer_fn(
            num_classes=data.num_classes,
            input_shape=data.image_shape,
            seed=seeds.model_seed(seed, 0, "init"),
        )
        return cls(trainer, pipeline, data, batch_size=batch_size, mean=mean, std=std)

    def predict_pool(self, desc: str) -> dict[str, np.ndarray]:
        """{"embedding" [n, d], "probs" [n, c]} of every pool image, in inference mode."""
        with console.stage(desc, len(self.data.x_pool), "image") as advance:
            return self.trainer.predict(
                self.pipeline.inference_batches(self.batch_size), on_batch=advance
            )

    def lp_features(self, *, on_pixels: bool, desc: str) -> np.ndarray:
        """The pool as LP sees it: the network's embeddings, or the pixels (`pixel_epochs`)."""
        if on_pixels:
            return pixel_features(self.data.x_pool)
        return self.predict_pool(desc)["embedding"]

    def predict_mc(self, *, samples: int, seed: int, desc: str) -> np.ndarray:
        """float32 [samples, n, c]: the pool's probabilities with dropout on (BALD)."""
        with console.stage(desc, len(self.data.x_pool), "image") as advance:
            return self.trainer.predict_mc(
                self.pipeline.inference_batches(self.batch_size),
                samples=samples,
                seed=seed,
                on_batch=advance,
            )

    def evaluate(self, desc: str) -> Evaluation:
        """Accuracy, loss and per-class accuracy of the current model on the whole test split,
        from one pass over it."""
        with console.stage(desc, len(self.data.x_test), "image") as advance:
            probs = self.trainer.predict(
                self.pipeline.inference_batches(self.batch_size, self.data.x_test),
                on_batch=advance,
            )["probs"]
        return evaluation(probs, self.data.y_test, self.data.num_classes)

    def predict_classes(self, indices: np.ndarray, desc: str) -> np.ndarray:
        """int64 argmax classes of the pool images `indices` (the stop set), in inference mode."""
        images = self.data.x_pool[indices]
        with console.stage(desc, len(images), "image") as advance:
            probs = self.trainer.predict(
                self.pipeline.inference_batches(self.batch_size, images), on_batch=advance
            )["probs"]
        return probs.argmax(axis=1).astype(np.int64)

    def export(self, export_base: str, version: int) -> str:
        """The current model as TF Serving `version` of `export_base` (raw uint8 in, names out)."""
        return export_model(
            self.trainer.model,
            export_base=export_base,
            version=version,
            image_shape=self.data.image_shape,
            mean=self.mean,
            std=self.std,
            class_names=self.data.class_names,
        )


def pixel_features(images: np.ndarray | DiskImages) -> np.ndarray:
    """float32 [n, H*W*C]: `lp.flat_pixels` of the pool; a pool on disk a chunk at a time, refused
    when the features exceed `PoolStorage.memory_limit_bytes` (4 bytes a pixel: the pool that was
    too large for memory as uint8 is four times larger as LP's features)."""
    if not isinstance(images, DiskImages):
        return lp.flat_pixels(images)
    size = 4 * int(np.prod(images.shape))
    limit = PoolStorage().memory_limit_bytes
    if size > limit:
        raise ValueError(
            f"LP on the pixels of this pool on disk needs {size:,} bytes of features, more than "
            f"PoolStorage.memory_limit_bytes = {limit:,}: set SemiSupervised.pixel_epochs = 0 "
            "(LP on the network's embedding) or raise the limit"
        )
    return lp.features.pixel_vectors(images, max_inputs=int(np.prod(images.row_shape)))  # not shrunk
