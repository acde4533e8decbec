//! Public pages for visitors without cookies come from the render the
//! server kept, each time with a fresh nonce; anything personal is
//! rendered for its request.

use leptos_accounts::server::page_cache::PUBLIC_PAGES;

use crate::support::{Reply, TestApp};

/// The nonce of an answer's Content Security Policy.
fn nonce(reply: &Reply) -> String {
    reply
        .header("content-security-policy")
        .and_then(|policy| policy.split("'nonce-").nth(1))
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned()
}

/// The answer's body and policy with its nonce written as `NONCE`.
fn without_nonce(reply: &Reply) -> (String, String) {
    let nonce = nonce(reply);
    let policy = reply.header("content-security-policy").unwrap_or_default();
    (
        reply.body.replace(&nonce, "NONCE"),
        policy.replace(&nonce, "NONCE"),
    )
}

#[tokio::test]
async fn public_pages_come_back_as_rendered_with_a_fresh_nonce_each_time() {
    let app = TestApp::spawn().await;
    for path in PUBLIC_PAGES {
        // An unrelated cookie makes the server render the page again.
        let rendered = app.get_with_cookie(path, "theme=dark").await;
        let first = app.get(path).await;
        let kept = app.get(path).await;
        let again = app.get(path).await;
        let nonces = [&rendered, &first, &kept, &again].map(nonce);
        for (reply, nonce) in [&first, &kept, &again].into_iter().zip(&nonces[1..]) {
            assert_eq!(reply.status, 200, "{path}");
            assert!(
                reply.body.contains(&format!(r#"nonce="{nonce}""#)),
                "{path}: the scripts carry the policy's nonce"
            );
            assert_eq!(
                without_nonce(reply),
                without_nonce(&rendered),
                "{path}: the same page as a fresh render"
            );
            for header in ["cache-control", "content-type", "referrer-policy"] {
                assert_eq!(
                    reply.header(header),
                    rendered.header(header),
                    "{path}: {header}"
                );
            }
            assert!(reply.set_cookie("session").is_none());
        }
        let mut distinct = nonces.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 4, "{path}: a new nonce per answer");
        assert_ne!(
            first.header("x-request-id"),
            kept.header("x-request-id"),
            "{path}: each answer has its own request id"
        );
    }
}

#[tokio::test]
async fn anything_personal_is_rendered_for_its_own_request() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let anonymous = app.get("/").await;
    assert!(!anonymous.body.contains("ada@example.com"));

    // A signed-in browser sees its own header, and the next visitor
    // without cookies still the public page.
    let signed_in = app.get_with_cookie("/", &session).await;
    assert!(
        signed_in.body.contains("ada@example.com"),
        "the signed-in header: {}",
        signed_in.body
    );
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    let after = app.get("/").await;
    assert_eq!(without_nonce(&after), without_nonce(&anonymous));

    // A query string is the request's own: the deletion notice shows for
    // it alone.
    let notice = "Your account was deleted";
    assert!(app.get("/?deleted=1").await.body.contains(notice));
    assert!(!app.get("/").await.body.contains(notice));
    let login = app.get("/login?next=%2Fsettings").await;
    assert!(
        login.body.contains("%2Fsettings") || login.body.contains("/settings"),
        "the log-in page keeps where it goes next"
    );
    assert_eq!(
        without_nonce(&app.get("/login").await),
        without_nonce(&app.get_with_cookie("/login", "theme=dark").await)
    );

    // Personal pages are never public: without a session, the log-in page.
    let profile = app.get("/profile").await;
    assert_eq!(profile.status, 303);
    assert_eq!(profile.header("location"), Some("/login?next=/profile"));
}
