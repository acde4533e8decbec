import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

// Starts the release build of the server for the whole test run (and a
// second one with SIGNUP_MODE=verify-first, APP_VERIFY_FIRST_URL, and a
// third as `make run` starts it, without SMTP_URL, APP_LOCAL_URL, whose
// local mailbox address from its start-up output is APP_MAILBOX_URL):
// - deployed as the README says: the one binary, copied alone into an
//   empty directory and started there, with no site folder and no
//   LEPTOS_SITE_ROOT, so every page and asset comes from the binary;
// - on port 0, so the operating system picks a free port; the server logs
//   "the site is at http://localhost:PORT" (a name, which passkeys need),
//   which we read back;
// - with a fresh SQLite file in a temporary directory;
// - sending mail over SMTP to MailDev on free ports, whose HTTP API the
//   tests read (MAILDEV_URL);
// - the first one with a "Continue with Acme ID" OpenID Connect sign-in
//   (OIDC_PROVIDERS=acme) against a real OpenID provider, oidc-provider
//   with its development login and consent pages (oidc/provider.mjs), on a
//   free port, with a client and secret made up for the run; its issuer is
//   OIDC_ISSUER_URL;
// - logging everything (RUST_LOG=debug; JSON for the first, plain text for
//   the second) to files in the temporary directory.
// Returns the teardown, which stops the servers, MailDev and the OpenID
// provider, checks that the servers' logs hold none of the secrets the
// tests noted (E2E_SECRETS_FILE: passwords, tokens, cookies), and removes
// the temporary directory.
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
  const secretsFile = path.join(dataDir, "secrets.jsonl");
  writeFileSync(secretsFile, "");
  process.env.E2E_SECRETS_FILE = secretsFile;

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

  // A real OpenID provider, for the main server's "Continue with Acme ID".
  const oidcClient = {
    OIDC_CLIENT_ID: `leptos-accounts-e2e-${randomBytes(4).toString("hex")}`,
    OIDC_CLIENT_SECRET: randomBytes(32).toString("hex"),
  };
  // The server must never log its client secret.
  appendFileSync(secretsFile, JSON.stringify({ kind: "token", value: oidcClient.OIDC_CLIENT_SECRET }) + "\n");
  const oidc = spawn(process.execPath, [path.join(__dirname, "oidc", "provider.mjs")], {
    cwd: __dirname,
    env: { ...process.env, OIDC_PORT: "0", ...oidcClient },
    stdio: ["ignore", "pipe", "pipe"],
  });
  oidc.stderr?.on("data", (chunk) => process.stderr.write(chunk));
  const issuer = await oidcIssuer(oidc);
  await waitForHealth(issuer, "/.well-known/openid-configuration");

  const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
  const start = (name: string, settings: Record<string, string>) =>
    startServer(deployed, deployDir, `${dataDir}/${name}.db`, { SMTP_URL: smtpUrl, ...settings });
  // Sudo mode lasts no time here, so every settings action shows the
  // password prompt a user meets once it has lapsed.
  const main = await start("e2e", {
    SUDO_MINUTES: "0",
    LOG_FORMAT: "json",
    OIDC_PROVIDERS: "acme",
    OIDC_ACME_ISSUER: issuer,
    OIDC_ACME_CLIENT_ID: oidcClient.OIDC_CLIENT_ID,
    OIDC_ACME_CLIENT_SECRET: oidcClient.OIDC_CLIENT_SECRET,
    OIDC_ACME_LABEL: "Acme ID",
  });
  process.env.APP_BASE_URL = main.baseUrl;
  // The same product with SIGNUP_MODE=verify-first, for its sign-up tests.
  const verifyFirst = await start("verify-first", { SIGNUP_MODE: "verify-first", LOG_FORMAT: "text" });
  process.env.APP_VERIFY_FIRST_URL = verifyFirst.baseUrl;
  // As `make run` starts it: no mail server, so mail stays in the outbox
  // and the local mailbox shows it at the address the server prints.
  const local = await start("local", { SMTP_URL: "", LOG_FORMAT: "text" });
  process.env.APP_LOCAL_URL = local.baseUrl;
  const printed = local.output.match(/read it at (http:\/\/\S+\/dev\/mailbox\?key=[\w-]+)/);
  if (!printed) throw new Error(`the server without SMTP_URL did not print its mailbox:\n${local.output}`);
  process.env.APP_MAILBOX_URL = printed[1];
  // For the tests only: set once the servers have started, so that the
  // main one alone knows of the provider.
  process.env.OIDC_ISSUER_URL = issuer;

  return async () => {
    try {
      for (const started of [main, verifyFirst, local]) {
        await stop(started.server);
        await closed(started.log);
      }
      await stop(maildev);
      await stop(oidc);
      checkLogsHoldNoSecrets([main.logFile, verifyFirst.logFile, local.logFile], secretsFile);
    } finally {
      if (process.env.E2E_KEEP_LOGS) {
        console.log(`server logs kept in ${dataDir}`);
      } else {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  };
}

/**
 * Fails the run if a server log holds any secret the tests noted, as it
 * was sent or as a log might spell it (URL- or form-encoded). The check
 * first makes sure it has something to check: logs with the requests in
 * them, and passwords, tokens and cookies from the tests.
 */
function checkLogsHoldNoSecrets(logFiles: string[], secretsFile: string): void {
  const secrets = readFileSync(secretsFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { kind: string; value: string });
  for (const kind of ["password", "token", "cookie"]) {
    if (!secrets.some((secret) => secret.kind === kind)) {
      throw new Error(`no-secrets check: the tests noted no ${kind}; the check cannot be trusted`);
    }
  }
  const logs = logFiles.map((file) => ({ file, text: readFileSync(file, "utf8") }));
  for (const { file, text } of logs) {
    if (!text.includes("/api/auth/")) {
      throw new Error(`no-secrets check: ${file} does not record the test run's requests`);
    }
  }
  const all = logs.map(({ text }) => text).join("\n");
  for (const route of ["/api/auth/login", "/api/auth/password-reset/confirm", "/reset-password"]) {
    if (!all.includes(route)) {
      throw new Error(`no-secrets check: the server logs do not record ${route}`);
    }
  }
  const leaks: string[] = [];
  for (const { kind, value } of secrets) {
    const spellings = new Set([
      value,
      encodeURIComponent(value),
      new URLSearchParams({ x: value }).toString().slice(2),
    ]);
    for (const { file, text } of logs) {
      for (const spelling of spellings) {
        const at = text.indexOf(spelling);
        if (at >= 0) {
          const start = text.lastIndexOf("\n", at) + 1;
          const end = text.indexOf("\n", at);
          const line = text.slice(start, end < 0 ? undefined : end);
          leaks.push(`a ${kind} in ${path.basename(file)}: ${line.slice(0, 300)}`);
        }
      }
    }
  }
  if (leaks.length > 0) {
    throw new Error(`secrets in the server log:\n${leaks.join("\n")}`);
  }
  const bytes = logs.reduce((sum, { text }) => sum + text.length, 0);
  console.log(`no-secrets check: ${secrets.length} secrets, none in ${bytes} bytes of server log`);
}

/** Starts the server binary on a free port with database file `database`. */
async function startServer(
  binary: string,
  workingDir: string,
  database: string,
  settings: Record<string, string>,
): Promise<{ server: ChildProcess; baseUrl: string; output: string; log: WriteStream; logFile: string }> {
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
      // ... and causes the mail of every test.
      MAIL_PER_NETWORK_PER_HOUR: "10000",
      // A long first back-off keeps the "paused" test independent of speed.
      LOGIN_BACKOFF_BASE_SECONDS: "30",
      // Everything the server and its libraries say, so that the
      // no-secrets check reads the most a log could ever hold.
      RUST_LOG: process.env.RUST_LOG ?? "debug",
      NO_COLOR: "1",
      ...settings,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logFile = database.replace(/\.db$/, ".log");
  const log = createWriteStream(logFile);
  server.stdout?.on("data", (chunk) => log.write(chunk));
  server.stderr?.on("data", (chunk) => {
    log.write(chunk);
    process.stderr.write(chunk);
  });
  const { baseUrl, output } = await listeningAddress(server);
  await waitForHealth(baseUrl);
  return { server, baseUrl, output, log, logFile };
}

function closed(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

/** The address the server listens on, and what it printed until then. */
function listeningAddress(server: ChildProcess): Promise<{ baseUrl: string; output: string }> {
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
      const match = seen.match(/the site is at (http:\/\/[\w.:-]+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ baseUrl: match[1], output: seen });
      }
    });
    server.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening; output:\n${seen}`));
    });
  });
}

/** The issuer the OpenID provider prints once it listens ("ready URL"). */
function oidcIssuer(provider: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`the OpenID provider did not start within 15 s; output:\n${seen}`)),
      15_000,
    );
    provider.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/^ready (http:\/\/127\.0\.0\.1:\d+)$/m);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    provider.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the OpenID provider exited with code ${code} before listening; output:\n${seen}`));
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
    // "close": exited, and its output read to the end.
    server.on("close", () => {
      clearTimeout(killer);
      resolve();
    });
    server.kill("SIGTERM");
  });
}
