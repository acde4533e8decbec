//! Every page is rendered on the server, inside the shared layout.

use crate::support::TestApp;

/// The parts of the layout every page carries.
fn assert_layout(body: &str) {
    assert!(body.starts_with("<!DOCTYPE html>"), "doctype: {body:.80}");
    assert!(body.contains(r#"<html lang="en""#), "lang attribute");
    assert!(body.contains(r#"<nav aria-label="Main""#), "header nav");
    for (href, label) in [("/", "Home"), ("/signup", "Sign up"), ("/login", "Log in")] {
        let link = format!(r#"href="{href}""#);
        assert!(body.contains(&link), "nav link to {href}");
        assert!(body.contains(label), "nav label {label}");
    }
    assert!(body.contains("<footer"), "footer");
    assert!(body.contains("/pkg/leptos_accounts.css"), "stylesheet");
    assert!(body.contains("leptos_accounts.js"), "hydration script");
    assert!(body.contains(r#"rel="icon""#), "favicon");
}

#[tokio::test]
async fn each_page_is_server_rendered_with_its_own_title_and_description() {
    let app = TestApp::spawn().await;
    for (path, title, heading) in [
        ("/", "Home · Leptos Accounts", "Accounts, done properly"),
        ("/signup", "Sign up · Leptos Accounts", "Sign up"),
        ("/login", "Log in · Leptos Accounts", "Log in"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply
                .header("content-type")
                .is_some_and(|value| value.starts_with("text/html")),
            "{path} content type"
        );
        assert_layout(&reply.body);
        assert!(
            reply.body.contains(&format!("<title>{title}</title>")),
            "{path} title in {}",
            reply.body
        );
        assert!(
            reply.body.contains(r#"<meta name="description""#),
            "{path} description"
        );
        assert!(reply.body.contains(heading), "{path} heading");
    }
}

#[tokio::test]
async fn forms_have_labelled_fields() {
    let app = TestApp::spawn().await;
    let signup = app.get("/signup").await.body;
    for field in ["email", "password", "display_name"] {
        assert!(
            signup.contains(&format!(r#"for="{field}""#)),
            "label for {field}"
        );
        assert!(
            signup.contains(&format!(r#"id="{field}""#)),
            "input {field}"
        );
    }
    assert!(signup.contains(r#"autocomplete="new-password""#));

    let login = app.get("/login").await.body;
    for field in ["email", "password", "remember"] {
        assert!(
            login.contains(&format!(r#"for="{field}""#)),
            "label for {field}"
        );
    }
    assert!(login.contains(r#"autocomplete="current-password""#));
    assert!(login.contains("Remember me"));
}

#[tokio::test]
async fn unknown_page_is_a_404_with_the_layout() {
    let app = TestApp::spawn().await;
    let reply = app.get("/does-not-exist").await;
    assert_eq!(reply.status, 404);
    assert_layout(&reply.body);
    assert!(reply.body.contains("Page not found"));
}

#[tokio::test]
async fn the_not_found_page_knows_who_is_signed_in() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let reply = app.get_with_cookie("/does-not-exist", &cookie).await;
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("Page not found"));
    // The nav, and the user the page hands to the browser, are Ada's.
    assert!(reply.body.contains(">Log out</button>"), "{}", reply.body);
    assert!(!reply.body.contains("href=\"/login\""), "{}", reply.body);
    assert!(reply.body.contains("ada@example.com"));
}

#[tokio::test]
async fn an_address_with_a_trailing_slash_is_sent_to_the_page() {
    let app = TestApp::spawn().await;
    for (path, page) in [
        ("/signup/", "/signup"),
        ("/profile//", "/profile"),
        ("/login/?next=/profile", "/login?next=/profile"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 308, "{path}");
        assert_eq!(reply.header("location"), Some(page), "{path}");
    }
    // The home page stays put, and nothing is sent to another site.
    for path in ["/", "//evil.example/"] {
        let reply = app.get(path).await;
        assert_ne!(reply.status, 308, "{path}");
        assert_eq!(reply.header("location"), None, "{path}");
    }
}

#[tokio::test]
async fn unknown_api_path_is_a_plain_404() {
    let app = TestApp::spawn().await;
    for path in ["/api/nothing-here", "/api/auth/nothing-here"] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("<html"), "{path} answered with a page");
    }
}

/// Starting a router works out the app's routes by rendering it with data
/// loading paused for the whole process. Pages of an app that is already
/// serving must not wait forever on that (the profile loads its recent
/// activity), however many other instances start meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_rendering_while_other_instances_start() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let starting = tokio::spawn(async {
        for _ in 0..60 {
            drop(TestApp::spawn().await);
        }
    });
    for _ in 0..300 {
        let reply = app.get_with_cookie("/profile", &cookie).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body.contains("Recent activity"));
    }
    starting.await.unwrap();
}
