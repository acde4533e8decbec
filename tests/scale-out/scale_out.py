#!/usr/bin/env python3
"""Two instances of the release server on one PostgreSQL, behind nginx.

Everything here is real and started on free loopback ports, then stopped:
a throwaway PostgreSQL cluster (scripts/postgres.sh), MailDev as the SMTP
server, two instances started from deploy/leptos-accounts@.service (its
Environment= lines and an EnvironmentFile written here), and nginx running
deploy/nginx.conf with only its marked lines (name, certificate, instances)
and its ports filled in. Requests go to nginx over https with a cookie jar,
as a browser's would. The test shows:

1. a session made through one instance works on the other, and logging out
   through one ends it on both;
2. the per-account back-off and the per-IP bucket are shared and exact under
   parallel requests spread over both instances;
3. every mail is delivered exactly once while both instances send mail;
4. stopping one instance (SIGTERM) loses no request: nginx retries the
   requests it could not deliver, and requests in flight finish.

Run by `make test` (scale-out target): APP_BIN is the release binary.
"""

import concurrent.futures
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PASSWORD = "violet kettle marching north"
# Per-IP bucket for sign-ups and log-ins: large enough for the set-up,
# exact for the flood (1 token a minute comes back, far slower than the run).
AUTH_BURST = 60
FREE_FAILURES = 5
results = []


def log(message):
    print(f"scale-out: {message}", flush=True)


def check(condition, what):
    results.append((bool(condition), what))
    log(("ok   " if condition else "FAIL ") + what)
    if not condition:
        raise SystemExit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=30.0, context=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"scale-out: {url} did not answer within {timeout} s")


# ---- Parts ---------------------------------------------------------------------------------


def ensure_nginx():
    """nginx from Debian's packages, installed without starting its service."""
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else shutil.which("nginx")
    log("installing nginx from Debian")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = False
    if os.geteuid() == 0 and not policy.exists():
        # Keep the package from starting nginx on port 80 as a service.
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        made_policy = True
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
            check=True,
            env=env,
        )
    finally:
        if made_policy:
            policy.unlink()
    return "/usr/sbin/nginx"


def unit_environment(port, env_file):
    """The instance's environment and command, read from the systemd unit."""
    unit = (DEPLOY / "leptos-accounts@.service").read_text()
    env = {}
    command = None
    env_files = []
    for line in unit.splitlines():
        line = line.strip()
        if line.startswith("Environment="):
            key, _, value = line[len("Environment="):].partition("=")
            env[key] = value.replace("%i", str(port))
        elif line.startswith("EnvironmentFile="):
            env_files.append(line[len("EnvironmentFile="):])
        elif line.startswith("ExecStart="):
            command = line[len("ExecStart="):]
    check(command and command.endswith("leptos_accounts"), "the unit starts the server binary")
    check(env_files == ["/etc/leptos-accounts/env"], "the unit reads the site's settings file")
    check(env.get("LEPTOS_SITE_ADDR") == f"127.0.0.1:{port}", "the unit's instance name is its port")
    for line in Path(env_file).read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


class Instance:
    def __init__(self, binary, port, env_file, workdir):
        self.port = port
        env = dict(os.environ)
        env.pop("LEPTOS_SITE_ROOT", None)
        env.update(unit_environment(port, env_file))
        self.log_path = workdir / f"instance-{port}.log"
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary], env=env, cwd=workdir, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        wait_for(f"http://127.0.0.1:{port}/healthz")

    def terminate(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout=30):
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


# ---- A browser-like client -------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A cookie jar talking to nginx over https, sending the Origin header a
    browser sends with a form."""

    def __init__(self, origin, tls):
        self.origin = origin
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=tls),
            NoRedirect,
        )

    def request(self, method, path, fields=None):
        data = urllib.parse.urlencode(fields or {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.origin + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if method == "POST":
            request.add_header("Origin", self.origin)
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(request, timeout=30) as reply:
                return reply.status, reply.read().decode(), dict(reply.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def session_cookie(self):
        return next((c for c in self.jar if c.name.endswith("session")), None)


# ---- The run ---------------------------------------------------------------------------------


def main():
    binary = os.environ.get("APP_BIN") or str(ROOT / "target/release/leptos_accounts")
    work = Path(tempfile.mkdtemp(prefix="leptos-accounts-scale-out-"))
    os.chmod(work, 0o755)
    cleanups = []
    try:
        run(binary, work, cleanups)
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning up
                log(f"cleanup: {error}")
        if os.environ.get("SCALE_OUT_KEEP"):
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    passed = sum(1 for ok, _ in results if ok)
    log(f"{passed} checks passed")


def run(binary, work, cleanups):
    nginx = ensure_nginx()

    # PostgreSQL: a throwaway cluster and one database for both instances.
    started = subprocess.run(
        ["bash", str(ROOT / "scripts/postgres.sh"), "start"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    pg_dir, pg_url = started[0], started[1]
    cleanups.append(lambda: subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "stop", pg_dir]))
    subprocess.run(["psql", pg_url, "-q", "-c", "CREATE DATABASE accounts"], check=True)
    database_url = pg_url.rsplit("/", 1)[0] + "/accounts"

    # MailDev: the SMTP server both instances send to, listed over HTTP.
    smtp_port, mail_web_port = free_port(), free_port()
    maildev = subprocess.Popen(
        [str(ROOT / "end2end/node_modules/.bin/maildev"), "--smtp", str(smtp_port), "--web",
         str(mail_web_port), "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"],
        stdout=subprocess.DEVNULL,
    )
    cleanups.append(lambda: (maildev.kill(), maildev.wait()))
    mail_api = f"http://127.0.0.1:{mail_web_port}"
    wait_for(mail_api + "/email")

    # nginx with deploy/nginx.conf: a certificate made for this run, the
    # instances' ports, and its own listening port filled in.
    https_port, http_port = free_port(), free_port()
    ports = [free_port(), free_port()]
    origin = f"https://127.0.0.1:{https_port}"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")],
        check=True, capture_output=True,
    )
    site = (DEPLOY / "nginx.conf").read_text()
    replacements = [
        (r"server 127\.0\.0\.1:3001 ", f"server 127.0.0.1:{ports[0]} "),
        (r"server 127\.0\.0\.1:3002 ", f"server 127.0.0.1:{ports[1]} "),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen \[::\]:80;\n", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;\n", ""),
        (r"ssl_certificate +\S+; # CERTIFICATE", f"ssl_certificate {work}/cert.pem;"),
        (r"ssl_certificate_key +\S+; +# CERTIFICATE", f"ssl_certificate_key {work}/key.pem;"),
        (r"server_name accounts\.example\.com;", "server_name 127.0.0.1;"),
    ]
    for pattern, value in replacements:
        site, count = re.subn(pattern, value, site)
        check(count >= 1, f"deploy/nginx.conf has the line the test fills in: {pattern}")
    (work / "site.conf").write_text(site)
    (work / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format with_id '$request_id $status "$request"';
    access_log {work}/nginx-access.log with_id;
    client_body_temp_path {work}/client-body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
"""
    )

    # The two instances, as systemd would start them from the unit.
    env_file = work / "env"
    env_file.write_text(
        "\n".join(
            [
                f"DATABASE_URL={database_url}",
                f"APP_ORIGIN={origin}",
                # Both instances seal second-factor secrets with one key.
                f"SEAL_KEY={secrets.token_hex(32)}",
                f"SMTP_URL=smtp://127.0.0.1:{smtp_port}",
                f"AUTH_RATE_BURST={AUTH_BURST}",
                "AUTH_RATE_PER_MINUTE=1",
                # Every test's mail comes from the proxy's network.
                "MAIL_PER_NETWORK_PER_HOUR=100000",
                "MAIL_PER_HOUR=100000",
                f"LOGIN_FREE_FAILURES={FREE_FAILURES}",
                "LOGIN_BACKOFF_BASE_SECONDS=600",
                "RUST_LOG=warn,leptos_accounts=info,http=info",
                "LOG_FORMAT=json",
                "NO_COLOR=1",
            ]
        )
        + "\n"
    )
    instances = [Instance(binary, port, env_file, work) for port in ports]
    for instance in instances:
        cleanups.append(instance.stop)
    check(all(i.process.poll() is None for i in instances), "two instances run on one PostgreSQL database")

    nginx_cmd = [nginx, "-p", str(work), "-c", str(work / "nginx.conf")]
    subprocess.run(nginx_cmd + ["-t", "-q"], check=True)
    subprocess.run(nginx_cmd, check=True)
    cleanups.append(lambda: subprocess.run(nginx_cmd + ["-s", "quit"]))
    tls = ssl.create_default_context(cafile=str(work / "cert.pem"))
    tls.check_hostname = False
    wait_for(origin + "/healthz", context=tls)

    # ---- 1. Sessions are shared --------------------------------------------------------------
    ada = Client(origin, tls)
    status, body, _ = ada.request("POST", "/api/auth/signup", {"email": "ada@example.com", "password": PASSWORD})
    check(status == 200, f"sign-up through nginx: {status} {body[:80]}")
    cookie = ada.session_cookie()
    check(cookie is not None and cookie.name == "__Host-session" and cookie.secure,
          "the session cookie is __Host- and Secure behind the https proxy")
    # Round robin sends these alternately to the two instances.
    for _ in range(4):
        status, body, _ = ada.request("GET", "/profile")
        check(status == 200 and "ada@example.com" in body, "the session works through nginx")
    # nginx's request id is the one the instance logs and the client sees.
    status, _, headers = ada.request("GET", "/login")
    request_id = next((value for name, value in headers.items() if name.lower() == "x-request-id"), "")
    check(status == 200 and re.fullmatch(r"[0-9a-f]{32}", request_id) is not None,
          f"nginx's request id comes back in X-Request-Id: {request_id!r}")
    # nginx writes its access log line after the answer; an instance writes
    # its request lines in batches, within 100 ms.
    def logged_lines():
        return [
            json.loads(line)
            for instance in instances
            for line in instance.log_path.read_text().splitlines()
            if request_id in line
        ]
    deadline = time.monotonic() + 3
    while not logged_lines() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and a second line, were there one, would show by now
    access_log = (work / "nginx-access.log").read_text()
    check(f'{request_id} 200 "GET /login' in access_log, "nginx logs the same request id")
    logged = logged_lines()
    check(len(logged) == 1 and logged[0].get("route") == "/login" and logged[0].get("request_id") == request_id,
          f"one instance logs the request, as JSON, under nginx's id: {logged}")

    # And each instance, asked directly, accepts the cookie.
    seen = set()
    for instance in instances:
        direct = urllib.request.Request(
            f"http://127.0.0.1:{instance.port}/profile",
            headers={"Cookie": f"{cookie.name}={cookie.value}", "X-Forwarded-For": "127.0.0.1"},
        )
        try:
            with urllib.request.build_opener(NoRedirect).open(direct, timeout=10) as reply:
                served = reply.status
        except urllib.error.HTTPError as error:
            served = error.code
        seen.add((instance.port, served))
    check(seen == {(ports[0], 200), (ports[1], 200)},
          f"a session made through one instance works on both: {sorted(seen)}")

    status, _, _ = ada.request("POST", "/api/auth/logout")
    check(status == 200, "log-out through nginx")
    for instance in instances:
        direct = urllib.request.Request(
            f"http://127.0.0.1:{instance.port}/profile",
            headers={"Cookie": f"{cookie.name}={cookie.value}"},
        )
        try:
            with urllib.request.build_opener(NoRedirect).open(direct, timeout=10) as reply:
                served = reply.status
        except urllib.error.HTTPError as error:
            served = error.code
        check(served == 303, f"after log-out, instance {instance.port} no longer accepts the session ({served})")

    # ---- 2. Limits are shared and exact ------------------------------------------------------
    # Twenty wrong passwords at once, spread over both instances: exactly the
    # free failures are checked, every other one waits.
    def wrong_login(_):
        client = Client(origin, tls)
        return client.request("POST", "/api/auth/login", {"email": "ada@example.com", "password": "not the password"})

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(wrong_login, range(20)))
    checked = sum(1 for status, body, _ in answers if status == 401)
    locked = sum(1 for status, body, _ in answers if status == 429 and "LogInLocked" in body)
    check(checked == FREE_FAILURES and locked == 20 - FREE_FAILURES,
          f"per-account back-off across instances: {checked} checked, {locked} told to wait "
          f"(expected {FREE_FAILURES} and {20 - FREE_FAILURES})")

    # The network's bucket: read what is left, then spend more than that at once.
    tokens = float(subprocess.run(
        ["psql", database_url, "-Atc", "SELECT tokens FROM rate_buckets WHERE key LIKE 'ip:%'"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    left = int(tokens)
    flood = left + 20

    def stranger_login(n):
        client = Client(origin, tls)
        return client.request("POST", "/api/auth/login",
                              {"email": f"stranger{n}@example.com", "password": "not the password"})

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(stranger_login, range(flood)))
    # A token comes back each minute: at most that many more may pass.
    most = int(tokens + (time.monotonic() - began) / 60 + 1e-9)
    admitted = sum(1 for status, _, _ in answers if status == 401)
    limited = sum(1 for status, body, _ in answers if status == 429 and "TooManyAttempts" in body)
    other = [status for status, _, _ in answers if status not in (401, 429)]
    check(not other, f"no other answers in the flood: {other[:5]}")
    check(left <= admitted <= most and limited == flood - admitted,
          f"per-IP bucket across instances: {admitted} of {flood} admitted with {tokens:.2f} tokens left, "
          f"{limited} refused")

    # ---- 3. Each mail exactly once -----------------------------------------------------------
    # The instances' limits are spent for this network; later requests come
    # from other client addresses (X-Forwarded-For through the trusted proxy
    # is appended to, so use the instances' own direct addresses instead).
    subprocess.run(["psql", database_url, "-qc", "DELETE FROM rate_buckets"], check=True)
    mails = 24

    def sign_up(n):
        client = Client(origin, tls)
        return client.request("POST", "/api/auth/signup",
                              {"email": f"reader{n}@example.com", "password": PASSWORD})

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for status, _, _ in pool.map(sign_up, range(mails))]
    check(statuses.count(200) == mails, f"{mails} sign-ups through nginx: {statuses}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        unsent = int(subprocess.run(
            ["psql", database_url, "-Atc", "SELECT count(*) FROM outbox WHERE sent_at IS NULL"],
            check=True, capture_output=True, text=True,
        ).stdout)
        if unsent == 0:
            break
        time.sleep(0.2)
    time.sleep(1)  # a duplicate, if any, would arrive now
    expected = int(subprocess.run(
        ["psql", database_url, "-Atc", "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"],
        check=True, capture_output=True, text=True,
    ).stdout)
    check(expected >= mails + 1, f"the outbox holds the sign-ups' mail: {expected} sent")
    with urllib.request.urlopen(mail_api + "/email", timeout=10) as reply:
        received = json.load(reply)
    recipients = sorted(to["address"] for mail in received for to in mail["to"])
    duplicates = sorted({r for r in recipients if recipients.count(r) > 1})
    check(len(received) == expected and not duplicates,
          f"every mail delivered exactly once by two senders: {len(received)} received, "
          f"{expected} written, duplicates {duplicates}")

    # ---- 4. Stopping an instance loses nothing -----------------------------------------------
    stop = threading.Event()
    outcomes = []
    lock = threading.Lock()

    def browse():
        client = Client(origin, tls)
        while not stop.is_set():
            status, _, _ = client.request("GET", "/")
            with lock:
                outcomes.append(("GET /", status))

    def log_in_again(n):
        client = Client(origin, tls)
        status, _, _ = client.request("POST", "/api/auth/login",
                                      {"email": f"reader{n}@example.com", "password": PASSWORD})
        with lock:
            outcomes.append(("POST /api/auth/login", status))

    browsers = [threading.Thread(target=browse) for _ in range(4)]
    for thread in browsers:
        thread.start()
    time.sleep(1.0)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        logins = [pool.submit(log_in_again, n) for n in range(16)]
        time.sleep(0.05)  # log-ins are being hashed on both instances now
        instances[0].terminate()
        code = instances[0].wait()
        for future in logins:
            future.result()
    time.sleep(1.0)
    stop.set()
    for thread in browsers:
        thread.join()
    failed = [outcome for outcome in outcomes if outcome[1] != 200]
    gets = sum(1 for what, _ in outcomes if what == "GET /")
    posts = sum(1 for what, _ in outcomes if what != "GET /")
    check(code == 0, f"the stopped instance exits cleanly after SIGTERM (code {code})")
    check(not failed and posts == 16,
          f"no request lost while an instance stopped: {gets} page loads and {posts} log-ins, "
          f"failed {failed[:5]}")
    status, _, _ = Client(origin, tls).request("GET", "/healthz")
    check(status == 200, "the remaining instance serves alone")


if __name__ == "__main__":
    sys.exit(main())
