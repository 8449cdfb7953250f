#!/usr/bin/env python3
"""Checks `ferry serve --http` from outside, as scripts/test runs them.

    http_checks.py --ferry BIN --env ENV.json --out DIR [--only api|browser]

Starts a fresh workspace with the example profiles, a read-write token and
`ferry serve --http 127.0.0.1:PORT` (scheduler on) against the moto S3 in
ENV.json, then:

  api      schemathesis runs the served OpenAPI document against the live
           server with the token: no 5xx, status codes, content types and
           bodies as documented.  Its JUnit report goes to DIR.
  browser  headless Chromium (Debian chromium + chromium-driver, installed
           with apt-get when missing) driven by selenium: logs in, creates a
           destination on moto, a segment and an activation, presses export
           now and sees the run succeed; a segment named
           <script>alert(1)</script> shows as text.  A screenshot of each page
           goes to DIR/screenshots.

Last, SIGTERM: the server must exit 0 and say it stopped.  Exit status 0 when
everything passed.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(*parts):
    print("http_checks:", *parts, file=sys.stderr, flush=True)


def pip_install(*packages):
    base = [sys.executable, "-m", "pip", "install", "-q"]
    if subprocess.call(base + list(packages)) != 0:
        subprocess.check_call(base + ["--user", "--break-system-packages"] + list(packages))


def ensure_python(module, package):
    try:
        __import__(module)
    except ImportError:
        log(f"installing {package} from PyPI")
        pip_install(package)


def ensure_chromium():
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    log("installing chromium and chromium-driver with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.check_call(sudo + ["apt-get", "update", "-qq"], env=env)
    subprocess.check_call(sudo + ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], env=env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A workspace with the example profiles and `ferry serve --http` over it."""

    def __init__(self, ferry, s3env, work):
        self.ferry = ferry
        self.work = work
        self.workspace = os.path.join(work, "workspace")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.s3 = s3env
        self.env = dict(os.environ, FERRY_WORKSPACE=self.workspace, AWS_ENDPOINT_URL=s3env["endpoint"],
                        AWS_REGION=s3env["region"])
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "FERRY_ALERT_WEBHOOK"):
            self.env.pop(key, None)
        self.ferry_cli("profiles", "import", os.path.join(ROOT, "examples", "profiles.jsonl"))
        self.token = self.ferry_cli("tokens", "create", "checks").strip()
        self.read_token = self.ferry_cli("tokens", "create", "viewer", "--read-only").strip()
        self.log_path = os.path.join(work, "serve.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [ferry, "serve", "--http", f"127.0.0.1:{self.port}", "--poll-seconds", "2"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise SystemExit(f"ferry serve did not become ready; log:\n{open(self.log_path).read()}")

    def ferry_cli(self, *args):
        return subprocess.run([self.ferry, *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def stop(self):
        """SIGTERM, then the server must stop by itself, cleanly."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SystemExit("ferry serve did not stop within 30 s of SIGTERM")
        self.log.close()
        text = open(self.log_path).read()
        if code != 0 or "ferry serve stopped" not in text:
            raise SystemExit(f"ferry serve exited {code} after SIGTERM; log:\n{text}")
        log("SIGTERM: the server stopped cleanly")


def run_schemathesis(server, out):
    ensure_python("schemathesis", "schemathesis")
    report = os.path.join(out, "schemathesis-junit.xml")
    st = shutil.which("schemathesis") or shutil.which("st")
    command = [st] if st else [sys.executable, "-m", "schemathesis.cli"]
    command += [
        "run", server.base + "/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {server.token}",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples", os.environ.get("FERRY_SCHEMATHESIS_EXAMPLES", "20"),
        "--request-timeout", "20",
        "--seed", "1",
        "--report", "junit", "--report-junit-path", report,
        "--no-color",
    ]
    log("running schemathesis:", " ".join(c if "Bearer" not in c else "Authorization: Bearer ***" for c in command))
    started = time.time()
    code = subprocess.call(command, env=dict(os.environ, SCHEMATHESIS_HOOKS=""))
    log(f"schemathesis finished in {time.time() - started:.0f} s with exit {code}")
    return code == 0


def run_browser(server, out):
    ensure_python("selenium", "selenium")
    ensure_chromium()
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shots = os.path.join(out, "screenshots")
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    count = [0]

    def shot(name):
        count[0] += 1
        path = os.path.join(shots, f"{count[0]:02d}-{name}.png")
        driver.save_screenshot(path)
        log("screenshot", os.path.relpath(path, ROOT))

    def expect(condition, message):
        if not condition:
            shot("failure")
            raise AssertionError(message + f" (page {driver.current_url})")

    def no_alert():
        try:
            driver.switch_to.alert
            return False
        except NoAlertPresentException:
            return True

    def retried(action, attempts=3):
        """Runs a page action again when Chrome lost the node it found (it was
        seen once in CI, right after a page load): found again, it works."""
        for attempt in range(attempts):
            try:
                return action()
            except WebDriverException as error:
                lost = isinstance(error, StaleElementReferenceException) or \
                    "does not belong to the document" in str(error)
                if not lost or attempt == attempts - 1:
                    raise
                log(f"page action retried: {str(error).splitlines()[0]}")
                time.sleep(0.5)

    def click(locator):
        """Clicks a submit button and waits for the next page (an export can take seconds)."""
        def attempt():
            page = driver.find_element(By.TAG_NAME, "html")
            driver.find_element(*locator).click()
            return page
        page = retried(attempt)

        def left(_):
            # Chrome 156 reports the old page's node as not in the document
            # rather than stale: both mean the next page has replaced it.
            try:
                page.is_enabled()
                return False
            except WebDriverException as error:
                return isinstance(error, StaleElementReferenceException) or \
                    "does not belong to the document" in str(error)
        WebDriverWait(driver, 120).until(left)

    def go(url):
        retried(lambda: driver.get(url))

    def fill(name, value):
        def attempt():
            field = driver.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        retried(attempt)

    try:
        go(server.base + "/")
        expect(driver.current_url.endswith("/login"), "without a session / leads to the login page")
        shot("login")
        fill("token", "ferry_wrong")
        click((By.CSS_SELECTOR, "form button"))
        expect("not valid" in driver.page_source, "a wrong token is refused")
        fill("token", server.token)
        click((By.CSS_SELECTOR, "form button"))
        expect(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "login leads to the overview")
        cookie = driver.get_cookie("ferry_session")
        expect(cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict",
               f"the session cookie is HttpOnly and SameSite=Strict: {cookie}")
        shot("overview")

        keys = server.s3["users"]["full"]
        go(server.base + "/destinations")
        fill("name", "moto")
        fill("bucket", server.s3["bucket"])
        fill("folderPath", "browser-test/%SEGMENT_NAME%")
        fill("region", server.s3["region"])
        fill("accessKeyId", keys["accessKeyId"])
        fill("secretAccessKey", keys["secretAccessKey"])
        click((By.XPATH, "//button[text()='Test and save']"))
        expect("Destination moto saved." in driver.page_source, "the destination is saved")
        expect(driver.page_source.count(">pass<") == 6, "the six permissions show as pass")
        expect(keys["secretAccessKey"] not in driver.page_source, "the secret key is not shown")
        shot("destinations")

        go(server.base + "/segments")
        fill("name", "Gold members")
        fill("pql", 'loyalty.tier = ')
        click((By.XPATH, "//button[@value='check']"))
        expect("1:16" in driver.page_source, "a PQL error shows its line and column")
        shot("segment-pql-error")
        fill("pql", 'loyalty.tier = "gold"')
        click((By.XPATH, "//button[@value='save']"))
        expect("Segment Gold members saved: 3 members." in driver.page_source, driver.page_source[-800:])
        fill("name", "<script>alert(1)</script>")
        fill("pql", "vip = true")
        click((By.XPATH, "//button[@value='save']"))
        expect(no_alert(), "the segment name runs no script")
        cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "td")]
        expect("<script>alert(1)</script>" in cells, "the segment named <script> shows as text")
        expect("&lt;script&gt;alert(1)&lt;/script&gt;" in driver.page_source, "the name is escaped in the HTML")
        shot("segments")

        go(server.base + "/activations")
        Select(driver.find_element(By.NAME, "destination")).select_by_visible_text("moto")
        gold = driver.find_element(By.XPATH, "//label[contains(., 'Gold members')]/input")
        gold.click()
        fill("columns", "identityMap.Email=email\nperson.name.lastName")
        fill("name", "browser daily")
        Select(driver.find_element(By.NAME, "frequency")).select_by_visible_text("daily")
        click((By.XPATH, "//button[text()='Save activation']"))
        expect("Activation browser daily saved." in driver.page_source, driver.page_source[-800:])
        shot("activations")
        click((By.XPATH, "//tr[td[text()='browser daily']]//button[text()='Export now']"))
        expect("/runs" in driver.current_url, "export now leads to the runs page")
        # The activation starts now, so the server's scheduler may run its first
        # daily slot beside the manual one (and it may still be running).
        statuses = [c.text for c in driver.find_elements(By.XPATH, "//tr[td/a[starts-with(@href, '/runs/')]]/td[2]")]
        expect("success" in statuses and set(statuses) <= {"success", "processing"}, f"the runs succeeded: {statuses}")
        shot("runs")
        click((By.XPATH, "//tr[td[2][text()='success']]/td/a"))
        expect(driver.find_element(By.ID, "run-status").text == "success", "the run page shows success")
        expect(".csv" in driver.page_source, "the run page lists its file")
        shot("run")

        go(server.base + "/")
        expect(no_alert(), "the overview runs no script")
        shot("overview-after")

        # A read-only token sees everything and cannot change anything.
        driver.delete_all_cookies()
        go(server.base + "/login")
        fill("token", server.read_token)
        click((By.CSS_SELECTOR, "form button"))
        go(server.base + "/activations")
        expect("Export now" not in driver.page_source and "New activation" not in driver.page_source,
               "a read-only session shows no forms that change state")
        shot("read-only")
        log("browser: every step passed")
        return True
    except Exception as error:  # noqa: BLE001 - reported, and the run fails
        log(f"browser test failed: {error}")
        traceback.print_exc()
        return False
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", choices=["api", "browser"])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    s3env = json.load(open(args.env))
    work = tempfile.mkdtemp(prefix="ferry-http-checks-")
    ok = True
    try:
        server = Server(os.path.abspath(args.ferry), s3env, work)
        try:
            if args.only in (None, "browser"):
                ok = run_browser(server, args.out) and ok
            if args.only in (None, "api"):
                ok = run_schemathesis(server, args.out) and ok
        finally:
            server.stop()
            shutil.copy(server.log_path, os.path.join(args.out, "serve.log"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log("all passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
