import { expect, PASSWORD } from "./fixtures";
import { totp } from "./totp";
import type { Browser } from "@playwright/test";

// Accounts made through the API, as a script would, for tests about
// something else.

const json = () => ({
  accept: "application/json",
  origin: new URL(process.env.APP_BASE_URL!).origin,
});

/** Makes an account in a browser of its own, so that the test's page has
 * no session. */
export async function account(browser: Browser, email: string): Promise<void> {
  await makeAccount(browser, email, false);
}

/** An authenticator app's secret and the recovery codes it came with. */
export type App = { secret: string; recoveryCodes: string[] };

/** As `account`, with an authenticator app turned on. */
export async function accountWithApp(browser: Browser, email: string): Promise<App> {
  return (await makeAccount(browser, email, true))!;
}

async function makeAccount(browser: Browser, email: string, app: boolean): Promise<App | undefined> {
  const other = await browser.newContext();
  const request = other.request;
  const created = await request.post("/api/auth/signup", {
    form: { email, password: PASSWORD },
    headers: json(),
  });
  expect(created.status()).toBe(200);
  let made: App | undefined;
  if (app) {
    const started = await request.post("/api/account/two-factor/totp/start", {
      form: { current_password: PASSWORD },
      headers: json(),
    });
    expect(started.status()).toBe(200);
    const secret = (await started.json()).secret as string;
    const enabled = await request.post("/api/account/two-factor/totp/enable", {
      form: { code: totp(secret) },
      headers: json(),
    });
    expect(enabled.status()).toBe(200);
    made = { secret, recoveryCodes: (await enabled.json()).recovery_codes as string[] };
  }
  await other.close();
  return made;
}

