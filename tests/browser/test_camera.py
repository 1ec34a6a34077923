"""The fake camera file is a well-formed Y4M whose picture still reads as the QR."""

import zxingcpp
from PIL import Image

from server.qr import qr_png
from tests.browser.camera import HEIGHT, WIDTH, png_to_y4m


def test_a_qr_becomes_frames_that_still_decode(tmp_path):
    payload = "http://127.0.0.1:8000/checkin?c=TEST-CODE-123"
    video = png_to_y4m(qr_png(payload), tmp_path / "qr.y4m", frames=2).read_bytes()

    header, _, body = video.partition(b"\n")
    assert header.split()[:3] == [b"YUV4MPEG2", f"W{WIDTH}".encode(), b"H480"]
    assert b"C420jpeg" in header.split()
    frame = 6 + WIDTH * HEIGHT * 3 // 2
    assert len(body) == 2 * frame
    assert body[:6] == body[frame : frame + 6] == b"FRAME\n"

    luma = Image.frombytes("L", (WIDTH, HEIGHT), body[6 : 6 + WIDTH * HEIGHT])
    assert [result.text for result in zxingcpp.read_barcodes(luma)] == [payload]
    assert luma.getpixel((0, 0)) == 255  # white around the code
