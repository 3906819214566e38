"""Time to the first rendered page of the web app in headless Chromium (stdlib only: the W3C
WebDriver protocol spoken to chromedriver over HTTP).

The release server serves web/dist on loopback. Each sample is a new browser (empty cache, a
cold start of the app) or, for the warm figure, the same browser loading the page again. The
figure is the page's own clock (`performance.now()`, milliseconds since navigation start) at
the first animation frame in which the sign-in form's password field exists, i.e. the wasm
was fetched, compiled and started and the app rendered its first page; beside it, the page's
load event. The polling is per animation frame (~16 ms).

Usage: bench_first_render.py SERVER_BINARY (after `make web`). Markdown on stdout.
Environment (optional): BENCH_RENDER_SAMPLES (10).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import bench_telephony as bt

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web", "dist")
SAMPLES = int(os.environ.get("BENCH_RENDER_SAMPLES", "10"))

# Resolves with the page's clock at the first frame showing the sign-in form.
RENDERED = """
const done = arguments[arguments.length - 1];
function frame() {
  if (document.querySelector('#password')) {
    const nav = performance.getEntriesByType('navigation')[0];
    done({rendered: performance.now(), load: nav ? nav.loadEventEnd : null});
  } else {
    requestAnimationFrame(frame);
  }
}
frame();
"""


def webdriver(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["value"]


def new_session(driver):
    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                        "--disable-extensions", "--window-size=1280,900"]},
        "timeouts": {"script": 30000, "pageLoad": 30000},
    }}}
    return webdriver(driver, "POST", "/session", caps)["sessionId"]


def sample(driver, session, url):
    webdriver(driver, "POST", f"/session/{session}/url", {"url": url})
    return webdriver(driver, "POST", f"/session/{session}/execute/async", {"script": RENDERED, "args": []})


def main():
    if not shutil.which("chromedriver"):
        print("Time to first render skipped: chromedriver is not installed (`make test-tools` installs it).")
        return
    server = bt.start_api({"WEB_DIR": WEB})
    port = bt.free_port()
    driver_dir = tempfile.mkdtemp(prefix="bench-chromedriver-")
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=driver_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                webdriver(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        url = server.base + "/sign-in"
        cold, warm = [], []
        for _ in range(SAMPLES):
            session = new_session(base)
            try:
                cold.append(sample(base, session, url))
                warm.append(sample(base, session, url))
            finally:
                webdriver(base, "DELETE", f"/session/{session}")
    finally:
        driver.terminate()
        driver.wait()
        shutil.rmtree(driver_dir, ignore_errors=True)
        bt.stop_api(server)

    def med(samples, key):
        values = [s[key] for s in samples if s.get(key) is not None]
        return f"{statistics.median(values):.0f}" if values else "—"

    def worst(samples, key):
        values = [s[key] for s in samples if s.get(key) is not None]
        return f"{max(values):.0f}" if values else "—"

    print("\n".join([
        f"### Time to the first rendered page (headless Chromium, loopback, {SAMPLES} samples each)",
        "",
        "Cold: a new browser each time (empty cache). Warm: the same browser loading the page again. "
        "*Rendered*: the page's clock when the sign-in form first exists (wasm fetched, compiled, started, "
        "first page drawn), checked every animation frame.",
        "",
        "| | rendered, median ms | rendered, worst ms | load event, median ms |",
        "|---|---|---|---|",
        f"| cold | {med(cold, 'rendered')} | {worst(cold, 'rendered')} | {med(cold, 'load')} |",
        f"| warm | {med(warm, 'rendered')} | {worst(warm, 'rendered')} | {med(warm, 'load')} |",
    ]))


if __name__ == "__main__":
    main()
