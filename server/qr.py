"""QR images the app shows: activity check-in codes, cards, certificates.

Every image is a PNG with a generous quiet zone, so that a cheap phone camera and the
in-page decoder both read it from a screen or from paper.
"""

from io import BytesIO

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """A PNG of `payload` (ASCII only: URLs and opaque tokens, never personal data)."""
    if not payload.isascii():
        raise ValueError("QR payloads are ASCII only")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(payload)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
