//! Account settings over HTTP: sudo mode, changing the password and the
//! email, sessions, and deleting the account.

use leptos_accounts::server::db::Backend;
use std::time::{Duration, Instant};

use leptos_accounts::server::{config::SmtpUrl, mailer};

use crate::{
    mail_server::MailDev,
    support::{Call, Reply, TestApp, PASSWORD},
};

const NEW_PASSWORD: &str = "quartz lantern drifting seaward";

/// A browser's user agent, so that the session list has a device to name.
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// The id of the account at `email`.
pub(crate) async fn user_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Makes every session of `email` older than sudo mode allows.
pub(crate) async fn leave_sudo(app: &TestApp, email: &str) {
    sqlx::query(
        "UPDATE sessions SET authenticated_at = 0 \
         WHERE user_id = (SELECT id FROM users WHERE email = $1)",
    )
    .bind(email)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Whether the session cookie still signs its browser in.
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let reply = app
        .post_form("/api/account/sessions", &[], Some(cookie))
        .await;
    match reply.status {
        200 => true,
        401 => false,
        status => panic!("sessions answered {status}: {}", reply.body),
    }
}

/// A second browser of `email`: a new session, from Firefox.
async fn second_browser(app: &TestApp, email: &str) -> String {
    let body = crate::support::encode_form(&[("email", email), ("password", PASSWORD)]);
    let reply = app
        .send(Call {
            method: "POST",
            path: "/api/auth/login",
            headers: vec![
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("accept", "application/json".to_owned()),
                ("origin", app.origin()),
                ("user-agent", FIREFOX.to_owned()),
            ],
            body: Some(body.into_bytes()),
        })
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.cookie("session").unwrap()
}

async fn events(app: &TestApp, user_id: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM audit_events WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

async fn mails_to(app: &TestApp, to: &str, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE recipient = $1 AND kind = $2 ORDER BY id",
    )
    .bind(to)
    .bind(kind)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

fn token_in(text: &str, path: &str) -> String {
    let start = text.find(&format!("{path}?token=")).expect("link in mail") + path.len() + 7;
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

// ---- Who may ---------------------------------------------------------------

#[tokio::test]
async fn every_settings_endpoint_needs_a_signed_in_user() {
    let app = TestApp::spawn().await;
    for (path, fields) in [
        ("/api/account/reauth", vec![("password", PASSWORD)]),
        (
            "/api/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        ),
        ("/api/account/email", vec![("new_email", "new@example.com")]),
        ("/api/account/sessions", vec![]),
        ("/api/account/sessions/revoke", vec![("id", "1")]),
        ("/api/account/sessions/revoke-others", vec![]),
        ("/api/account/email/pending", vec![]),
        ("/api/account/email/pending/cancel", vec![]),
        (
            "/api/account/delete",
            vec![("confirm_email", "ada@example.com")],
        ),
    ] {
        let reply = app.post_form(path, &fields, None).await;
        assert_eq!(reply.status, 401, "{path}: {}", reply.body);
        assert!(reply.body.contains("NotSignedIn"), "{path}");
    }
    let page = app.get("/settings").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=/settings"));
}

#[tokio::test]
async fn outside_sudo_mode_the_sensitive_actions_ask_for_the_password() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let other = second_browser(&app, "ada@example.com").await;
    leave_sudo(&app, "ada@example.com").await;
    for (path, fields) in [
        ("/api/account/email", vec![("new_email", "new@example.com")]),
        ("/api/account/sessions/revoke", vec![("id", "2")]),
        ("/api/account/sessions/revoke-others", vec![]),
        (
            "/api/account/delete",
            vec![("confirm_email", "ada@example.com")],
        ),
    ] {
        let reply = app.post_form(path, &fields, Some(&cookie)).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.body);
        assert!(
            reply.body.contains("SudoRequired"),
            "{path}: {}",
            reply.body
        );
    }
    // Nothing happened.
    assert!(signed_in(&app, &other).await);
    assert_eq!(app.count("users").await, 1);

    // A wrong password is refused as at log-in; the right one starts sudo
    // mode, and the action goes ahead without asking again.
    let wrong = app
        .post_form(
            "/api/account/reauth",
            &[("password", "not my password at all")],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("CurrentPasswordIncorrect"));
    let right = app
        .post_form(
            "/api/account/reauth",
            &[("password", PASSWORD)],
            Some(&cookie),
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.body);
    let cookie = renewed(&right, &cookie);
    let ended = app
        .post_form("/api/account/sessions/revoke-others", &[], Some(&cookie))
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(ended.body, "1");
    assert!(!signed_in(&app, &other).await);
    let id = user_id(&app, "ada@example.com").await;
    let kinds = events(&app, id).await;
    assert!(kinds.contains(&"reauthenticated".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"log_in_failed".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn the_password_can_come_with_the_action_itself() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let other = second_browser(&app, "ada@example.com").await;
    leave_sudo(&app, "ada@example.com").await;
    let wrong = app
        .post_form(
            "/api/account/sessions/revoke-others",
            &[("current_password", "wrong wrong wrong wrong")],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(signed_in(&app, &other).await);
    let right = app
        .post_form(
            "/api/account/sessions/revoke-others",
            &[("current_password", PASSWORD)],
            Some(&cookie),
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.body);
    assert!(!signed_in(&app, &other).await);
    assert!(signed_in(&app, &renewed(&right, &cookie)).await);
}

#[tokio::test]
async fn entering_the_password_again_counts_against_the_log_in_limits() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let reply = app
            .post_form(
                "/api/account/reauth",
                &[("password", "a wrong guess, again")],
                Some(&cookie),
            )
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(&statuses[..5], [422; 5], "{statuses:?}");
    assert_eq!(&statuses[5..], [429; 2], "{statuses:?}");
    // The same count stops log-ins on the address.
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 429);
}

// ---- Password ----------------------------------------------------------------

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_renews_this_one() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let other = second_browser(&app, "ada@example.com").await;
    let change = |current: &'static str, new: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.post_form(
                "/api/account/password",
                &[("current_password", current), ("new_password", new)],
                Some(&cookie),
            )
            .await
        }
    };
    let wrong = change("not the password at all", NEW_PASSWORD).await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("CurrentPasswordIncorrect"),
        "{}",
        wrong.body
    );
    let same = change(PASSWORD, PASSWORD).await;
    assert_eq!(same.status, 422);
    assert!(same.body.contains("PasswordUnchanged"), "{}", same.body);
    let weak = change(PASSWORD, "password").await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("PasswordTooShort"), "{}", weak.body);
    assert!(signed_in(&app, &other).await, "refusals change nothing");

    let changed = change(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(
        signed_in(&app, &renewed(&changed, &cookie)).await,
        "this browser stays, renewed"
    );
    assert!(!signed_in(&app, &other).await, "the other one is out");
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        app.log_in("ada@example.com", NEW_PASSWORD).await.status,
        200
    );
    let notices = mails_to(&app, "ada@example.com", "password_changed").await;
    assert_eq!(notices.len(), 1);
    assert!(!notices[0].contains(NEW_PASSWORD));
    let id = user_id(&app, "ada@example.com").await;
    assert!(events(&app, id)
        .await
        .contains(&"password_changed".to_owned()));
}

// ---- Email -------------------------------------------------------------------

#[tokio::test]
async fn a_new_address_counts_once_its_link_is_used() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let malformed = app
        .post_form(
            "/api/account/email",
            &[("new_email", "not an address")],
            Some(&cookie),
        )
        .await;
    assert_eq!(malformed.status, 422);
    let same = app
        .post_form(
            "/api/account/email",
            &[("new_email", "ADA@example.com")],
            Some(&cookie),
        )
        .await;
    assert_eq!(same.status, 422);
    assert!(same.body.contains("EmailUnchanged"), "{}", same.body);

    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", "ada@new.example")],
            Some(&cookie),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let mails = mails_to(&app, "ada@new.example", "confirm_email_change").await;
    assert_eq!(mails.len(), 1);
    let token = token_in(&mails[0], "/confirm-email");
    // Until the link is used, nothing changes; opening its page neither.
    let page = app.get(&format!("/confirm-email?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Use this email address"));
    // It names the account that asked, partly hidden.
    assert!(
        page.body.contains("a\u{2022}\u{2022}\u{2022}@example.com"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("ada@example.com"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);
    let other = second_browser(&app, "ada@example.com").await;

    let confirmed = app
        .post_form(
            "/api/account/email/confirm",
            &[("token", &token)],
            Some(&cookie),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    // The browser that used the link stays signed in; every other
    // session, made under the old address, ends.
    assert!(signed_in(&app, &cookie).await);
    assert!(!signed_in(&app, &other).await);
    assert!(confirmed.body.contains("\"email\":\"ada@new.example\""));
    assert!(confirmed.body.contains("\"email_verified\":true"));
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 401);
    assert_eq!(app.log_in("ADA@new.example", PASSWORD).await.status, 200);
    let notices = mails_to(&app, "ada@example.com", "email_changed").await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("a•••@new.example"), "{}", notices[0]);
    // Used up.
    let again = app
        .post_form("/api/account/email/confirm", &[("token", &token)], None)
        .await;
    assert_eq!(again.status, 410);
    let tampered = app
        .post_form(
            "/api/account/email/confirm",
            &[("token", &format!("{token}x"))],
            None,
        )
        .await;
    assert_eq!(tampered.status, 410);
    let id = user_id(&app, "ada@new.example").await;
    let kinds = events(&app, id).await;
    assert!(kinds.contains(&"email_change_requested".to_owned()));
    assert!(kinds.contains(&"email_changed".to_owned()));
}

#[tokio::test]
async fn a_new_password_spends_the_email_change_links_asked_before_it() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    // Whoever had a session asks to move the account to their address...
    for new_email in ["mallory@evil.example", "mallory2@evil.example"] {
        let asked = app
            .post_form(
                "/api/account/email",
                &[("new_email", new_email)],
                Some(&cookie),
            )
            .await;
        assert_eq!(asked.status, 200, "{}", asked.body);
    }
    let first = token_in(
        &mails_to(&app, "mallory@evil.example", "confirm_email_change").await[0],
        "/confirm-email",
    );
    let second = token_in(
        &mails_to(&app, "mallory2@evil.example", "confirm_email_change").await[0],
        "/confirm-email",
    );
    // ...and the owner changes the password, once through a reset link
    // and once in the settings.
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let reset = token_in(
        &mails_to(&app, "ada@example.com", "reset_password").await[0],
        "/reset-password",
    );
    let reply = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[("token", &reset), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let confirm = app
        .post_form("/api/account/email/confirm", &[("token", &first)], None)
        .await;
    assert_eq!(confirm.status, 410, "{}", confirm.body);

    let cookie = reply.cookie("session").unwrap();
    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", "mallory3@evil.example")],
            Some(&cookie),
        )
        .await;
    assert_eq!(asked.status, 200);
    let third = token_in(
        &mails_to(&app, "mallory3@evil.example", "confirm_email_change").await[0],
        "/confirm-email",
    );
    let changed = app
        .post_form(
            "/api/account/password",
            &[
                ("current_password", NEW_PASSWORD),
                ("new_password", PASSWORD),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    for token in [second, third] {
        let confirm = app
            .post_form("/api/account/email/confirm", &[("token", &token)], None)
            .await;
        assert_eq!(confirm.status, 410, "{}", confirm.body);
    }
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn nobody_can_flood_an_inbox_by_cycling_through_the_forms_that_mail_it() {
    let app = TestApp::spawn().await;
    // Sign up with someone's address and delete the account, again and
    // again: each round mails a verification link and a farewell, and
    // deleting the account deletes its mail, but not the count.
    for _ in 0..10 {
        let cookie = app.sign_up("victim@example.com").await;
        let deleted = app
            .post_form(
                "/api/account/delete",
                &[("confirm_email", "victim@example.com")],
                Some(&cookie),
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
    }
    // The tenth round's farewell is there: a security notice is never
    // held back. The eleventh link is not: ten links an hour per inbox.
    assert_eq!(
        mails_to(&app, "victim@example.com", "account_deleted")
            .await
            .len(),
        1
    );
    app.sign_up("victim@example.com").await;
    assert!(mails_to(&app, "victim@example.com", "verify_email")
        .await
        .is_empty());
    let buckets: Vec<String> = sqlx::query_scalar("SELECT key FROM rate_buckets")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(
        buckets.iter().all(|key| !key.contains("victim")),
        "counted under a pseudonym: {buckets:?}"
    );
    // Other recipients are not held back.
    app.sign_up("bob@example.com").await;
    assert_eq!(
        mails_to(&app, "bob@example.com", "verify_email")
            .await
            .len(),
        1
    );
}

/// Unsolicited mail has three budgets: per inbox (sub-addresses are their
/// inbox), per client network and for the whole site. Security notices
/// spend none and are written when all three are spent.
#[tokio::test]
async fn unsolicited_mail_is_budgeted_per_inbox_network_and_site_but_notices_always_go() {
    let app = TestApp::spawn_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.limits.mail_per_network_per_hour = 4;
        config.limits.mail_per_hour = 16;
    })
    .await;
    let links = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE kind = 'verify_email'")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    // Twelve sub-addresses of one inbox, each from its own network: ten.
    let mut victim = None;
    for n in 0..12 {
        let reply = app
            .sign_up_from(
                &format!("victim+{n}@example.com"),
                &format!("198.51.100.{n}"),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        victim.get_or_insert(reply.cookie("session").expect("signed in"));
    }
    assert_eq!(links().await, 10, "ten links an hour reach one inbox");
    // Six addresses from one network: its four.
    for n in 0..6 {
        let reply = app
            .sign_up_from(&format!("user{n}@example.com"), "203.0.113.7")
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(links().await, 14, "four from one network");
    // The site's sixteen, whoever asks.
    for n in 0..4 {
        app.sign_up_from(&format!("other{n}@example.com"), &format!("192.0.2.{n}"))
            .await;
    }
    assert_eq!(links().await, 16, "sixteen in all");

    // The owner of the inbox changes a password: the notice is written.
    let changed = app
        .post_form(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            victim.as_deref(),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        mails_to(&app, "victim+0@example.com", "password_changed")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_no_mail() {
    let app = TestApp::spawn().await;
    app.sign_up("bob@example.com").await;
    let cookie = app.sign_up("ada@example.com").await;
    let mut answers = Vec::new();
    for new_email in ["BOB@example.com", "free@example.com"] {
        let started = Instant::now();
        let reply = app
            .post_form(
                "/api/account/email",
                &[("new_email", new_email)],
                Some(&cookie),
            )
            .await;
        answers.push((reply.status, reply.body, started.elapsed()));
    }
    let (taken, free) = (&answers[0], &answers[1]);
    assert_eq!((taken.0, &taken.1), (free.0, &free.1));
    assert_eq!(taken.0, 200);
    let gap = taken.2.abs_diff(free.2);
    assert!(
        gap < Duration::from_millis(150),
        "{:?} vs {:?}",
        taken.2,
        free.2
    );
    assert!(mails_to(&app, "bob@example.com", "confirm_email_change")
        .await
        .is_empty());
    assert_eq!(
        mails_to(&app, "free@example.com", "confirm_email_change")
            .await
            .len(),
        1
    );
    // Taken and free addresses count alike towards the hourly limit.
    {
        let reply = app
            .post_form(
                "/api/account/email",
                &[("new_email", "bob@example.com")],
                Some(&cookie),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    let limited = app
        .post_form(
            "/api/account/email",
            &[("new_email", "other@example.com")],
            Some(&cookie),
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
}

#[tokio::test]
async fn two_accounts_confirming_the_same_new_address_cannot_both_have_it() {
    let app = TestApp::spawn().await;
    let ada = app.sign_up("ada@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    for cookie in [&ada, &bob] {
        let reply = app
            .post_form(
                "/api/account/email",
                &[("new_email", "shared@example.com")],
                Some(cookie),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    let links = mails_to(&app, "shared@example.com", "confirm_email_change").await;
    assert_eq!(links.len(), 2);
    let tokens: Vec<String> = links
        .iter()
        .map(|text| token_in(text, "/confirm-email"))
        .collect();
    // Both links used at the same moment: exactly one wins.
    let first_fields = [("token", tokens[0].as_str())];
    let second_fields = [("token", tokens[1].as_str())];
    let (first, second) = tokio::join!(
        app.post_form("/api/account/email/confirm", &first_fields, None),
        app.post_form("/api/account/email/confirm", &second_fields, None),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", first.body, second.body);
    let owners: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email_key = 'shared@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(owners, 1);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE email IN ('ada@example.com', 'bob@example.com')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(kept, 1, "the loser keeps its address");
}

// ---- Sessions ------------------------------------------------------------------

#[tokio::test]
async fn sessions_are_listed_and_ended_one_at_a_time() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let firefox = second_browser(&app, "ada@example.com").await;
    let bob = app.sign_up("bob@example.com").await;

    let list = app
        .post_form("/api/account/sessions", &[], Some(&cookie))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let sessions: Vec<serde_json::Value> = serde_json::from_str(&list.body).unwrap();
    assert_eq!(sessions.len(), 2, "{}", list.body);
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[1]["current"], false);
    assert_eq!(sessions[1]["device"], "Firefox 133 on Linux");
    assert_eq!(sessions[1]["ip"], "127.0.0.1");
    for field in ["created", "last_seen"] {
        let at = sessions[1][field].as_str().unwrap();
        assert!(
            at.len() == 20 && at.ends_with('Z') && at.contains('T'),
            "{at}"
        );
    }
    let firefox_id = sessions[1]["id"].as_i64().unwrap();

    // Another account's session, an unknown one and nonsense: 404 alike.
    let bob_list = app
        .post_form("/api/account/sessions", &[], Some(&bob))
        .await;
    let bob_sessions: Vec<serde_json::Value> = serde_json::from_str(&bob_list.body).unwrap();
    let bob_id = bob_sessions[0]["id"].as_i64().unwrap().to_string();
    for id in [bob_id.as_str(), "999999", "abc"] {
        let reply = app
            .post_form("/api/account/sessions/revoke", &[("id", id)], Some(&cookie))
            .await;
        assert_eq!(reply.status, 404, "{id}: {}", reply.body);
    }
    assert!(signed_in(&app, &bob).await);

    let ended = app
        .post_form(
            "/api/account/sessions/revoke",
            &[("id", &firefox_id.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    // Refused at its very next request, page or API.
    assert!(!signed_in(&app, &firefox).await);
    let page = app.get_with_cookie("/profile", &firefox).await;
    assert_eq!(page.status, 303);
    assert!(signed_in(&app, &cookie).await);
    let id = user_id(&app, "ada@example.com").await;
    assert!(events(&app, id).await.contains(&"session_ended".to_owned()));
    let activity = app
        .post_form("/api/profile/activity", &[], Some(&cookie))
        .await;
    assert!(
        activity.body.contains("Signed out another browser"),
        "{}",
        activity.body
    );
}

// ---- Deleting the account --------------------------------------------------------

/// Every value in every table, as text, with its table and column.
async fn every_value(app: &TestApp) -> Vec<(String, String, String)> {
    let postgres = crate::support::backend() == Backend::Postgres;
    let tables: Vec<String> = sqlx::query_scalar(if postgres {
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'"
    })
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut values = Vec::new();
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(if postgres {
            format!(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}'"
            )
        } else {
            format!("SELECT name, type FROM pragma_table_info('{table}')")
        }))
        .fetch_all(&app.db)
        .await
        .unwrap();
        for (column, kind) in columns {
            let cell = match kind.as_str() {
                "BLOB" => format!("hex(\"{column}\")"),
                "bytea" => format!("upper(encode(\"{column}\", 'hex'))"),
                _ => format!("CAST(\"{column}\" AS TEXT)"),
            };
            let cells: Vec<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {cell} FROM \"{table}\""
            )))
            .fetch_all(&app.db)
            .await
            .unwrap();
            for cell in cells.into_iter().flatten() {
                values.push((table.clone(), column.clone(), cell));
            }
        }
    }
    values
}

#[tokio::test]
async fn deleting_the_account_leaves_no_row_that_names_it() {
    let maildev = MailDev::start();
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let other = second_browser(&app, "ada@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let id = user_id(&app, "ada@example.com").await;
    // Leave traces everywhere: failed log-ins, links, mail, a pending
    // email change, profile changes.
    app.log_in("ada@example.com", "wrong wrong wrong wrong")
        .await;
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    app.post_form(
        "/api/account/email",
        &[("new_email", "ada@new.example")],
        Some(&cookie),
    )
    .await;
    app.post_form(
        "/api/profile/display-name",
        &[("display_name", "Ada L")],
        Some(&cookie),
    )
    .await;

    let wrong = app
        .post_form(
            "/api/account/delete",
            &[("confirm_email", "bob@example.com")],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("ConfirmEmailDiffers"), "{}", wrong.body);
    let deleted = app
        .post_form(
            "/api/account/delete",
            &[("confirm_email", " ADA@example.com ")],
            Some(&cookie),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.set_cookie("session").unwrap().contains("Max-Age=0"));
    assert!(!signed_in(&app, &cookie).await);
    assert!(!signed_in(&app, &other).await);
    assert!(signed_in(&app, &bob).await, "other accounts are untouched");

    // The farewell is the only row left that names the account, and it
    // goes once sent.
    let names_ada = |(table, column, value): &(String, String, String)| {
        let lower = value.to_lowercase();
        lower.contains("ada@")
            || lower.contains("ada l")
            || (column == "user_id" && value == &id.to_string())
            || (table == "users" && column == "id" && value == &id.to_string())
            || lower.starts_with(&format!("device:{id}:"))
            || lower == format!("profile:{id}")
    };
    let left: Vec<_> = every_value(&app)
        .await
        .into_iter()
        .filter(names_ada)
        .collect();
    assert!(
        left.iter().all(|(table, _, _)| table == "outbox"),
        "{left:?}"
    );
    let farewell = mails_to(&app, "ada@example.com", "account_deleted").await;
    assert_eq!(farewell.len(), 1, "{left:?}");
    let sender = mailer::Sender::new(
        &SmtpUrl(maildev.smtp_url()),
        "Accounts <accounts@example.com>",
        Duration::from_secs(30),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    while mailer::deliver_due(&app.db, &sender, now).await.unwrap() {}
    let received = maildev.wait_for("ada@example.com", 1);
    assert!(received
        .iter()
        .any(|mail| mail.subject.contains("account was deleted")));
    let left: Vec<_> = every_value(&app)
        .await
        .into_iter()
        .filter(names_ada)
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let anonymous: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE kind = 'account_deleted' AND user_id IS NULL \
         AND ip = '' AND user_agent = ''",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(anonymous, 1);

    // The address can sign up again, as a new account with a new id.
    let again = app.sign_up_reply("ada@example.com").await;
    assert_eq!(again.status, 200);
    assert!(user_id(&app, "ada@example.com").await > id);
}

#[tokio::test]
async fn a_deleted_account_id_is_never_given_out_again() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let id = user_id(&app, "ada@example.com").await;
    let reply = app
        .post_form(
            "/api/account/delete",
            &[("confirm_email", "ada@example.com")],
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Ada was the newest account: SQLite alone would hand her id out again.
    app.sign_up("bob@example.com").await;
    assert!(user_id(&app, "bob@example.com").await > id);
}

// ---- Without JavaScript ------------------------------------------------------------

#[tokio::test]
async fn a_plain_form_that_needs_the_password_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    leave_sudo(&app, "ada@example.com").await;
    let reply = app
        .post_plain_form(
            "/api/account/email",
            &[("new_email", "ada@new.example")],
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/settings#email"));
    let echo = reply.cookie("form").unwrap();
    let page = app
        .get_with_cookie("/settings", &format!("{cookie}; {echo}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("enter your password again"),
        "asks for it"
    );
    assert!(page.body.contains("name=\"current_password\""));
    assert!(
        page.body.contains("value=\"ada@new.example\""),
        "keeps the address"
    );

    let done = app
        .post_plain_form(
            "/api/account/email",
            &[
                ("new_email", "ada@new.example"),
                ("current_password", PASSWORD),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), Some("/settings?sent=email#email"));
    // The password renewed the session: the redirect carries the new cookie.
    let cookie = renewed(&done, &cookie);
    let page = app.get_with_cookie("/settings?sent=email", &cookie).await;
    assert!(page.body.contains("We sent a link to the new address"));
}

#[tokio::test]
async fn the_settings_page_lists_this_browser_first() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    second_browser(&app, "ada@example.com").await;
    let page: Reply = app.get_with_cookie("/settings", &cookie).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let this = page.body.find("This browser").expect("marked");
    let firefox = page.body.find("Firefox 133 on Linux").expect("listed");
    assert!(this < firefox);
    assert!(page.body.contains("Sign out everywhere else"));
}

// ---- Entering the password renews the session -------------------------------

/// The new session cookie an answer set, checked to differ from `old`.
fn renewed(reply: &Reply, old: &str) -> String {
    let new = reply
        .cookie("session")
        .unwrap_or_else(|| panic!("a new session cookie: {reply:?}"));
    assert_ne!(new, old, "a new token");
    new
}

#[tokio::test]
async fn entering_the_password_again_renews_the_session_and_a_copied_cookie_gains_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up("ada@example.com").await;
    // A thief copied the cookie; the owner's sudo mode lapses.
    let thief = owner.clone();
    leave_sudo(&app, "ada@example.com").await;
    let reply = app
        .post_form(
            "/api/account/reauth",
            &[("password", PASSWORD)],
            Some(&owner),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let owner = renewed(&reply, &thief);
    assert!(signed_in(&app, &owner).await);
    assert!(!signed_in(&app, &thief).await, "the copy is signed out");
    assert_eq!(app.count("sessions").await, 1, "the old row is gone");
    // Sudo mode belongs to the new token.
    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", "mallory@evil.example")],
            Some(&thief),
        )
        .await;
    assert_eq!(asked.status, 401, "{}", asked.body);
    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", "ada@new.example")],
            Some(&owner),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.cookie("session").is_none(),
        "in sudo mode: no renewal"
    );
}

#[tokio::test]
async fn a_password_entered_inline_renews_the_session_it_keeps() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up("ada@example.com").await;
    let elsewhere = second_browser(&app, "ada@example.com").await;
    let thief = owner.clone();
    leave_sudo(&app, "ada@example.com").await;
    let reply = app
        .post_form(
            "/api/account/sessions/revoke-others",
            &[("current_password", PASSWORD)],
            Some(&owner),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "1", "the other browser's session ended");
    let owner = renewed(&reply, &thief);
    assert!(signed_in(&app, &owner).await, "the renewed session stays");
    assert!(!signed_in(&app, &thief).await);
    assert!(!signed_in(&app, &elsewhere).await);
    assert_eq!(app.count("sessions").await, 1);
}

#[tokio::test]
async fn changing_the_password_signs_out_every_copy_of_the_cookie() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up("ada@example.com").await;
    let thief = owner.clone();
    let reply = app
        .post_form(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&owner),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let owner = renewed(&reply, &thief);
    assert!(signed_in(&app, &owner).await);
    assert!(!signed_in(&app, &thief).await, "the thief is signed out");
    assert_eq!(app.count("sessions").await, 1);
}

#[tokio::test]
async fn asking_again_and_again_for_sudo_mode_is_audited_and_paused() {
    let app = TestApp::spawn_with(|config| {
        config.limits.ip_burst = 3;
        config.limits.ip_per_minute = 1;
    })
    .await;
    let cookie = app.sign_up("ada@example.com").await;
    let user = user_id(&app, "ada@example.com").await;
    leave_sudo(&app, "ada@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let reply = app
            .post_form(
                "/api/account/email",
                &[("new_email", "mallory@evil.example")],
                Some(&cookie),
            )
            .await;
        statuses.push(reply.status);
    }
    // The sign-up took one of the three; two 403s, then paused.
    assert_eq!(statuses, [403, 403, 429, 429]);
    let asked = events(&app, user)
        .await
        .into_iter()
        .filter(|kind| kind == "sudo_required")
        .count();
    assert_eq!(asked, 2, "each 403 is in the account's activity");
}

// ---- The outbox keeps no usable token -----------------------------------------

/// The tokens of the one-time links in `text`.
fn link_tokens(text: &str) -> Vec<String> {
    text.split("?token=")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

/// Delivers every due mail of `app` to MailDev.
async fn deliver_all(app: &TestApp, maildev: &MailDev) {
    let sender = mailer::Sender::new(
        &SmtpUrl(maildev.smtp_url()),
        "Accounts <accounts@example.com>",
        Duration::from_secs(30),
    )
    .unwrap();
    while mailer::deliver_due(&app.db, &sender, crate::support::now())
        .await
        .unwrap()
    {}
}

#[tokio::test]
async fn once_mail_is_delivered_no_table_holds_a_usable_token() {
    let maildev = MailDev::start();
    // Verification, reset and email-change links on an open site.
    let open = TestApp::spawn().await;
    let cookie = open.sign_up("ada@example.com").await;
    open.post_form(
        "/api/auth/password-reset/request",
        &[("email", "ada@example.com")],
        None,
    )
    .await;
    let asked = open
        .post_form(
            "/api/account/email",
            &[("new_email", "ada@new.example")],
            Some(&cookie),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    // A verify-first sign-up's link.
    let verify_first = TestApp::spawn_with(|config| {
        config.signup_mode = leptos_accounts::accounts::SignUpMode::VerifyFirst;
    })
    .await;
    verify_first.sign_up_reply("bob@example.com").await;

    for (app, inboxes, with_links) in [
        // Ada's inbox: the verification and reset links, and the notice
        // of the change with its cancel link; the new address: the
        // change's link.
        (
            &open,
            vec![("ada@example.com", 3), ("ada@new.example", 1)],
            4,
        ),
        (&verify_first, vec![("bob@example.com", 1)], 1),
    ] {
        deliver_all(app, &maildev).await;
        let mut tokens = Vec::new();
        for (to, count) in inboxes {
            for mail in maildev.wait_for(to, count) {
                tokens.extend(link_tokens(&mail.text));
                tokens.extend(link_tokens(&mail.html));
            }
        }
        assert!(
            tokens.len() >= 2 * with_links,
            "each link, in text and HTML: {tokens:?}"
        );
        assert!(tokens.iter().all(|token| token.len() == 43), "{tokens:?}");
        let unsettled: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(unsettled, 0);
        let found: Vec<_> = every_value(app)
            .await
            .into_iter()
            .filter(|(_, _, value)| tokens.iter().any(|token| value.contains(&token[..16])))
            .collect();
        assert!(found.is_empty(), "tokens in the database: {found:?}");
    }

    // The links in the inbox still work: the reset sets a new password.
    let reset = maildev
        .wait_for("ada@example.com", 3)
        .into_iter()
        .find(|mail| mail.text.contains("/reset-password?token="))
        .expect("the reset mail");
    let token = link_tokens(&reset.text).remove(0);
    let reply = open
        .post_form(
            "/api/auth/password-reset/confirm",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn ending_sessions_spends_a_pending_email_change() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    for (n, ending) in ["every other session", "one session"].iter().enumerate() {
        let new_email = format!("ada{n}@new.example");
        let asked = app
            .post_form(
                "/api/account/email",
                &[("new_email", &new_email)],
                Some(&cookie),
            )
            .await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        let token = token_in(
            &mails_to(&app, &new_email, "confirm_email_change").await[0],
            "/confirm-email",
        );
        let cancel = token_in(
            mails_to(&app, "ada@example.com", "email_change_requested")
                .await
                .last()
                .unwrap(),
            "/cancel-email-change",
        );
        let ended = if n == 0 {
            app.post_form("/api/account/sessions/revoke-others", &[], Some(&cookie))
                .await
        } else {
            second_browser(&app, "ada@example.com").await;
            let id: i64 = sqlx::query_scalar("SELECT max(id) FROM sessions")
                .fetch_one(&app.db)
                .await
                .unwrap();
            app.post_form(
                "/api/account/sessions/revoke",
                &[("id", &id.to_string())],
                Some(&cookie),
            )
            .await
        };
        assert_eq!(ended.status, 200, "{ending}: {}", ended.body);
        let confirm = app
            .post_form("/api/account/email/confirm", &[("token", &token)], None)
            .await;
        assert_eq!(confirm.status, 410, "{ending}: {}", confirm.body);
        let cancel = app
            .post_form("/api/account/email/cancel", &[("token", &cancel)], None)
            .await;
        assert_eq!(cancel.status, 410, "nothing is left to cancel: {ending}");
    }
    assert!(signed_in(&app, &cookie).await);
}

#[tokio::test]
async fn the_current_address_hears_of_a_change_and_the_new_one_learns_which_account_asked() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", "ada@new.example")],
            Some(&cookie),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let notice = mails_to(&app, "ada@example.com", "email_change_requested").await;
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].contains("a\u{2022}\u{2022}\u{2022}@new.example"),
        "{}",
        notice[0]
    );
    assert!(!notice[0].contains("ada@new.example"), "{}", notice[0]);
    // Its one link cancels the change; none confirms it.
    assert_eq!(link_tokens(&notice[0]).len(), 1, "{}", notice[0]);
    assert!(notice[0].contains("/cancel-email-change?token="));
    assert!(!notice[0].contains("/confirm-email"), "{}", notice[0]);
    let link = &mails_to(&app, "ada@new.example", "confirm_email_change").await[0];
    assert!(
        link.contains("a\u{2022}\u{2022}\u{2022}@example.com"),
        "{link}"
    );
    assert!(!link.contains("ada@example.com"), "{link}");
}

// ---- Cancelling a change of address ---------------------------------------------

/// Asks, signed in as `cookie`, to move the account to `new_email`; returns
/// the tokens of the confirmation link (to the new address) and of the
/// cancel link (in the notice to the current address, `current`).
async fn ask_email_change(
    app: &TestApp,
    cookie: &str,
    current: &str,
    new_email: &str,
) -> (String, String) {
    let asked = app
        .post_form(
            "/api/account/email",
            &[("new_email", new_email)],
            Some(cookie),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let confirm = token_in(
        mails_to(app, new_email, "confirm_email_change")
            .await
            .last()
            .expect("the link to the new address"),
        "/confirm-email",
    );
    let cancel = token_in(
        mails_to(app, current, "email_change_requested")
            .await
            .last()
            .expect("the notice to the current address"),
        "/cancel-email-change",
    );
    (confirm, cancel)
}

#[tokio::test]
async fn the_current_address_cancels_a_change_through_the_link_in_its_notice() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let (first, _) =
        ask_email_change(&app, &cookie, "ada@example.com", "mallory@evil.example").await;
    let (second, cancel) =
        ask_email_change(&app, &cookie, "ada@example.com", "mallory2@evil.example").await;
    // Opening the page changes nothing: mail scanners open links.
    let page = app
        .get(&format!("/cancel-email-change?token={cancel}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Cancel the change"), "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    // A confirmation link is not a cancel link, nor the other way round.
    let wrong = app
        .post_form("/api/account/email/cancel", &[("token", &first)], None)
        .await;
    assert_eq!(wrong.status, 410, "{}", wrong.body);
    let wrong = app
        .post_form("/api/account/email/confirm", &[("token", &cancel)], None)
        .await;
    assert_eq!(wrong.status, 410, "{}", wrong.body);

    // No session needed: the link proves the address. Every pending
    // change ends, not only the one it was mailed for.
    let cancelled = app
        .post_form("/api/account/email/cancel", &[("token", &cancel)], None)
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    for token in [&first, &second] {
        let confirm = app
            .post_form("/api/account/email/confirm", &[("token", token)], None)
            .await;
        assert_eq!(confirm.status, 410, "{}", confirm.body);
    }
    let again = app
        .post_form("/api/account/email/cancel", &[("token", &cancel)], None)
        .await;
    assert_eq!(again.status, 410, "used once");
    let page = app
        .get(&format!("/cancel-email-change?token={cancel}"))
        .await;
    assert!(
        page.body.contains("expired or was already used"),
        "{}",
        page.body
    );
    for junk in ["", "not-a-token", &format!("{cancel}x")] {
        let reply = app
            .post_form("/api/account/email/cancel", &[("token", junk)], None)
            .await;
        assert_eq!(reply.status, 410, "{junk:?}: {}", reply.body);
    }
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 200);
    let id = user_id(&app, "ada@example.com").await;
    assert!(events(&app, id)
        .await
        .contains(&"email_change_cancelled".to_owned()));
    // The session that asked is not ended by the cancel link: ending
    // sessions is the password's job, which the notice points to.
    assert!(signed_in(&app, &cookie).await);
}

#[tokio::test]
async fn a_confirmed_change_leaves_no_cancel_link_and_a_cancelled_one_no_confirm_link() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let (confirm, cancel) =
        ask_email_change(&app, &cookie, "ada@example.com", "ada@new.example").await;
    let confirmed = app
        .post_form("/api/account/email/confirm", &[("token", &confirm)], None)
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let late = app
        .post_form("/api/account/email/cancel", &[("token", &cancel)], None)
        .await;
    assert_eq!(late.status, 410, "{}", late.body);
    assert_eq!(app.log_in("ada@new.example", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn settings_list_the_pending_changes_and_cancel_them() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let none = app
        .post_form("/api/account/email/pending", &[], Some(&cookie))
        .await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(none.body, "[]");
    let (first, cancel) =
        ask_email_change(&app, &cookie, "ada@example.com", "ada@new.example").await;
    let (second, _) = ask_email_change(&app, &cookie, "ada@example.com", "ada@other.example").await;
    // The same address asked twice is listed once.
    ask_email_change(&app, &cookie, "ada@example.com", "ada@other.example").await;
    let listed = app
        .post_form("/api/account/email/pending", &[], Some(&cookie))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    let emails: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2, "{listed}");
    assert!(emails.contains(&"ada@new.example") && emails.contains(&"ada@other.example"));
    let expires = listed[0]["expires"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");
    // The settings page shows them, with the button.
    let page = app.get_with_cookie("/settings", &cookie).await;
    assert!(page.body.contains("ada@other.example"), "{}", page.body);
    assert!(page.body.contains("Cancel the change"));

    // Another account cannot see or cancel them.
    let bob = app.sign_up("bob@example.com").await;
    let theirs = app
        .post_form("/api/account/email/pending", &[], Some(&bob))
        .await;
    assert_eq!(theirs.body, "[]");
    app.post_form("/api/account/email/pending/cancel", &[], Some(&bob))
        .await;
    assert_eq!(
        app.post_form("/api/account/email/pending", &[], Some(&cookie))
            .await
            .body
            .matches("\"email\"")
            .count(),
        2
    );

    // Cancelling needs no password: it only keeps the account as it is.
    leave_sudo(&app, "ada@example.com").await;
    let cancelled = app
        .post_form("/api/account/email/pending/cancel", &[], Some(&cookie))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let after = app
        .post_form("/api/account/email/pending", &[], Some(&cookie))
        .await;
    assert_eq!(after.body, "[]");
    for token in [&first, &second] {
        let confirm = app
            .post_form("/api/account/email/confirm", &[("token", token)], None)
            .await;
        assert_eq!(confirm.status, 410, "{}", confirm.body);
    }
    let cancel_link = app
        .post_form("/api/account/email/cancel", &[("token", &cancel)], None)
        .await;
    assert_eq!(cancel_link.status, 410, "nothing is left to cancel");
    let id = user_id(&app, "ada@example.com").await;
    assert!(events(&app, id)
        .await
        .contains(&"email_change_cancelled".to_owned()));
}

#[tokio::test]
async fn without_javascript_cancelling_a_change_is_a_form_post_and_a_redirect() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let (_, cancel) = ask_email_change(&app, &cookie, "ada@example.com", "ada@new.example").await;
    let from_settings = app
        .post_plain_form("/api/account/email/pending/cancel", &[], Some(&cookie))
        .await;
    assert_eq!(from_settings.status, 303, "{}", from_settings.body);
    assert_eq!(
        from_settings.header("location"),
        Some("/settings?cancelled=email#email")
    );
    let page = app
        .get_with_cookie("/settings?cancelled=email", &cookie)
        .await;
    assert!(
        page.body.contains("The change of address was cancelled"),
        "{}",
        page.body
    );

    let (_, cancel_again) =
        ask_email_change(&app, &cookie, "ada@example.com", "ada@new.example").await;
    assert_ne!(cancel, cancel_again);
    let by_link = app
        .post_plain_form(
            "/api/account/email/cancel",
            &[("token", &cancel_again)],
            None,
        )
        .await;
    assert_eq!(by_link.status, 303);
    assert_eq!(
        by_link.header("location"),
        Some("/cancel-email-change?cancelled=1")
    );
    let page = app.get("/cancel-email-change?cancelled=1").await;
    assert!(
        page.body.contains("The change is cancelled"),
        "{}",
        page.body
    );
    // A used link sends the form back to its page, which says so.
    let used = app
        .post_plain_form(
            "/api/account/email/cancel",
            &[("token", &cancel_again)],
            None,
        )
        .await;
    assert_eq!(used.status, 303);
    let back = used.header("location").unwrap().to_owned();
    assert!(back.starts_with("/cancel-email-change?token="), "{back}");
}
