//! Mail: the outbox, verification and password-reset links, the local
//! mailbox, and delivery over SMTP to a real mail server, across a crash.

use leptos_accounts::server::db::Backend;
use std::time::{Duration, Instant};

use crate::{
    mail_server::{MailDev, ServerProcess},
    support::{Call, Reply, TestApp, PASSWORD},
};

const NEW_PASSWORD: &str = "copper lantern under seven hills";

/// The newest mail of `kind` in the outbox: (recipient, text).
pub(crate) async fn last_mail(app: &TestApp, kind: &str) -> (String, String) {
    sqlx::query_as(
        "SELECT recipient, text_body FROM outbox WHERE kind = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .fetch_one(&app.db)
    .await
    .unwrap_or_else(|_| panic!("a {kind} mail in the outbox"))
}

/// The token of the link to `page` in `text`.
pub(crate) fn token_in(text: &str, origin: &str, page: &str) -> String {
    let prefix = format!("{origin}{page}?token=");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        + prefix.len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// Posts the reset form, as an API client or as a browser without
/// JavaScript (`plain`).
async fn post_reset(
    app: &TestApp,
    token: &str,
    password: &str,
    confirm: &str,
    plain: bool,
) -> Reply {
    let fields = [
        ("token", token),
        ("password", password),
        ("password_confirm", confirm),
    ];
    if plain {
        app.post_plain_form("/api/auth/password-reset/confirm", &fields, None)
            .await
    } else {
        app.post_form("/api/auth/password-reset/confirm", &fields, None)
            .await
    }
}

async fn mails(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn verified(app: &TestApp, email: &str) -> bool {
    sqlx::query_scalar::<_, Option<i64>>("SELECT email_verified_at FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .is_some()
}

// ---- Verification ----------------------------------------------------------

#[tokio::test]
async fn sign_up_mails_a_verification_link_that_only_its_button_uses() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let (to, text) = last_mail(&app, "verify_email").await;
    assert_eq!(to, "ada@example.com");
    assert!(!text.contains(PASSWORD), "no password in mail");
    let token = token_in(&text, &app.origin(), "/verify-email");
    assert_eq!(token.len(), 43, "256 bits, base64url");
    // Only its hash is stored.
    let stored: i64 = sqlx::query_scalar(match crate::support::backend() {
        Backend::Sqlite => "SELECT count(*) FROM email_tokens WHERE instr(token_hash, $1) > 0",
        Backend::Postgres => {
            "SELECT count(*) FROM email_tokens WHERE position($1 in token_hash) > 0"
        }
    })
    .bind(token.as_bytes())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 0);

    let me = app.post_form("/api/auth/me", &[], Some(&cookie)).await;
    assert!(me.body.contains("\"email_verified\":false"), "{}", me.body);
    let profile = app.get_with_cookie("/profile", &cookie).await;
    assert!(profile.body.contains("Send the link again"));

    // Opening the link (as a mail scanner does) changes nothing.
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Confirm my email address"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(!verified(&app, "ada@example.com").await);

    let confirmed = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token)],
            Some(&cookie),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert!(confirmed.body.contains("\"email_verified\":true"));
    assert!(verified(&app, "ada@example.com").await);
    let profile = app.get_with_cookie("/profile", &cookie).await;
    assert!(!profile.body.contains("Send the link again"));
    assert!(profile.body.contains("Email address verified"));

    // Once only.
    let again = app
        .post_form("/api/auth/verify-email", &[("token", &token)], None)
        .await;
    assert_eq!(again.status, 410);
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert!(page
        .body
        .contains("This link has expired or was already used"));
    let unknown = app.get("/verify-email?token=not-a-token").await;
    assert!(unknown
        .body
        .contains("This link has expired or was already used"));
}

#[tokio::test]
async fn a_verification_link_works_without_javascript_and_without_a_session() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let (_, text) = last_mail(&app, "verify_email").await;
    let token = token_in(&text, &app.origin(), "/verify-email");
    let reply = app
        .post_plain_form("/api/auth/verify-email", &[("token", &token)], None)
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/verify-email?verified=1"));
    let page = app.get("/verify-email?verified=1").await;
    assert!(page.body.contains("Your email address is confirmed"));
    assert!(verified(&app, "ada@example.com").await);
}

#[tokio::test]
async fn an_expired_link_is_refused_with_a_way_to_a_new_one() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let (_, text) = last_mail(&app, "verify_email").await;
    let token = token_in(&text, &app.origin(), "/verify-email");
    sqlx::query("UPDATE email_tokens SET expires_at = $1 - 1")
        .bind(crate::support::now())
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert!(page
        .body
        .contains("This link has expired or was already used"));
    assert!(page.body.contains("Send the link again"));
    let reply = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token)],
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 410);
    assert!(!verified(&app, "ada@example.com").await);
}

#[tokio::test]
async fn sending_the_link_again_is_limited_to_three_an_hour() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    for _ in 0..2 {
        let reply = app
            .post_form("/api/auth/verify-email/resend", &[], Some(&cookie))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(mails(&app, "verify_email").await, 3);
    let refused = app
        .post_form("/api/auth/verify-email/resend", &[], Some(&cookie))
        .await;
    assert_eq!(refused.status, 429);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    assert_eq!(mails(&app, "verify_email").await, 3);

    let plain = app
        .post_plain_form("/api/auth/verify-email/resend", &[], None)
        .await;
    assert_eq!(plain.status, 303, "not signed in: back to the profile");
    let anonymous = app
        .post_form("/api/auth/verify-email/resend", &[], None)
        .await;
    assert_eq!(anonymous.status, 401);
}

// ---- Forgot and reset password ---------------------------------------------

#[tokio::test]
async fn forgot_password_answers_alike_for_known_and_unknown_addresses() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;

    let started = Instant::now();
    let known = app
        .post_form(
            "/api/auth/password-reset/request",
            &[("email", "ADA@example.com")],
            None,
        )
        .await;
    let known_took = started.elapsed();
    let started = Instant::now();
    let unknown = app
        .post_form(
            "/api/auth/password-reset/request",
            &[("email", "nobody@example.com")],
            None,
        )
        .await;
    let unknown_took = started.elapsed();
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(known.status, 200);
    // Neither answers before the uniform answer time.
    assert!(known_took >= Duration::from_millis(300), "{known_took:?}");
    assert!(
        unknown_took >= Duration::from_millis(300),
        "{unknown_took:?}"
    );

    let known = app
        .post_plain_form(
            "/api/auth/password-reset/request",
            &[("email", "ada@example.com")],
            None,
        )
        .await;
    let unknown = app
        .post_plain_form(
            "/api/auth/password-reset/request",
            &[("email", "nobody@example.com")],
            None,
        )
        .await;
    assert_eq!(known.status, 303);
    assert_eq!(
        (known.header("location"), known.body.as_str()),
        (unknown.header("location"), unknown.body.as_str())
    );
    assert_eq!(known.header("location"), Some("/forgot-password?sent=1"));
    let page = app.get("/forgot-password?sent=1").await;
    assert!(page
        .body
        .contains("If an account exists for that address, we have sent a link"));

    assert_eq!(mails(&app, "reset_password").await, 2);
    let (to, _) = last_mail(&app, "reset_password").await;
    assert_eq!(to, "ada@example.com");

    // A third link this hour, then no more: same answer, no mail.
    for _ in 0..3 {
        let reply = app
            .post_form(
                "/api/auth/password-reset/request",
                &[("email", "ada@example.com")],
                None,
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(mails(&app, "reset_password").await, 3);

    let empty = app
        .post_form("/api/auth/password-reset/request", &[("email", " ")], None)
        .await;
    assert_eq!(empty.status, 422);
    let huge = "a".repeat(60_000) + "@example.com";
    let huge = app
        .post_form(
            "/api/auth/password-reset/request",
            &[("email", &huge)],
            None,
        )
        .await;
    assert_eq!(huge.status, 422);
}

#[tokio::test]
async fn a_reset_link_sets_the_password_ends_sessions_clears_the_lock_and_signs_in() {
    let app = TestApp::spawn_with(|config| {
        config.limits.backoff_base = Duration::from_secs(3600);
    })
    .await;
    let old_session = app.sign_up("ada@example.com").await;
    // A stranger locks the address.
    for _ in 0..8 {
        app.log_in("ada@example.com", "somebody guessing wrong")
            .await;
    }
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 429);

    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");

    // Opening the page changes nothing.
    let page = app.get(&format!("/reset-password?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("New password again"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));

    let differ = post_reset(&app, &token, NEW_PASSWORD, "something else", false).await;
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("PasswordsDiffer"), "{}", differ.body);
    let weak = post_reset(&app, &token, "passwordpassword", "passwordpassword", false).await;
    assert_eq!(weak.status, 422);

    let reset = post_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD, false).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(reset.body.contains("\"email_verified\":true"));
    let new_session = reset.cookie("session").expect("signed in");
    assert!(
        reset.cookie("device").is_some(),
        "this browser is trusted now"
    );

    let me = app.post_form("/api/auth/me", &[], Some(&old_session)).await;
    assert_eq!(me.body, "null", "the old session ended");
    let me = app.post_form("/api/auth/me", &[], Some(&new_session)).await;
    assert!(me.body.contains("ada@example.com"));

    // The lock is gone, the old password too.
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        app.log_in("ada@example.com", NEW_PASSWORD).await.status,
        200
    );

    let (to, notice) = last_mail(&app, "password_changed").await;
    assert_eq!(to, "ada@example.com");
    assert!(notice.contains("was changed"));
    assert!(!notice.contains(NEW_PASSWORD));
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE kind = 'password_reset'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(events, 1);

    // The link works once.
    let again = post_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD, false).await;
    assert_eq!(again.status, 410);
    let page = app.get(&format!("/reset-password?token={token}")).await;
    assert!(page
        .body
        .contains("This link has expired or was already used"));
    assert!(page.body.contains("href=\"/forgot-password\""));
}

#[tokio::test]
async fn a_reset_works_without_javascript() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.post_plain_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");

    let differ = post_reset(&app, &token, NEW_PASSWORD, "x", true).await;
    assert_eq!(differ.status, 303);
    let back = differ.header("location").unwrap();
    assert_eq!(back, format!("/reset-password?token={token}"));
    let echo = differ.cookie("form").expect("the error travels back");
    let page = app.get_with_cookie(back, &echo).await;
    assert!(page.body.contains("The two passwords differ"));
    assert!(
        !page.body.contains(NEW_PASSWORD),
        "passwords are never echoed"
    );

    let reset = post_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD, true).await;
    assert_eq!(reset.status, 303);
    assert_eq!(reset.header("location"), Some("/profile"));
    assert!(reset.cookie("session").is_some());
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");
    sqlx::query("UPDATE email_tokens SET expires_at = $1 - 1 WHERE purpose = 'reset'")
        .bind(crate::support::now())
        .execute(&app.db)
        .await
        .unwrap();
    let reply = post_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD, false).await;
    assert_eq!(reply.status, 410);
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn an_api_client_resets_with_the_token_and_one_password() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");
    let weak = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[("token", &token), ("password", "passwordpassword")],
            None,
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    let reply = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        app.log_in("ada@example.com", NEW_PASSWORD).await.status,
        200
    );
}
// ---- The local mailbox ----------------------------------------------------

#[tokio::test]
async fn the_local_mailbox_shows_mail_while_nothing_sends_it() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let key = &app.mailbox_key;
    let list = app.get(&format!("/dev/mailbox?key={key}")).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Confirm your email address"));
    assert!(list.body.contains("ada@example.com"));
    assert_eq!(list.header("cache-control"), Some("no-store"));
    assert_eq!(list.header("referrer-policy"), Some("no-referrer"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // The list links each mail with the key, and each mail back to the list.
    assert!(list
        .body
        .contains(&format!("href=\"/dev/mailbox/{id}?key={key}\"")));
    let mail = app.get(&format!("/dev/mailbox/{id}?key={key}")).await;
    assert_eq!(mail.status, 200);
    assert!(mail
        .body
        .contains(&format!("href=\"{}/verify-email?token=", app.origin())));
    assert!(mail
        .body
        .contains(&format!("href=\"/dev/mailbox?key={key}\"")));
    assert!(mail.body.contains("<iframe"));
    assert_eq!(
        app.get(&format!("/dev/mailbox/999?key={key}")).await.status,
        404
    );
}

#[tokio::test]
async fn the_local_mailbox_opens_only_with_the_key_of_this_start() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // A proxy can rewrite Host and send no forwarding header: the request
    // then looks local, and only the key tells the developer apart.
    let other = TestApp::spawn().await;
    assert_ne!(other.mailbox_key, app.mailbox_key, "a new key each start");
    // The key with its last character changed (to one it is not).
    let (kept, last) = app.mailbox_key.split_at(app.mailbox_key.len() - 1);
    let wrong = format!("{kept}{}", if last == "A" { "B" } else { "A" });
    for path in [
        "/dev/mailbox".to_owned(),
        format!("/dev/mailbox/{id}"),
        "/dev/mailbox?key=".to_owned(),
        format!("/dev/mailbox?key={}", other.mailbox_key),
        format!("/dev/mailbox/{id}?key={wrong}"),
    ] {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.contains("ada@example.com"), "{path}");
    }
}

#[tokio::test]
async fn the_local_mailbox_does_not_exist_when_mail_is_sent() {
    let app = TestApp::spawn_with(|config| {
        config.smtp = Some(leptos_accounts::server::config::SmtpUrl(
            "smtp://127.0.0.1:9".to_owned(),
        ));
    })
    .await;
    let key = &app.mailbox_key;
    assert_eq!(
        app.get(&format!("/dev/mailbox?key={key}")).await.status,
        404
    );
}

#[tokio::test]
async fn the_local_mailbox_is_not_served_through_a_proxy_or_for_a_public_site() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let path = format!("/dev/mailbox?key={}", app.mailbox_key);
    // A reverse proxy on the same machine reaches the loopback listener,
    // but says whom it forwards for, or names the public host.
    for (name, value) in [
        ("X-Forwarded-For", "203.0.113.7"),
        ("Forwarded", "for=203.0.113.7"),
        ("X-Real-IP", "203.0.113.7"),
        ("Host", "accounts.example"),
    ] {
        let reply = app
            .send(Call {
                method: "GET",
                path: &path,
                headers: vec![(name, value.to_owned())],
                body: None,
            })
            .await;
        assert_eq!(reply.status, 404, "{name}: {value}");
        assert!(!reply.body.contains("ada@example.com"));
    }
    // A public origin or a trusted proxy means the site is deployed.
    for deployed in [
        TestApp::spawn_with(|config| config.public_origin = "https://accounts.example".into())
            .await,
        TestApp::spawn_with(|config| config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await,
    ] {
        let key = &deployed.mailbox_key;
        assert_eq!(
            deployed
                .get(&format!("/dev/mailbox?key={key}"))
                .await
                .status,
            404
        );
    }
}

// ---- Delivery over SMTP ---------------------------------------------------

#[tokio::test]
async fn mail_goes_out_over_smtp_once() {
    let maildev = MailDev::start();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &dir.path().join("accounts.db"),
        &[
            ("SMTP_URL", maildev.smtp_url()),
            ("MAIL_FROM", "Accounts <accounts@example.com>".into()),
        ],
    );
    let body = format!(
        "email=ada%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    );
    assert_eq!(server.post("/api/auth/signup", &body), 200);
    let mails = maildev.wait_for("ada@example.com", 1);
    let mail = &mails[0];
    assert!(
        mail.subject.contains("Confirm your email address"),
        "{mail:?}"
    );
    assert!(mail.text.contains(&format!(
        "{}/verify-email?token=",
        // The site's default address names the machine (for passkeys).
        server.origin.replace("127.0.0.1", "localhost")
    )));
    assert!(mail.html.contains("<a href="));
    assert!(mail.message_id.contains("@example.com"), "{mail:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(maildev.wait_for("ada@example.com", 1).len(), 1, "sent once");
}

#[tokio::test]
async fn mail_committed_before_a_crash_is_delivered_after_the_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("accounts.db");
    // The mail server is down: the mail waits in the outbox for a retry.
    let smtp_port = crate::mail_server::free_port();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let server = ServerProcess::start(&database, &[("SMTP_URL", smtp_url.clone())]);
    let body = format!(
        "email=ada%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    );
    assert_eq!(server.post("/api/auth/signup", &body), 200);
    let db = sqlx::AnyPool::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (attempts, error): (i64, Option<String>) =
            sqlx::query_as("SELECT attempts, last_error FROM outbox")
                .fetch_one(&db)
                .await
                .unwrap();
        if attempts >= 1 {
            assert!(error.is_some());
            break;
        }
        assert!(Instant::now() < deadline, "the sender tried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();

    let maildev = MailDev::start_on(smtp_port);
    let server = ServerProcess::start(&database, &[("SMTP_URL", smtp_url)]);
    let mails = maildev.wait_for("ada@example.com", 1);
    assert!(mails[0].subject.contains("Confirm your email address"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(maildev.wait_for("ada@example.com", 1).len(), 1, "sent once");
    let sent: Option<i64> = sqlx::query_scalar("SELECT sent_at FROM outbox")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(sent.is_some());
    drop(server);
}

// ---- Verify-first sign-up --------------------------------------------------

async fn verify_first() -> TestApp {
    TestApp::spawn_with(|config| {
        config.signup_mode = leptos_accounts::accounts::SignUpMode::VerifyFirst;
    })
    .await
}

#[tokio::test]
async fn verify_first_starts_the_account_only_from_the_mailed_link() {
    let app = verify_first().await;
    let reply = app.sign_up_reply("ada@example.com").await;
    assert_eq!(reply.body, "null", "check your inbox");
    assert!(reply.cookie("session").is_none());
    assert_eq!(app.count("users").await, 0);
    let (to, text) = last_mail(&app, "verify_email").await;
    assert_eq!(to, "ada@example.com");
    let token = token_in(&text, &app.origin(), "/verify-email");
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 401);

    // Opening the link changes nothing.
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert!(page.body.contains("Confirm my email address"));
    assert_eq!(app.count("users").await, 0);

    // Starting the account needs the password chosen at sign-up: the
    // owner of an address someone else signed up with cannot start an
    // account that stranger could log in to.
    assert!(page
        .body
        .contains("the password you chose when you signed up"));
    let without = app
        .post_form("/api/auth/verify-email", &[("token", &token)], None)
        .await;
    assert_eq!(without.status, 422, "{}", without.body);
    assert!(
        without.body.contains("SignUpPasswordMissing"),
        "{}",
        without.body
    );
    let wrong = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("SignUpPasswordIncorrect"),
        "{}",
        wrong.body
    );
    assert_eq!(app.count("users").await, 0);

    let started = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("\"email_verified\":true"));
    let cookie = started.cookie("session").expect("signed in");
    let me = app.post_form("/api/auth/me", &[], Some(&cookie)).await;
    assert!(me.body.contains("ada@example.com"));
    assert!(verified(&app, "ada@example.com").await);
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);

    let again = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(again.status, 410);
    assert_eq!(app.count("users").await, 1);
}

/// A password is normalised (NFKC) when it is hashed at sign-up, so the
/// confirmation must normalise what is typed too: a no-break space or
/// full-width letters, typed the same way twice, start the account.
#[tokio::test]
async fn verify_first_accepts_the_password_typed_as_at_sign_up() {
    let app = verify_first().await;
    let chosen = "ｃｏｒｒｅｃｔ\u{a0}horse battery staple";
    let reply = app
        .post_form(
            "/api/auth/signup",
            &[
                ("email", "ada@example.com"),
                ("password", chosen),
                ("display_name", "Ada"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (_, text) = last_mail(&app, "verify_email").await;
    let token = token_in(&text, &app.origin(), "/verify-email");
    let started = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token), ("password", chosen)],
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.cookie("session").is_some(), "signed in");
    assert_eq!(app.log_in("ada@example.com", chosen).await.status, 200);
}

/// A stranger who signs up with someone's address again and again spends
/// their own network's allowance of links: the owner, from another
/// network, still gets a link, and it starts the account with the owner's
/// password.
#[tokio::test]
async fn verify_first_strangers_cannot_stop_the_owner_getting_a_link() {
    let app = TestApp::spawn_with(|config| {
        config.signup_mode = leptos_accounts::accounts::SignUpMode::VerifyFirst;
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..5 {
        let reply = app.sign_up_from("ada@example.com", "203.0.113.7").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let mails = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE kind = 'verify_email'")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(
        mails().await,
        3,
        "the stranger's network got its three links"
    );

    let owner = app
        .post_form_from(
            "/api/auth/signup",
            &[("email", "ada@example.com"), ("password", NEW_PASSWORD)],
            "198.51.100.9",
        )
        .await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(mails().await, 4, "the owner's link was written");
    let (to, text) = last_mail(&app, "verify_email").await;
    assert_eq!(to, "ada@example.com");
    let token = token_in(&text, &app.origin(), "/verify-email");
    let started = app
        .post_form(
            "/api/auth/verify-email",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(
        app.log_in("ada@example.com", NEW_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn verify_first_sign_up_does_not_tell_which_addresses_are_registered() {
    let app = verify_first().await;
    app.sign_up_reply("ada@example.com").await;
    let (_, text) = last_mail(&app, "verify_email").await;
    let token = token_in(&text, &app.origin(), "/verify-email");
    app.post_form(
        "/api/auth/verify-email",
        &[("token", &token), ("password", PASSWORD)],
        None,
    )
    .await;

    let started = Instant::now();
    let taken = app.try_sign_up("ADA@example.com", NEW_PASSWORD).await;
    let taken_took = started.elapsed();
    let started = Instant::now();
    let free = app.try_sign_up("bob@example.com", NEW_PASSWORD).await;
    let free_took = started.elapsed();
    assert_eq!((taken.status, &taken.body), (free.status, &free.body));
    assert_eq!(taken.status, 200);
    assert!(taken_took >= Duration::from_millis(300), "{taken_took:?}");
    assert!(free_took >= Duration::from_millis(300), "{free_took:?}");
    assert!(taken.cookie("session").is_none() && free.cookie("session").is_none());

    let (to, notice) = last_mail(&app, "sign_up_attempted").await;
    assert_eq!(to, "ada@example.com");
    assert!(notice.contains("already has an account"));
    assert!(!notice.contains("token="), "a notice, not a link");
    let (to, _) = last_mail(&app, "verify_email").await;
    assert_eq!(to, "bob@example.com");
    // The owner's password is untouched.
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);

    // Without JavaScript: the same 303 for both.
    let fields = |email| [("email", email), ("password", NEW_PASSWORD)];
    let taken = app
        .post_plain_form("/api/auth/signup", &fields("ada@example.com"), None)
        .await;
    let free = app
        .post_plain_form("/api/auth/signup", &fields("carol@example.com"), None)
        .await;
    assert_eq!(taken.status, 303);
    assert_eq!(taken.header("location"), Some("/signup?check=1"));
    assert_eq!(
        (taken.header("location"), taken.body.as_str()),
        (free.header("location"), free.body.as_str())
    );
    let page = app.get("/signup?check=1").await;
    assert!(page.body.contains("Check your inbox"));

    // Field problems are still said, for any address.
    let weak = app.try_sign_up("ada@example.com", "passwordpassword").await;
    assert_eq!(weak.status, 422);
}

#[tokio::test]
async fn with_the_mail_server_down_the_action_succeeds_and_the_mail_follows() {
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = crate::mail_server::free_port();
    let server = ServerProcess::start(
        &dir.path().join("accounts.db"),
        &[
            ("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
            ("MAIL_RETRY_SECONDS", "1".to_owned()),
        ],
    );
    let body = format!(
        "email=ada%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    );
    assert_eq!(server.post("/api/auth/signup", &body), 200, "sign-up works");
    assert_eq!(
        server.post(
            "/api/auth/password-reset/request",
            "email=ada%40example.com"
        ),
        200
    );
    std::thread::sleep(Duration::from_secs(2));
    // The mail server comes back: the waiting mail goes out, each once.
    let maildev = MailDev::start_on(smtp_port);
    let mails = maildev.wait_for("ada@example.com", 2);
    assert!(mails
        .iter()
        .any(|mail| mail.subject.contains("Confirm your email")));
    assert!(mails.iter().any(|mail| mail.subject.contains("Reset your")));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(maildev.wait_for("ada@example.com", 2).len(), 2, "each once");
    drop(server);
}
