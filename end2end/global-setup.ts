import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

// Starts the release build of the server for the whole test run (and a
// second one with SIGNUP_MODE=verify-first, APP_VERIFY_FIRST_URL):
// - deployed as the README says: the one binary, copied alone into an
//   empty directory and started there, with no site folder and no
//   LEPTOS_SITE_ROOT, so every page and asset comes from the binary;
// - on port 0, so the operating system picks a free port; the server logs
//   "listening on http://ADDR", which we read back;
// - with a fresh SQLite file in a temporary directory;
// - sending mail over SMTP to MailDev on free ports, whose HTTP API the
//   tests read (MAILDEV_URL).
// Returns the teardown, which stops the server and removes the database.
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = path.resolve(__dirname, "..");
  const binary =
    process.env.APP_BIN ?? path.join(root, "target", "release", "leptos_accounts");
  if (!existsSync(binary)) {
    throw new Error(`server binary not found at ${binary}: run \`make test\` (it builds it first)`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "leptos-accounts-e2e-"));
  const deployDir = path.join(dataDir, "deploy");
  mkdirSync(deployDir);
  const deployed = path.join(deployDir, "leptos_accounts");
  copyFileSync(binary, deployed);
  process.env.APP_DEPLOY_DIR = deployDir;

  // A real SMTP server that keeps what it receives and lists it over HTTP.
  const smtpPort = await freePort();
  const mailWebPort = await freePort();
  const maildev = spawn(
    path.join(__dirname, "node_modules", ".bin", "maildev"),
    ["--smtp", `${smtpPort}`, "--web", `${mailWebPort}`, "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  maildev.stderr?.on("data", (chunk) => process.stderr.write(chunk));
  process.env.MAILDEV_URL = `http://127.0.0.1:${mailWebPort}`;
  await waitForHealth(process.env.MAILDEV_URL, "/email");

  const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
  const start = (name: string, settings: Record<string, string>) =>
    startServer(deployed, deployDir, `${dataDir}/${name}.db`, { SMTP_URL: smtpUrl, ...settings });
  // Sudo mode lasts no time here, so every settings action shows the
  // password prompt a user meets once it has lapsed.
  const main = await start("e2e", { SUDO_MINUTES: "0" });
  process.env.APP_BASE_URL = main.baseUrl;
  // The same product with SIGNUP_MODE=verify-first, for its sign-up tests.
  const verifyFirst = await start("verify-first", { SIGNUP_MODE: "verify-first" });
  process.env.APP_VERIFY_FIRST_URL = verifyFirst.baseUrl;

  return async () => {
    await stop(main.server);
    await stop(verifyFirst.server);
    await stop(maildev);
    rmSync(dataDir, { recursive: true, force: true });
  };
}

/** Starts the server binary on a free port with database file `database`. */
async function startServer(
  binary: string,
  workingDir: string,
  database: string,
  settings: Record<string, string>,
): Promise<{ server: ChildProcess; baseUrl: string }> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.LEPTOS_SITE_ROOT;
  const server = spawn(binary, [], {
    cwd: workingDir,
    env: {
      ...env,
      LEPTOS_SITE_ADDR: "127.0.0.1:0",
      LEPTOS_ENV: "PROD",
      DATABASE_URL: `sqlite://${database}`,
      // Every test signs up and logs in from 127.0.0.1; the per-IP limit is
      // tested over HTTP, the per-account back-off in the browser.
      AUTH_RATE_BURST: "10000",
      AUTH_RATE_PER_MINUTE: "10000",
      // A long first back-off keeps the "paused" test independent of speed.
      LOGIN_BACKOFF_BASE_SECONDS: "30",
      RUST_LOG: process.env.RUST_LOG ?? "warn,leptos_accounts=info",
      NO_COLOR: "1",
      ...settings,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stderr?.on("data", (chunk) => process.stderr.write(chunk));
  const baseUrl = await listeningAddress(server);
  await waitForHealth(baseUrl);
  return { server, baseUrl };
}

function listeningAddress(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`server did not start within 30 s; output:\n${seen}`)),
      30_000,
    );
    server.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (process.env.E2E_SERVER_LOG) process.stdout.write(text);
      seen += text;
      const match = seen.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening; output:\n${seen}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitForHealth(baseUrl: string, path = "/healthz"): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(`${baseUrl}${path}`);
      if (response.ok) return;
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline) throw new Error(`${baseUrl}${path} never answered 200`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(server: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (server.exitCode !== null) return resolve();
    const killer = setTimeout(() => server.kill("SIGKILL"), 10_000);
    server.on("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    server.kill("SIGTERM");
  });
}
