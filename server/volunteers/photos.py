"""Card photos: uploads re-encoded small and clean, and a placeholder for the rest.

Re-encoding with Pillow drops everything but the pixels, so an upload's EXIF data
(the phone's GPS position, its serial number) never reaches the server's storage.
"""

from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from server.i18n import _
from server.volunteers.normalise import Invalid

# Phone photos are often 6-12 MB; they are re-encoded small, so the upload may be big.
MAX_UPLOAD_MEGABYTES = 15
MAX_UPLOAD_BYTES = MAX_UPLOAD_MEGABYTES * 1024 * 1024
# A phone photo has 12-50 megapixels; more than this is a decompression bomb.
MAX_PIXELS = 60_000_000
PHOTO_SIZE = 480
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})
PHOTO_CONTENT_TYPE = "image/jpeg"


def reencode_photo(data: bytes) -> bytes:
    """A JPEG no larger than 480 pixels a side, upright, with no metadata."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid(
            _(
                "The photo is larger than %(n)s MB. Choose a smaller one.",
                n=MAX_UPLOAD_MEGABYTES,
            ),
            code="photo_too_large",
        )
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise Invalid(
                    _("The photo must be a JPEG or PNG picture."), code="photo_format"
                )
            if image.width * image.height > MAX_PIXELS:
                raise Invalid(
                    _("The photo has too many pixels. Choose a smaller one."),
                    code="photo_pixels",
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise Invalid(
            _("This file is not a picture we can read. Choose a JPEG or PNG."),
            code="photo_unreadable",
        ) from error

    upright.thumbnail((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS)
    return _jpeg(_on_white(upright))


def _on_white(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent parts of a PNG become white rather than black."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


@cache
def placeholder_photo() -> bytes:
    """A grey head-and-shoulders silhouette: no initials, so it tells nothing."""
    width, height = 384, 480
    image = Image.new("RGB", (width, height), "#e6e6e6")
    draw = ImageDraw.Draw(image)
    figure = "#9e9e9e"
    draw.ellipse((112, 80, 272, 250), fill=figure)
    draw.ellipse((32, 270, 352, 640), fill=figure)
    return _jpeg(image)
