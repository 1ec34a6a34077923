"""Draw the app's home-screen icons (a white heart on the app's red) with Pillow.

The PNGs are committed; run `python -m server.field.icons` to draw them again.
No font is used, so the result is the same on every machine.
"""

from pathlib import Path

from PIL import Image, ImageDraw

from server.settings import ROOT

ICONS = ROOT / "web" / "static" / "icons"
SIZES = (192, 512)
RED = (198, 40, 40)
WHITE = (255, 255, 255)


def draw_icon(size: int) -> Image.Image:
    """A full-bleed square (maskable: the heart stays inside the safe circle)."""
    scale = 4  # drawn large, then reduced, for smooth edges
    side = size * scale
    image = Image.new("RGB", (side, side), RED)
    draw = ImageDraw.Draw(image)
    # Two circles and a triangle make a heart, within the middle 60%.
    r = side * 0.14
    cy = side * 0.42
    for cx in (side * 0.5 - r * 0.95, side * 0.5 + r * 0.95):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    draw.polygon(
        [
            (side * 0.5 - r * 1.9, cy + r * 0.25),
            (side * 0.5 + r * 1.9, cy + r * 0.25),
            (side * 0.5, side * 0.72),
        ],
        fill=WHITE,
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(folder: Path = ICONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for size in SIZES:
        path = folder / f"icon-{size}.png"
        draw_icon(size).save(path, format="PNG", optimize=True)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_icons():
        print(written)
