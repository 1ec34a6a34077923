"""A fake camera for Chromium: a QR image turned into a Y4M video file.

Chromium's `--use-file-for-fake-video-capture` plays a YUV4MPEG2 file in a loop as
the camera. The QR is scaled up by whole pixels (so its modules stay sharp), centred
on white, and written as a few identical 4:2:0 frames.
"""

from io import BytesIO
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 640, 480


def png_to_y4m(png: bytes, path: Path, *, frames: int = 3, fill: float = 0.8) -> Path:
    """Write `png` as a Y4M video of `frames` frames to `path`, and return `path`."""
    image = Image.open(BytesIO(png)).convert("L")
    scale = max(1, int(min(WIDTH, HEIGHT) * fill) // max(image.size))
    image = image.resize(
        (image.width * scale, image.height * scale), Image.Resampling.NEAREST
    )
    canvas = Image.new("L", (WIDTH, HEIGHT), 255)
    canvas.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))

    luma = canvas.tobytes()
    # Grey has no colour: both chroma planes sit at the neutral 128.
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    with path.open("wb") as video:
        video.write(header)
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path
