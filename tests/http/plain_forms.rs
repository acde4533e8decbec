//! Forms posted by a browser without JavaScript: 303 redirects, errors and
//! typed values carried back to the form (never the password).

use crate::support::{TestApp, PASSWORD};

#[tokio::test]
async fn a_successful_sign_up_redirects_to_the_profile() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_plain_form(
            "/api/auth/signup",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", "Ada"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/profile"));
    let cookie = reply.cookie("session").expect("session cookie");
    let profile = app.get_with_cookie("/profile", &cookie).await;
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("ada@example.com"));
}

#[tokio::test]
async fn a_failed_sign_up_returns_to_the_form_with_errors_and_values() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_plain_form(
            "/api/auth/signup",
            &[
                ("email", "ada@example.com"),
                ("password", "tiny secret"),
                ("display_name", "Ada"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/signup"));
    assert!(reply.set_cookie("session").is_none());
    let echo = reply.cookie("form").expect("form echo cookie");
    assert!(reply.set_cookie("form").unwrap().contains("HttpOnly"));

    let page = app.get_with_cookie("/signup", &echo).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Use at least 15 characters (this one has 11)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"value="ada@example.com""#),
        "email kept"
    );
    assert!(page.body.contains(r#"value="Ada""#), "display name kept");
    assert!(!page.body.contains("tiny secret"), "password never echoed");
    assert!(page.body.contains(r#"aria-invalid="true""#));
    assert!(page.body.contains(r#"aria-describedby="password-error"#));
    // The echo is used once.
    let cleared = page.set_cookie("form").expect("echo cleared");
    assert!(cleared.contains("Max-Age=0"));
}

#[tokio::test]
async fn a_failed_log_in_keeps_the_email_and_next() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let reply = app
        .post_plain_form(
            "/api/auth/login",
            &[
                ("email", "ada@example.com"),
                ("password", "wrong password here"),
                ("next", "/profile"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/login?next=/profile"));
    let page = app
        .get_with_cookie("/login?next=/profile", &reply.cookie("form").unwrap())
        .await;
    assert!(
        page.body.contains("do not match an account"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="ada@example.com""#));
    assert!(page.body.contains(r#"name="next""#));
}

#[tokio::test]
async fn log_in_follows_next_only_within_the_site() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    for (next, expected) in [
        ("/profile?tab=activity", "/profile?tab=activity"),
        ("//evil.example/", "/profile"),
        ("https://evil.example/", "/profile"),
        ("/\\evil.example", "/profile"),
    ] {
        let reply = app
            .post_plain_form(
                "/api/auth/login",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, 303, "{next}");
        assert_eq!(reply.header("location"), Some(expected), "{next}");
    }
}

#[tokio::test]
async fn log_out_redirects_home_and_expires_the_cookie() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let reply = app
        .post_plain_form("/api/auth/logout", &[], Some(&cookie))
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/"));
    assert!(reply.set_cookie("session").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get_with_cookie("/profile", &cookie).await.status, 303);
}

#[tokio::test]
async fn a_display_name_error_returns_to_the_profile() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let long = "z".repeat(51);
    let reply = app
        .post_plain_form(
            "/api/profile/display-name",
            &[("display_name", &long)],
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/profile"));
    let both = format!("{cookie}; {}", reply.cookie("form").unwrap());
    let page = app.get_with_cookie("/profile", &both).await;
    assert!(
        page.body.contains("Use at most 50 characters"),
        "{}",
        page.body
    );
}
