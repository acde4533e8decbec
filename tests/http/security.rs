//! CSRF refusal, security headers, the Content Security Policy and caching.

use crate::support::{encode_form, Call, TestApp, PASSWORD};

/// Every server function, with fields that would succeed.
const SERVER_FUNCTIONS: [(&str, &[(&str, &str)]); 5] = [
    (
        "/api/auth/signup",
        &[("email", "new@example.com"), ("password", PASSWORD)],
    ),
    (
        "/api/auth/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    ),
    ("/api/auth/logout", &[]),
    ("/api/auth/me", &[]),
    ("/api/profile/display-name", &[("display_name", "Mallory")]),
];

async fn post_with(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: &str,
    extra: Vec<(&'static str, String)>,
) -> crate::support::Reply {
    let mut headers = vec![
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("accept", "application/json".to_owned()),
        ("cookie", cookie.to_owned()),
    ];
    headers.extend(extra);
    app.send(Call {
        method: "POST",
        path,
        headers,
        body: Some(encode_form(fields).into_bytes()),
    })
    .await
}

#[tokio::test]
async fn cross_site_posts_to_every_server_function_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let attacks: [Vec<(&'static str, String)>; 5] = [
        vec![("sec-fetch-site", "cross-site".into())],
        vec![("sec-fetch-site", "same-site".into())],
        vec![
            ("sec-fetch-site", "cross-site".into()),
            ("origin", app.origin()),
        ],
        vec![("origin", "https://evil.example".into())],
        vec![],
    ];
    for attack in attacks {
        for (path, fields) in SERVER_FUNCTIONS {
            let reply = post_with(&app, path, fields, &cookie, attack.clone()).await;
            assert_eq!(reply.status, 403, "{path} with {attack:?}: {}", reply.body);
            assert!(reply.body.contains("Forbidden"), "{}", reply.body);
            assert!(reply.set_cookie("session").is_none(), "{path}");
            let vary = reply.header("vary").unwrap_or_default();
            assert!(
                vary.contains("Sec-Fetch-Site") && vary.contains("Origin"),
                "{vary}"
            );
        }
    }
    let users = app.count("users").await;
    assert_eq!(users, 1, "no sign-up went through");
    let name: String = sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "", "display name unchanged");
    assert_eq!(
        app.get_with_cookie("/profile", &cookie).await.status,
        200,
        "still signed in"
    );
}

#[tokio::test]
async fn the_same_requests_from_our_own_pages_succeed() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    for same_origin in [
        vec![("sec-fetch-site", "same-origin".to_owned())],
        vec![("origin", app.origin())],
        vec![("referer", format!("{}/profile", app.origin()))],
    ] {
        let reply = post_with(
            &app,
            "/api/profile/display-name",
            &[("display_name", "Ada")],
            &cookie,
            same_origin.clone(),
        )
        .await;
        assert_eq!(reply.status, 200, "{same_origin:?}: {}", reply.body);
    }
    let reply = post_with(
        &app,
        "/api/auth/signup",
        &[("email", "new@example.com"), ("password", PASSWORD)],
        "",
        vec![("sec-fetch-site", "same-origin".into())],
    )
    .await;
    assert_eq!(reply.status, 200);
    // Reading needs no such check.
    assert_eq!(app.get("/").await.status, 200);
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce() {
    let app = TestApp::spawn().await;
    let mut nonces = Vec::new();
    for path in ["/", "/login", "/does-not-exist"] {
        let reply = app.get(path).await;
        let policy = reply
            .header("content-security-policy")
            .expect("CSP")
            .to_owned();
        for directive in [
            "default-src 'self'",
            "'strict-dynamic'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("nonce")
            .to_owned();
        assert!(nonce.len() >= 22, "128-bit nonce: {nonce}");
        assert!(
            reply.body.contains(&format!(r#"nonce="{nonce}""#)),
            "{path}: scripts carry the nonce"
        );
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a new nonce per response");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let replies = [
        app.get("/").await,
        app.get("/healthz").await,
        app.get("/api/nothing").await,
        app.get("/favicon-missing.png").await,
        app.post_form("/api/auth/me", &[], Some(&cookie)).await,
        post_with(
            &app,
            "/api/auth/logout",
            &[],
            &cookie,
            vec![("sec-fetch-site", "cross-site".into())],
        )
        .await,
    ];
    for reply in replies {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            reply.header("referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
        assert_eq!(
            reply.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert!(reply
            .header("permissions-policy")
            .is_some_and(|p| p.contains("camera=()")));
        assert!(
            reply.header("strict-transport-security").is_none(),
            "not over plain http"
        );
    }
}

#[tokio::test]
async fn https_origins_get_hsts() {
    let app =
        TestApp::spawn_with(|config| config.public_origin = "https://accounts.example".into())
            .await;
    let reply = app.get("/").await;
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
}

#[tokio::test]
async fn personal_answers_are_never_stored() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    assert_eq!(app.get("/").await.header("cache-control"), Some("no-cache"));
    assert_eq!(
        app.get("/login").await.header("cache-control"),
        Some("no-cache")
    );
    assert_eq!(
        app.get_with_cookie("/", &cookie)
            .await
            .header("cache-control"),
        Some("no-store")
    );
    assert_eq!(
        app.get_with_cookie("/profile", &cookie)
            .await
            .header("cache-control"),
        Some("no-store")
    );
    assert_eq!(
        app.get("/profile").await.header("cache-control"),
        Some("no-store")
    );
    let api = app.post_form("/api/auth/me", &[], Some(&cookie)).await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn log_out_clears_cache_and_storage_but_not_every_cookie_of_the_domain() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let reply = app.post_form("/api/auth/logout", &[], Some(&cookie)).await;
    // "cookies" would wipe sibling sites' cookies on the same registrable
    // domain; the session cookie is expired explicitly instead.
    assert_eq!(
        reply.header("clear-site-data"),
        Some(r#""cache", "storage""#)
    );
    assert!(reply
        .set_cookie("session")
        .is_some_and(|cookie| cookie.contains("Max-Age=0")));
    assert_eq!(reply.set_cookie("device"), None, "the device stays trusted");
}

#[tokio::test]
async fn no_server_function_changes_state_on_get() {
    let app = TestApp::spawn().await;
    for (path, fields) in SERVER_FUNCTIONS {
        let query = encode_form(fields);
        let reply = app.get(&format!("{path}?{query}")).await;
        assert!(
            reply.status == 405 || reply.status == 404,
            "{path}: {}",
            reply.status
        );
    }
    let users = app.count("users").await;
    assert_eq!(users, 0);
}
