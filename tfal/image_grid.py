"""One captioned image grid: TensorBoard's acquired images and the human oracle's contact sheets.

Tiles are scaled so their longer side is at least `tile` pixels by whole factors (nearest
neighbour: pixels stay sharp), or shrunk to `tile` when larger (bilinear); each caption is cut to
its tile's width and drawn in a strip under it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CAPTION_PX = 14  # height of the caption strip under each tile


def caption_grid(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    columns: int | None = None,
    tile: int = 64,
    gap: int = 2,
    margin: int = 0,
    background: tuple[int, int, int] = (0, 0, 0),
    text: tuple[int, int, int] = (255, 255, 0),
) -> np.ndarray:
    """uint8 [H, W, 3]: `images` in rows of `columns` (default: a near-square grid), captioned.

    Args:
      images: uint8 [n, H, W, C], C in {1, 3}, n >= 1.
      captions: one text per image.
      columns: tiles per row (at most n).
      tile: the longer side of a tile, at least (upscaled) or exactly (shrunk), in pixels.
      gap, margin: pixels between tiles and around the grid.
      background, text: RGB colours.

    Raises:
      ValueError: images not uint8 [n, H, W, 1|3], or not one caption per image.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] not in (1, 3):
        raise ValueError(
            f"images must be uint8 [n, H, W, C] with C in (1, 3), got {images.dtype} "
            f"{list(images.shape)}"
        )
    if len(captions) != len(images) or len(images) == 0:
        raise ValueError(
            f"need one label per image and n >= 1: {len(images)} images, {len(captions)} labels"
        )
    n, h, w, _ = images.shape
    side = max(h, w)
    scale = math.ceil(tile / side) if side <= tile else tile / side
    th, tw = max(1, round(h * scale)), max(1, round(w * scale))
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BILINEAR
    cols = min(columns or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / cols)
    cell_w, cell_h = tw + gap, th + CAPTION_PX + gap
    size = (2 * margin + cols * cell_w - gap, 2 * margin + rows * cell_h - gap)
    canvas = Image.new("RGB", size, color=background)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for i, (image, caption) in enumerate(zip(images, captions, strict=True)):
        x, y = margin + (i % cols) * cell_w, margin + (i // cols) * cell_h
        canvas.paste(
            Image.fromarray(pil_pixels(image)).convert("RGB").resize((tw, th), resample), (x, y)
        )
        draw.text((x + 1, y + th + 1), _fit(str(caption), font, tw - 2), fill=text, font=font)
    return np.asarray(canvas, dtype=np.uint8)


def pil_pixels(image: np.ndarray) -> np.ndarray:
    """[H, W, 1] -> [H, W] (PIL's grey mode); [H, W, 3] unchanged."""
    return image[..., 0] if image.shape[-1] == 1 else image


def _fit(text: str, font: ImageFont.ImageFont, width: int) -> str:
    """Cuts `text` so it fits in `width` pixels."""
    while text and font.getlength(text) > width:
        text = text[:-1]
    return text


def fitted(image: Image.Image, side: int, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """uint8 [side, side, 3]: `image` scaled to fit a side x side square (upscaled without
    smoothing, shrunk with it) and centred on `background`."""
    image = image.convert("RGB")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
    canvas = Image.new("RGB", (side, side), background)
    canvas.paste(image.resize(size, resample), ((side - size[0]) // 2, (side - size[1]) // 2))
    return np.asarray(canvas)
