"""The in-page scanner (`web/static/scanner.js` with jsQR) reads a QR code from the
camera and submits it, here from Chromium's fake camera, on the live server's origin.
"""

import pytest

from server.qr import qr_png

PAGE = """<!doctype html><html><body>
<form method="get" action="/__scanned">
  <input id="code" name="code">
  <div class="scanner" data-scanner data-target-input="#code" data-autosubmit>
    <video muted playsinline></video><p data-scanner-status></p>
  </div>
</form>
<script src="/static/vendor/jsqr-1.4.0/jsQR.js"></script>
<script src="/static/scanner.js"></script>
</body></html>"""


@pytest.mark.browser
def test_the_scanner_reads_the_fake_camera_and_submits(phone, live_server):
    payload = "VS1.scanner-check.0123456789"

    with phone.open(camera=qr_png(payload)) as page:
        # A page of our own on the app's origin, so the real static files load.
        page.route(
            f"{live_server.url}/__scanner",
            lambda route: route.fulfill(body=PAGE, content_type="text/html"),
        )
        page.route(
            f"{live_server.url}/__scanned*",
            lambda route: route.fulfill(
                body="<p id=done>ok</p>", content_type="text/html"
            ),
        )
        page.goto("/__scanner")
        page.wait_for_url("**/__scanned?code=*")
        assert page.url.endswith("code=VS1.scanner-check.0123456789")
