#!/usr/bin/python3
"""deepzoomsink in a real viewer: a pyramid made by deepzoomsink, served over
HTTP on 127.0.0.1 and shown by OpenSeadragon in headless Chromium, must look
like its source -- the home view like the source downscaled, a 1:1 zoom like
the same crop of the source. The same pyramid with one tile removed must fail
the check, or the check proves nothing.

    check.py            (in the build environment: our plugins on GST_PLUGIN_PATH)
"""
import os, shutil, socket, subprocess, sys, tempfile, time
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 1600, 1200          # the source; the 800x600 page shows it at 1/2
X, Y = 1013, 517           # the zoom point (image pixels)
HOME_MIN_DB = 35.0         # home view vs the 2x2 box-averaged source, worst block
ZOOM_MIN_DB = 32.0         # 1:1 zoom vs the source crop, worst block

def psnr(a, b):
    """The PSNR of the worst 100x100 block: every part of the view must be
    right, so a hole the size of one tile cannot hide in the mean."""
    worst = float("inf")
    for y in range(0, a.shape[0], 100):
        for x in range(0, a.shape[1], 100):
            d = a[y:y + 100, x:x + 100].astype(np.float64) - b[y:y + 100, x:x + 100]
            mse = np.mean(d ** 2)
            if mse > 0:
                worst = min(worst, 10 * np.log10(255.0 ** 2 / mse))
    return worst

def make_source(path):
    """Smooth gradients with sharp detail at every scale (a checkerboard of
    8-pixel squares and thin lines), so that a view built from the wrong
    level -- the blurred fallback for a missing tile -- shows."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    base = np.stack([90 + 80 * x / W, 60 + 120 * y / H, 160 - 60 * (x + y) / (W + H)], -1)
    checker = (((x // 8) + (y // 8)) % 2) * 40 - 20
    lines = np.where((x % 37 < 1) | (y % 53 < 1), 50, 0)
    img = np.clip(base + (checker + lines)[..., None], 0, 255).astype(np.uint8)
    Image.fromarray(img, "RGB").save(path)

def make_pyramid(work):
    src = os.path.join(work, "src.png")
    make_source(src)
    root = os.path.join(work, "www")
    os.makedirs(root)
    subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={src}", "!", "pngtiledec", "!",
                    "deepzoomsink", f"location={root}/big.dzi", "quality=90"], check=True, timeout=60)
    shutil.copy(os.path.join(HERE, "viewer.html"), root)
    os.symlink(os.path.join(HERE, "node_modules", "openseadragon", "build", "openseadragon"),
               os.path.join(root, "openseadragon"))
    return src, root

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def shoot(root, tag):
    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        home, zoom = os.path.join(root, "..", tag + "-home.png"), os.path.join(root, "..", tag + "-zoom.png")
        subprocess.run(["node", os.path.join(HERE, "screenshot.js"),
                        f"http://127.0.0.1:{port}/viewer.html?dzi=big.dzi", home, zoom, str(X), str(Y)],
                       check=True, timeout=90)
        return (np.asarray(Image.open(home).convert("RGB")), np.asarray(Image.open(zoom).convert("RGB")))
    finally:
        server.terminate()
        server.wait()

def scores(src, shots):
    s = np.asarray(Image.open(src).convert("RGB")).astype(np.uint32)
    home_ref = ((s[0::2, 0::2] + s[1::2, 0::2] + s[0::2, 1::2] + s[1::2, 1::2] + 2) >> 2).astype(np.uint8)
    zoom_ref = s[Y - 300:Y + 300, X - 400:X + 400].astype(np.uint8)
    return psnr(shots[0], home_ref), psnr(shots[1], zoom_ref)

def main():
    work = tempfile.mkdtemp(prefix="deepzoom-browser-")
    try:
        src, root = make_pyramid(work)
        home_db, zoom_db = scores(src, shoot(root, "whole"))
        print(f"complete pyramid: home {home_db:.1f} dB (>= {HOME_MIN_DB}), zoom {zoom_db:.1f} dB (>= {ZOOM_MIN_DB})")
        ok = home_db >= HOME_MIN_DB and zoom_db >= ZOOM_MIN_DB
        # the full-resolution tile under the zoom point goes missing
        top = max(int(d) for d in os.listdir(os.path.join(root, "big_files")))
        os.remove(os.path.join(root, "big_files", str(top), f"{X // 254}_{Y // 254}.jpeg"))
        home_db2, zoom_db2 = scores(src, shoot(root, "missing"))
        print(f"one tile missing: home {home_db2:.1f} dB, zoom {zoom_db2:.1f} dB (must fail)")
        caught = zoom_db2 < ZOOM_MIN_DB
        if not ok:
            print("FAIL: the viewer does not show the pyramid as its source")
        if not caught:
            print("FAIL: a missing tile went unnoticed")
        return 0 if ok and caught else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
