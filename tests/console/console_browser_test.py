#!/usr/bin/env python3
"""The admin console (/console) in a real headless Chromium against real `reco serve` processes.

  console_browser_test.py RECO_BINARY ARTIFACT_DIR [--docs-images DIR]

Drives Debian's chromium through chromium-driver with python3-selenium (scripts/install-deps.sh):

  * a server with an admin token (RECO_SERVER_API_KEY) on a data dir with two model versions
    (`reco train`, then `reco pipeline run`: production and previous, evaluation files, a pipeline
    run with task logs) and `--console-history-interval 1`: the login form appears, a wrong token
    shows the server's error, the right one logs in; every page loads its data with no error on
    the page and no SEVERE browser log entry, in English and in zh-CN; a user and an item are
    looked up; the preview lists items with their source; a job triggered from the jobs page
    shows up as a run there; a cancelled rollback changes nothing, a confirmed one makes /health
    serve the previous version; a canary started and withdrawn from the models page shows in
    /health; a pipeline run started from the jobs page shows there until it succeeds; logging
    out shows the login form again;
  * a second server with no token and no --console-write, in a browser whose language is zh-CN:
    the console opens in zh-CN, read-only, with no action buttons, and a POST without the
    session cookie and CSRF token is refused.

Screenshots of every page go to ARTIFACT_DIR (the build's artifacts/console); --docs-images DIR
also copies the ones docs/console.md shows. Exits 77 (ctest: skipped) only when chromium or
chromedriver is missing.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TOKEN = "console-test-token-7f3a"
PAGES = ["overview", "data", "preview", "models", "jobs", "evaluation"]
SOURCES = {"precomputed", "itemcf", "category_popular", "popular", "latest"}
# The nav label of the overview page in each language: proves which dictionary is showing.
OVERVIEW_LABEL = {"en": "Overview", "zh-CN": "概览"}
DOC_IMAGES = {"overview-en": "console-overview.png", "models-en": "console-models.png",
              "jobs-en": "console-jobs.png", "preview-en": "console-preview.png"}

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    print(f"SKIP: the console browser test needs Debian's chromium and chromium-driver "
          f"(scripts/install-deps.sh); missing: "
          f"{', '.join(p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p))}")
    sys.exit(SKIP)

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    # ctest's python3 may be another interpreter than Debian's, which has python3-selenium.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("FAIL: python3-selenium is not installed; run scripts/install-deps.sh")


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


# ------------------------------------------------------------------------------------------------
# Servers and plain HTTP.

def run_reco(binary, args, log):
    with open(log, "a") as out:
        proc = subprocess.run([binary] + args, stdout=out, stderr=subprocess.STDOUT)
    check(proc.returncode == 0, f"reco {' '.join(args)} exited {proc.returncode}:\n{open(log).read()}")


def prepare_data(binary, root, name):
    """A data dir with demo data, a trained version and a pipeline run's version on top of it
    (production and previous), the evaluation files and a pipeline run with task logs."""
    data = os.path.join(root, name)
    demo = os.path.join(root, name + "-demo")
    log = os.path.join(root, name + "-prepare.log")
    run_reco(binary, ["demo-data", "--out", demo, "--users", "60", "--items", "80"], log)
    run_reco(binary, ["import", "--data-dir", data, demo], log)
    run_reco(binary, ["train", "--data-dir", data], log)
    run_reco(binary, ["pipeline", "run", "--data-dir", data, "--quiet"], log)
    return data


class Server:
    def __init__(self, binary, data, log, args=(), env=None):
        self.log = log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [binary, "serve", "--data-dir", data, "--http-port", "0", *args],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while True:
            text = open(log, errors="replace").read()
            m = re.search(r"listening on http://[0-9.]+:(\d+)", text)
            if m:
                self.base = f"http://127.0.0.1:{m.group(1)}"
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Failure(f"reco serve did not start:\n{text}")
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None):
        """(status, parsed JSON or text) without following the browser's session."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        text = raw.decode(errors="replace")
        return status, (json.loads(text) if "json" in ctype and text else text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Traffic:
    """Recommendations (one in ten for an unknown user: a degraded answer), feedback and failing
    requests in the background while the browser works, so the overview's charts have lines."""

    def __init__(self, server, users, items):
        self.server, self.users, self.items = server, users, items
        self.stopped = threading.Event()
        self.errors = []
        self.sent = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        key = {"X-API-Key": TOKEN}
        i = 0
        while not self.stopped.is_set():
            user = self.users[i % len(self.users)] if i % 10 else f"console-test-new-user-{i}"
            status, _ = self.server.request("GET", f"/api/recommend/{user}?n=5", headers=key)
            if status != 200:
                self.errors.append(f"GET /api/recommend/{user} answered {status}")
            if i % 5 == 0:
                feedback = [{"FeedbackType": "click", "UserId": self.users[i % len(self.users)],
                             "ItemId": self.items[i % len(self.items)],
                             "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
                status, body = self.server.request("POST", "/api/feedback", feedback, headers=key)
                if status != 200:
                    self.errors.append(f"POST /api/feedback answered {status}: {body}")
            if i % 7 == 0:
                self.server.request("GET", "/api/recommend/x?n=0", headers=key)  # a 400
            self.sent += 1
            i += 1
            self.stopped.wait(0.1)

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=20)
        check(not self.errors, "background traffic failed: " + "; ".join(self.errors[:5]))
        check(self.sent > 0, "no background traffic was sent")


# ------------------------------------------------------------------------------------------------
# The browser.

def start_browser(lang=None):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    if lang:
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Screenshots of exactly 1280x800 CSS pixels, whatever the headless window's decorations.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


def severe_entries(driver, allowed=()):
    """SEVERE browser log entries since the last call, minus those matching an `allowed` regex."""
    found = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        if any(re.search(a, entry["message"]) for a in allowed):
            continue
        found.append(entry["message"])
    return found


def check_log(driver, where, allowed=()):
    bad = severe_entries(driver, allowed)
    check(not bad, f"{where}: browser console errors:\n  " + "\n  ".join(bad))


def wait(driver, cond, what, timeout=20):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: cond(d))
    except TimeoutException:
        main = driver.find_elements(By.ID, "main")
        text = main[0].text[:2000] if main else driver.page_source[:2000]
        raise Failure(f"timed out waiting for {what}; the page shows:\n{text}") from None


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait_page(driver, page):
    wait(driver, lambda d: css(d, f'#main[data-page="{page}"][data-state="ready"]'),
         f"the {page} page to load")
    errors = [e.text for e in css(driver, "#main .error-text") if e.is_displayed()]
    check(not errors, f"the {page} page shows errors: {errors}")


def go(driver, base, page, query=""):
    driver.get(f"{base}/console#/{page}{query}")
    wait_page(driver, page)


def shot(driver, artifacts, name, shots):
    driver.execute_script("window.scrollTo(0, 0)")
    path = os.path.join(artifacts, f"{name}.png")
    driver.save_screenshot(path)
    shots[name] = path


def confirm(driver, answer=True):
    """Answers the open confirmation dialog."""
    wait(driver, lambda d: d.find_element(By.ID, "confirm-dialog").get_attribute("open") is not None,
         "the confirmation dialog")
    driver.find_element(By.ID, "confirm-ok" if answer else "confirm-cancel").click()
    wait(driver, lambda d: d.find_element(By.ID, "confirm-dialog").get_attribute("open") is None,
         "the confirmation dialog to close")


def flash_ok(driver, what):
    wait(driver, lambda d: d.find_element(By.ID, "flash").is_displayed(), f"the result of {what}")
    box = driver.find_element(By.ID, "flash")
    check(box.get_attribute("data-kind") == "ok", f"{what} failed: {box.text}")
    return box


# ------------------------------------------------------------------------------------------------
# The checks.

def login(driver, server):
    driver.get(server.base + "/console")
    wait(driver, lambda d: css(d, "#login-form"), "the login form")
    check(not css(driver, "#nav a"), "the navigation shows before login")
    check_log(driver, "the login page")
    driver.find_element(By.ID, "login-token").send_keys("not-the-token")
    driver.find_element(By.ID, "login-submit").click()
    wait(driver, lambda d: d.find_element(By.ID, "login-error").is_displayed(), "the login error")
    error = driver.find_element(By.ID, "login-error").text
    check("401" in error, f"a wrong token shows {error!r}, expected the server's 401 error")
    # The only console error allowed: the browser's note of the login call's 401.
    check_log(driver, "a wrong login", allowed=[r"/console/login .*401"])
    driver.find_element(By.ID, "login-token").clear()
    driver.find_element(By.ID, "login-token").send_keys(TOKEN)
    driver.find_element(By.ID, "login-submit").click()
    wait_page(driver, "overview")
    check(not css(driver, "#login-form"), "the login form is still shown after login")
    check(driver.find_element(By.ID, "logout").is_displayed(), "no log-out button after login")
    # The cookie is named reco_console_<port>: browsers share cookies among a host's ports.
    cookies = [c for c in driver.get_cookies() if c["name"].startswith("reco_console")]
    check(len(cookies) == 1, f"session cookies after login: {driver.get_cookies()}")
    check(cookies[0].get("httpOnly"), "the session cookie is not HttpOnly")
    check(cookies[0].get("sameSite") == "Strict", "the session cookie is not SameSite=Strict")
    check(not driver.execute_script("return document.cookie"), "the page's script can read the cookie")
    check_log(driver, "after login")
    return cookies[0]


def csrf_checks(server, cookie):
    """The session cookie reads; it acts only with the session's CSRF token and never for a page
    of another origin."""
    with_cookie = {"Cookie": f"{cookie['name']}={cookie['value']}"}
    status, _ = server.request("GET", "/api/v1/models", headers=with_cookie)
    check(status == 200, f"GET /api/v1/models with the session cookie answered {status}")
    before = server.request("GET", "/health")[1]["primary"]["run_id"]
    attempts = [
        ("no CSRF token", with_cookie),
        ("a wrong CSRF token", {**with_cookie, "X-CSRF-Token": "not-the-csrf-token"}),
        ("no session", {}),
        ("another origin", {**with_cookie, "Origin": "http://attacker.example"}),
    ]
    for what, headers in attempts:
        for path in ("/api/v1/models/rollback", "/api/v1/jobs/cache_cleanup/run"):
            status, body = server.request("POST", path, {}, headers=headers)
            check(status in (401, 403), f"POST {path} with {what} answered {status}: {body}")
    check(server.request("GET", "/health")[1]["primary"]["run_id"] == before,
          "a refused POST changed /health")


def page_content(driver, page):
    """Each page's own data is on screen (beyond 'ready' with no error)."""
    if page == "overview":
        wait(driver, lambda d: len(css(d, "[data-chart] svg")) == 6, "the overview's six charts")
        check(css(driver, "#health-panel [data-status]"), "no health status on the overview")
        check(css(driver, '#serving-panel tr[data-variant="primary"]'), "no primary on the overview")
        # The history (interval 1 s) has points by now: at least one chart draws a line.
        wait(driver, lambda d: css(d, "[data-chart] svg path.series, [data-chart] svg circle.dot"),
             "a line in the overview's charts (metrics history)", timeout=15)
    elif page == "data":
        counts = {e.get_attribute("data-count"): e.text for e in css(driver, "#data-counts [data-count]")}
        check(set(counts) == {"users", "items", "feedback"}, f"data counts: {counts}")
        check(len(css(driver, "#recent-feedback tbody tr")) > 0, "no recent feedback on the data page")
    elif page == "preview":
        check(css(driver, "#preview-form"), "no preview form")
    elif page == "models":
        rows = css(driver, "#model-versions tbody tr")
        check(len(rows) >= 2, f"{len(rows)} registry versions on the models page, expected 2")
    elif page == "jobs":
        jobs = [r.get_attribute("data-job") for r in css(driver, "#job-schedule tbody tr")]
        check("cache_cleanup" in jobs, f"jobs on the jobs page: {jobs}")
        check(css(driver, "#pipeline-runs details[data-run-id]"), "no pipeline run on the jobs page")
    elif page == "evaluation":
        check(css(driver, "#evaluation-summary dl"), "no evaluation summary")
        check(css(driver, "#evaluation-reconciliations button[data-date]"), "no reconciliation file")


def every_page(driver, server, artifacts, shots, lang):
    driver.get(server.base + "/console#/overview")
    wait_page(driver, "overview")
    Select(driver.find_element(By.ID, "lang-select")).select_by_value(lang)
    wait_page(driver, "overview")
    for page in PAGES:
        go(driver, server.base, page)
        label = driver.find_element(By.CSS_SELECTOR, '#nav a[data-nav="overview"]').text
        check(label == OVERVIEW_LABEL[lang], f"{lang}: the navigation says {label!r}")
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, "html lang")
        page_content(driver, page)
        shot(driver, artifacts, f"{page}-{lang}", shots)
        check_log(driver, f"the {page} page ({lang})")
    # The choice outlives a reload.
    driver.refresh()
    wait_page(driver, "evaluation")
    check(Select(driver.find_element(By.ID, "lang-select")).first_selected_option.get_attribute("value") == lang,
          f"the language {lang} was not remembered across a reload")


def lookups_and_preview(driver, server, artifacts, shots):
    go(driver, server.base, "data")
    first = css(driver, "#recent-feedback tbody tr")[0].find_elements(By.TAG_NAME, "td")
    user, item = first[1].text, first[2].text
    check(user and item, f"recent feedback row without ids: {user!r} {item!r}")
    driver.find_element(By.ID, "lookup-user-input").send_keys(user)
    driver.find_element(By.ID, "lookup-user-button").click()
    wait(driver, lambda d: css(d, f'#lookup-user-result [data-user-id="{user}"]'), f"user {user}")
    driver.find_element(By.ID, "lookup-item-input").send_keys(item)
    driver.find_element(By.ID, "lookup-item-button").click()
    wait(driver, lambda d: css(d, f'#lookup-item-result [data-item-id="{item}"]'), f"item {item}")
    check(not css(driver, "#main .error-text"), "a lookup shows an error")
    shot(driver, artifacts, "data-lookup-en", shots)
    check_log(driver, "the data lookups")

    # A user picked from the page's list of recent users.
    go(driver, server.base, "preview")
    wait(driver, lambda d: css(d, "#preview-recent-users button[data-pick-user]"), "users to pick")
    button = css(driver, "#preview-recent-users button[data-pick-user]")[0]
    user = button.get_attribute("data-pick-user")
    button.click()
    wait(driver, lambda d: css(d, f'#preview-result[data-user-id="{user}"] #preview-items tbody tr'),
         f"the preview of {user}")
    check(f"user={user}" in driver.current_url, f"the preview's URL {driver.current_url} names no user")
    rows = css(driver, "#preview-items tbody tr")
    check(len(rows) > 0, "the preview shows no items")
    sources = [r.get_attribute("data-source") for r in rows]
    check(all(s in SOURCES for s in sources), f"preview sources {sources}, expected of {SOURCES}")
    check(all(r.find_elements(By.CSS_SELECTOR, "td .badge") for r in rows), "a preview row without its source")
    shot(driver, artifacts, "preview-en", shots)
    check_log(driver, "the preview")


def trigger_job(driver, server, artifacts, shots):
    go(driver, server.base, "jobs")
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="run-job"][data-job="cache_cleanup"]').click()
    confirm(driver)
    box = flash_ok(driver, "the cache_cleanup trigger")
    run_id = box.get_attribute("data-run-id")
    check(run_id and run_id.isdigit(), f"the trigger's result names no run: {box.text!r}")
    wait(driver, lambda d: css(d, f'#job-runs tr[data-run-id="{run_id}"][data-job="cache_cleanup"]'),
         f"job run {run_id} on the jobs page")
    # The page keeps refreshing while the run is queued or running: it shows the end too.
    wait(driver, lambda d: css(d, f'#job-runs tr[data-run-id="{run_id}"][data-status="succeeded"]'),
         f"job run {run_id} to succeed on the jobs page", timeout=30)
    status, run = server.request("GET", f"/api/v1/jobs/runs/{run_id}", headers={"X-API-Key": TOKEN})
    check(status == 200 and run["job"] == "cache_cleanup", f"GET /api/v1/jobs/runs/{run_id}: {status} {run}")
    driver.find_element(By.CSS_SELECTOR, "#pipeline-runs button[data-log]").click()
    wait(driver, lambda d: css(d, "#task-log"), "a pipeline task's log")
    check(driver.find_element(By.ID, "task-log").text.strip(), "the task log is empty")
    shot(driver, artifacts, "jobs-en", shots)
    check_log(driver, "the job trigger")


def rollback(driver, server, artifacts, shots):
    status, registry = server.request("GET", "/api/v1/models", headers={"X-API-Key": TOKEN})
    check(status == 200, f"GET /api/v1/models answered {status}")
    by_alias = {a: v["run_id"] for v in registry["versions"] for a in v["aliases"]}
    check({"production", "previous"} <= set(by_alias), f"registry aliases {by_alias}")
    status, health = server.request("GET", "/health")
    check(health["primary"]["run_id"] == by_alias["production"], f"/health before: {health['primary']}")

    go(driver, server.base, "models")
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="rollback"]').click()
    confirm(driver, answer=False)
    check(server.request("GET", "/health")[1]["primary"]["run_id"] == by_alias["production"],
          "a cancelled rollback changed /health")
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="rollback"]').click()
    confirm(driver)
    flash_ok(driver, "the rollback")
    status, health = server.request("GET", "/health")
    check(health["primary"]["run_id"] == by_alias["previous"],
          f"after the rollback /health serves {health['primary']}, expected {by_alias['previous']}")
    wait_page(driver, "models")
    wait(driver, lambda d: css(d, f'#model-versions tr[data-run-id="{by_alias["previous"]}"][data-aliases~="production"]'),
         "the rolled-back version shown as production")
    shot(driver, artifacts, "models-en", shots)
    check_log(driver, "the rollback")


def canary_and_withdraw(driver, server):
    """A canary started from the models page (share asked in the dialog) serves per /health; the
    withdraw button ends it."""
    go(driver, server.base, "models")
    row = css(driver, '#model-versions tbody tr:not([data-aliases~="production"])')
    check(row, "no version besides production on the models page")
    run_id = row[0].get_attribute("data-run-id")
    row[0].find_element(By.CSS_SELECTOR, 'button[data-action="canary"]').click()
    share = wait(driver, lambda d: css(d, "#confirm-field-rollout"), "the canary share field")[0]
    share.clear()
    share.send_keys("0.25")
    confirm(driver)
    flash_ok(driver, "the canary")
    canary = server.request("GET", "/health")[1]["canary"]
    check(canary and canary["run_id"] == run_id and abs(canary["rollout"] - 0.25) < 1e-9,
          f"after the canary /health says {canary}, expected {run_id} at 0.25")
    wait_page(driver, "models")
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="withdraw-canary"]').click()
    confirm(driver)
    flash_ok(driver, "the canary's withdrawal")
    canary = server.request("GET", "/health")[1]["canary"]
    check(canary is None, f"after the withdrawal /health still has a canary: {canary}")
    check_log(driver, "the canary and its withdrawal")


def pipeline_run(driver, server):
    """A pipeline run started from the jobs page shows up there with its tasks."""
    go(driver, server.base, "jobs")
    before = {e.get_attribute("data-run-id") for e in css(driver, "#pipeline-runs details[data-run-id]")}
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="start-pipeline"]').click()
    confirm(driver)
    box = flash_ok(driver, "the pipeline run")
    run_id = box.get_attribute("data-run-id")
    check(run_id and run_id not in before, f"the pipeline run's result names no new run: {box.text!r}")
    wait(driver, lambda d: css(d, f'#pipeline-runs details[data-run-id="{run_id}"][data-status="succeeded"]'),
         f"pipeline run {run_id} to succeed on the jobs page", timeout=60)
    tasks = css(driver, f'#pipeline-runs details[data-run-id="{run_id}"] tr[data-task]')
    check(len(tasks) >= 7, f"pipeline run {run_id} shows {len(tasks)} tasks")
    check_log(driver, "the pipeline run")


def logout(driver):
    driver.find_element(By.ID, "logout").click()
    wait(driver, lambda d: css(d, "#login-form"), "the login form after logging out")
    check_log(driver, "logging out")


def read_only(binary, root, artifacts, shots):
    data = prepare_data(binary, root, "readonly")
    server = Server(binary, data, os.path.join(artifacts, "serve-readonly.log"),
                    args=["--console-history-interval", "1"])
    driver = None
    try:
        driver = start_browser(lang="zh-CN")
        go(driver, server.base, "models")
        label = driver.find_element(By.CSS_SELECTOR, '#nav a[data-nav="overview"]').text
        check(label == OVERVIEW_LABEL["zh-CN"], f"a zh-CN browser opens the console in {label!r}")
        check(not css(driver, "#login-form"), "a server without a token asks for a login")
        banner = driver.find_element(By.ID, "banner")
        check(banner.is_displayed() and banner.text.strip(), "no read-only banner")
        check(not css(driver, "[data-action]"), "action buttons on the read-only models page")
        shot(driver, artifacts, "models-readonly-zh-CN", shots)
        go(driver, server.base, "jobs")
        check(css(driver, "#job-schedule tbody tr"), "no jobs on the read-only jobs page")
        check(not css(driver, "[data-action]"), "action buttons on the read-only jobs page")
        shot(driver, artifacts, "jobs-readonly-zh-CN", shots)
        check_log(driver, "the read-only console")
        status, session = server.request("GET", "/console/api/session")
        check(status == 200 and not session["can_act"] and not session["csrf_token"]
              and session["read_only_reason"], f"read-only session: {status} {session}")
        check(not [c for c in driver.get_cookies() if c["name"].startswith("reco_console")],
              "a read-only console handed out a session cookie")
        before = server.request("GET", "/health")[1]["primary"]["run_id"]
        # No console session can act here: a made-up session cookie, with or without a CSRF
        # token, a page of another site and the console's own page are refused.
        port = server.base.rsplit(":", 1)[1]
        forged = {"Cookie": f"reco_console_{port}=made-up-session"}
        for what, headers in (("a made-up session cookie", forged),
                              ("a made-up session and CSRF token", {**forged, "X-CSRF-Token": "x"}),
                              ("another origin", {"Origin": "http://attacker.example"}),
                              ("the console's own origin", {"Origin": server.base})):
            for path in ("/api/v1/models/rollback", "/api/v1/jobs/cache_cleanup/run"):
                status, answer = server.request("POST", path, {}, headers=headers)
                check(status in (401, 403), f"read-only: POST {path} with {what} answered {status}: {answer}")
        check(server.request("GET", "/health")[1]["primary"]["run_id"] == before, "read-only: /health changed")
    finally:
        if driver:
            driver.quit()
        server.stop()


def main():
    args = sys.argv[1:]
    docs = None
    if "--docs-images" in args:
        i = args.index("--docs-images")
        docs = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    binary, artifacts = args
    os.makedirs(artifacts, exist_ok=True)
    for old in os.listdir(artifacts):
        if old.endswith(".png"):
            os.remove(os.path.join(artifacts, old))
    root = tempfile.mkdtemp(prefix="reco_console_")
    shots = {}
    server = driver = traffic = None
    try:
        data = prepare_data(binary, root, "data")
        server = Server(binary, data, os.path.join(artifacts, "serve.log"),
                        args=["--console-history-interval", "1"], env={"RECO_SERVER_API_KEY": TOKEN})
        status, session = server.request("GET", "/console/api/session")
        check(status == 200 and session.get("auth_required") is True, f"session: {status} {session}")
        status, users = server.request("GET", "/api/users?n=20", headers={"X-API-Key": TOKEN})
        status2, items = server.request("GET", "/api/items?n=20", headers={"X-API-Key": TOKEN})
        check(status == 200 and status2 == 200, f"GET /api/users {status}, /api/items {status2}")
        traffic = Traffic(server, [u["UserId"] for u in users["Users"]], [i["ItemId"] for i in items["Items"]])

        driver = start_browser(lang="en-US")
        csrf_checks(server, login(driver, server))
        every_page(driver, server, artifacts, shots, "zh-CN")
        every_page(driver, server, artifacts, shots, "en")
        lookups_and_preview(driver, server, artifacts, shots)
        trigger_job(driver, server, artifacts, shots)
        rollback(driver, server, artifacts, shots)
        canary_and_withdraw(driver, server)
        pipeline_run(driver, server)
        # The overview again, with the rollback and the traffic in its history.
        go(driver, server.base, "overview")
        page_content(driver, "overview")
        shot(driver, artifacts, "overview-en", shots)
        traffic.stop()
        logout(driver)
        driver.quit()
        driver = None
        server.stop()
        server = None
        read_only(binary, root, artifacts, shots)
    except Failure as e:
        if driver:
            shot(driver, artifacts, "failure", shots)
        print(f"FAIL: {e}")
        return 1
    finally:
        if traffic:
            traffic.stopped.set()
        if driver:
            driver.quit()
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    if docs:
        os.makedirs(docs, exist_ok=True)
        for name, target in DOC_IMAGES.items():
            shutil.copyfile(shots[name], os.path.join(docs, target))
    print(f"{len(shots)} screenshots in {artifacts}: {', '.join(sorted(shots))}")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
