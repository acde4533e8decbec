#!/usr/bin/env python3
"""Mail delivery latency (make bench): how long from a "forgot password"
request until the reset mail reaches a real SMTP server (MailDev), with the
release server on free loopback ports and a throwaway database.

Usage: APP_BIN=... APP_SITE_ROOT=... python3 bench/mail.py [requests]
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "violet kettle marching north"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"mail bench: {what} did not happen within {timeout} s")
        time.sleep(0.05)


def post(origin, path, body):
    request = urllib.request.Request(
        origin + path,
        data=body.encode(),
        headers={
            "origin": origin,
            "accept": "application/json",
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request) as response:
        return response.status


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    binary = os.environ["APP_BIN"]
    site_root = os.environ.get("APP_SITE_ROOT", os.path.join(ROOT, "target", "site"))
    smtp_port, web_port, app_port = free_port(), free_port(), free_port()
    maildev_api = f"http://127.0.0.1:{web_port}"
    origin = f"http://127.0.0.1:{app_port}"
    with tempfile.TemporaryDirectory() as data:
        maildev = subprocess.Popen(
            [os.path.join(ROOT, "end2end", "node_modules", ".bin", "maildev"),
             "--smtp", str(smtp_port), "--web", str(web_port),
             "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ,
                   LEPTOS_SITE_ADDR=f"127.0.0.1:{app_port}", LEPTOS_SITE_ROOT=site_root,
                   DATABASE_URL=f"sqlite://{data}/bench.db", RUST_LOG="warn",
                   SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                   AUTH_RATE_BURST="100000", AUTH_RATE_PER_MINUTE="100000",
                   MAIL_PER_NETWORK_PER_HOUR="100000", MAIL_PER_HOUR="100000")
        server = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
        try:
            wait_until(lambda: urllib.request.urlopen(maildev_api + "/email").status == 200, "MailDev start")
            wait_until(lambda: urllib.request.urlopen(origin + "/healthz").status == 200, "server start")
            # One account per request: each address gets at most 3 links an hour.
            for n in range(count):
                post(origin, "/api/auth/signup",
                     f"email=bench{n}%40example.com&password={PASSWORD.replace(' ', '+')}")

            def mails():
                with urllib.request.urlopen(maildev_api + "/email") as response:
                    return json.load(response)

            wait_until(lambda: len(mails()) >= count, "sign-up mail delivery")
            latencies = []
            for n in range(count):
                before = len(mails())
                answer = {}

                def ask(n=n):
                    post(origin, "/api/auth/password-reset/request", f"email=bench{n}%40example.com")
                    answer["at"] = time.monotonic()

                # The answer is held to 300 ms whatever happens; the mail is
                # sent meanwhile, so watch MailDev while the request runs.
                asker = threading.Thread(target=ask)
                started = time.monotonic()
                asker.start()
                deadline = started + 30
                while len(mails()) <= before:
                    if time.monotonic() > deadline:
                        sys.exit("mail bench: the reset mail did not arrive within 30 s")
                    time.sleep(0.002)
                arrived = time.monotonic() - started
                asker.join()
                latencies.append((arrived, answer["at"] - started))
            delivered = sorted(latency for latency, _ in latencies)
            # MailDev's list is polled every 2 ms or so: that is the resolution.
            answers = sorted(answered for _, answered in latencies)
            p95 = delivered[max(0, int(len(delivered) * 0.95) - 1)]
            print(f"reset mail, request to SMTP server ({count} requests): "
                  f"median {statistics.median(delivered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
                  f"(the answer itself: median {statistics.median(answers) * 1000:.0f} ms, "
                  f"held to at least 300 ms)")
        finally:
            server.terminate()
            maildev.terminate()
            server.wait()
            maildev.wait()


if __name__ == "__main__":
    main()
