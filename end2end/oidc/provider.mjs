// A real OpenID Connect provider for the browser tests' "Continue with …"
// sign-in: panva's oidc-provider (the certified Node.js implementation),
// configured for one confidential client and nothing else.
//
//   OIDC_PORT=0 OIDC_CLIENT_ID=app OIDC_CLIENT_SECRET=s3cret node oidc/provider.mjs
//
// Environment:
// - OIDC_PORT: the port to listen on, on 127.0.0.1 (0 or unset: the
//   operating system picks a free one);
// - OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: the one client (required);
// - OIDC_TOKEN_AUTH_METHOD: how the client authenticates at the token
//   endpoint, client_secret_basic (the default, and the `openidconnect`
//   crate's) or client_secret_post; oidc-provider accepts only the one
//   registered;
// - OIDC_CODE_TTL: the authorization code's lifetime in seconds (60).
//
// Once it listens it prints exactly one line on stdout,
// `ready http://127.0.0.1:PORT`, which is also the issuer; everything else
// (the library's development-mode warnings included) goes to stderr.
//
// The login and consent pages are the library's development interactions
// (`features.devInteractions`): plain HTML forms, so they work with
// JavaScript off. Any login and any password are accepted; the login typed
// becomes the account (see findAccount below).

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";

// Keep stdout for the ready line alone: oidc-provider prints its notices
// with console.info (stdout) and its warnings with console.warn (stderr).
for (const level of ["log", "info", "debug"]) {
  console[level] = (...args) => console.error(...args);
}

const { default: Provider } = await import("oidc-provider");

const clientId = required("OIDC_CLIENT_ID");
const clientSecret = required("OIDC_CLIENT_SECRET");
const tokenAuthMethod = process.env.OIDC_TOKEN_AUTH_METHOD || "client_secret_basic";
if (!["client_secret_basic", "client_secret_post"].includes(tokenAuthMethod)) {
  throw new Error(`OIDC_TOKEN_AUTH_METHOD must be client_secret_basic or client_secret_post, not ${tokenAuthMethod}`);
}
const codeTtl = seconds("OIDC_CODE_TTL", 60);
const port = seconds("OIDC_PORT", 0);

// The app under test listens on http://localhost:<random port> and its
// callback is /auth/oidc/<provider name>/callback. The port is not known
// when the provider starts, so the client may use any URI of this shape
// (see the redirectUriAllowed override below).
const REDIRECT_URI = /^http:\/\/localhost:\d+\/auth\/oidc\/[a-z0-9-]+\/callback$/;

// The issuer contains the port, which with OIDC_PORT=0 we only know once
// listening: listen first, answer 503 until the provider is built.
let handle = (_request, response) => {
  response.statusCode = 503;
  response.end();
};
const server = createServer((request, response) => handle(request, response));
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// A fresh RSA key per run for the ID tokens (RS256), rather than the
// library's built-in development key.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: "jwk" }),
  kid: randomBytes(8).toString("hex"),
  alg: "RS256",
  use: "sig",
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      client_name: "Leptos accounts (end-to-end tests)",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      // A registered URI is required; the ones actually used are allowed by
      // the pattern above. Never sent implicitly: see
      // allowOmittingSingleRegisteredRedirectUri.
      redirect_uris: ["http://localhost/auth/oidc/acme/callback"],
      token_endpoint_auth_method: tokenAuthMethod,
      id_token_signed_response_alg: "RS256",
    },
  ],
  // The redirect_uri parameter is always required.
  allowOmittingSingleRegisteredRedirectUri: false,
  // Authorization code with PKCE only. S256 is the only method offered,
  // and every authorization request must carry a code_challenge.
  responseTypes: ["code"],
  pkce: { methods: ["S256"], required: () => true },
  clientAuthMethods: [tokenAuthMethod],
  enabledJWA: { idTokenSigningAlgValues: ["RS256"] },
  jwks: { keys: [signingKey] },
  scopes: ["openid", "email", "profile"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
  },
  // Put the scopes' claims (email, email_verified, name) in the ID token
  // too, not only at the userinfo endpoint: the app may read either.
  conformIdTokenClaims: false,
  // The account is the login typed on the development login page.
  async findAccount(_ctx, id) {
    const login = String(id);
    const local = login.split("@")[0];
    return {
      // Must stay exactly as typed: oidc-provider compares it with the
      // session's account id. The subject is normalised instead.
      accountId: login,
      async claims() {
        return {
          sub: login.toLowerCase(),
          email: login,
          email_verified: !login.toLowerCase().startsWith("unverified"),
          name: local.charAt(0).toUpperCase() + local.slice(1),
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    // Everything the app does not need is off.
    rpInitiatedLogout: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: { enabled: false },
    registration: { enabled: false },
    deviceFlow: { enabled: false },
    clientCredentials: { enabled: false },
    introspection: { enabled: false },
    revocation: { enabled: false },
    backchannelLogout: { enabled: false },
    ciba: { enabled: false },
    claimsParameter: { enabled: false },
    dPoP: { enabled: false },
    jwtResponseModes: { enabled: false },
    requestObjects: { request: false, requestUri: false },
  },
  // Plain http on 127.0.0.1: the cookies get no Secure flag (that follows
  // the request's scheme), and SameSite=Lax rather than the library's
  // default None for the session cookie, which a browser refuses without
  // Secure. Lax still sends it on the top-level GET navigations from the
  // app (http://localhost:…) to the authorization endpoint, so a second
  // sign-in finds the provider's session. Signed, with a key per run.
  cookies: {
    keys: [randomBytes(32).toString("base64url")],
    long: { httpOnly: true, sameSite: "lax", signed: true },
    short: { httpOnly: true, sameSite: "lax", signed: true },
  },
  ttl: {
    AuthorizationCode: codeTtl,
    IdToken: 600,
    AccessToken: 600,
    Interaction: 600,
    Grant: 24 * 60 * 60,
    Session: 24 * 60 * 60,
  },
});

// Wildcard redirect URIs, as oidc-provider's "redirect_uri wildcards"
// recipe does it: every check of an authorization request's redirect_uri
// (and of where an error may be sent) goes through this method.
const { redirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function allowAppCallbacks(redirectUri) {
  return REDIRECT_URI.test(redirectUri) || redirectUriAllowed.call(this, redirectUri);
};

// The library's pages load a font from fonts.googleapis.com; the tests
// stay off the internet, so the pages do without.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === "string" && ctx.response.is("html")) {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com\/[^)]*\);?/g, "");
  }
});

// Why a request failed, for whoever reads the test run's output.
for (const event of ["server_error", "authorization.error", "grant.error", "userinfo.error"]) {
  provider.on(event, (_ctx, error) => {
    console.error(`oidc-provider ${event}: ${error.message}${error.error_description ? ` (${error.error_description})` : ""}`);
  });
}

// The pages ask for a favicon, which the provider has none of: say so
// without an error that the browser tests would count against a page.
const provide = provider.callback();
handle = (request, response) => {
  if (request.url === "/favicon.ico") {
    response.statusCode = 204;
    response.end();
    return;
  }
  provide(request, response);
};
process.stdout.write(`ready ${issuer}\n`);

// Everything is in memory: nothing to save on the way out.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

function seconds(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not ${text}`);
  return value;
}
