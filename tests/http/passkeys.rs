//! Passkeys over HTTP, against the software authenticator in
//! `authenticator.rs`: adding one in settings, signing in with it (no
//! password, no code from an app), sudo mode with it, renaming and
//! removing, and what the server refuses: a replayed or foreign ceremony,
//! a passkey that did not verify its user, a cloned one, one for another
//! site, and passkeys on a site reached by an IP address.

use crate::{
    authenticator::SoftPasskey,
    email::last_mail,
    settings::{leave_sudo, user_id},
    support::{Reply, TestApp},
    two_factor::with_app,
};

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("JSON: {}", reply.body))
}

/// `{"ceremony", "options"}` from a `…/start` answer.
fn ceremony(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "start: {}", reply.body);
    let body = json(reply);
    (
        body["ceremony"].as_str().expect("ceremony").to_owned(),
        body["options"].as_str().expect("options").to_owned(),
    )
}

/// Adds a passkey named `name` for the signed-in `session`.
async fn add(app: &TestApp, session: &str, name: &str) -> (SoftPasskey, i64) {
    let start = app
        .post_form("/api/account/passkeys/add/start", &[], Some(session))
        .await;
    let (token, options) = ceremony(&start);
    let (passkey, answer) = SoftPasskey::create(&options, &app.origin());
    let reply = finish_adding(app, session, &token, name, &answer).await;
    assert_eq!(reply.status, 200, "add: {}", reply.body);
    let id = json(&reply)["id"].as_i64().expect("id");
    (passkey, id)
}

async fn finish_adding(
    app: &TestApp,
    session: &str,
    token: &str,
    name: &str,
    answer: &str,
) -> Reply {
    app.post_form(
        "/api/account/passkeys/add/finish",
        &[("ceremony", token), ("name", name), ("credential", answer)],
        Some(session),
    )
    .await
}

/// Signs in with `passkey` from a browser without cookies.
async fn log_in(app: &TestApp, passkey: &mut SoftPasskey) -> Reply {
    let (token, options) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    let answer = passkey.get(&options, &app.origin());
    finish_log_in(app, &token, &answer).await
}

async fn finish_log_in(app: &TestApp, token: &str, answer: &str) -> Reply {
    app.post_form(
        "/api/auth/passkey/finish",
        &[("ceremony", token), ("credential", answer)],
        None,
    )
    .await
}

async fn me(app: &TestApp, session: &str) -> serde_json::Value {
    json(&app.post_form("/api/auth/me", &[], Some(session)).await)
}

async fn events(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1) \
         ORDER BY id",
    )
    .bind(email)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_passkey_added_in_settings_signs_in_without_a_password_until_removed() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let (mut passkey, id) = add(&app, &session, "  Ada's laptop ").await;

    let list = json(
        &app.post_form("/api/account/passkeys", &[], Some(&session))
            .await,
    );
    assert_eq!(list["available"], true);
    assert_eq!(list["passkeys"][0]["name"], "Ada's laptop");
    assert_eq!(list["passkeys"][0]["last_used"], serde_json::Value::Null);
    let (to, text) = last_mail(&app, "second_factor_changed").await;
    assert_eq!(to, "ada@example.com");
    assert!(
        text.contains("A passkey named \"Ada's laptop\" was added"),
        "{text}"
    );

    let signed_in = log_in(&app, &mut passkey).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(json(&signed_in)["email"], "ada@example.com");
    let cookie = signed_in.cookie("session").expect("session cookie");
    assert_eq!(me(&app, &cookie).await["email"], "ada@example.com");
    let list = json(
        &app.post_form("/api/account/passkeys", &[], Some(&cookie))
            .await,
    );
    assert!(list["passkeys"][0]["last_used"].is_string(), "{list}");

    let removed = app
        .post_form(
            "/api/account/passkeys/remove",
            &[("id", &id.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let (_, text) = last_mail(&app, "second_factor_changed").await;
    assert!(text.contains("\"Ada's laptop\" was removed"), "{text}");
    let refused = log_in(&app, &mut passkey).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("PasskeyNotAccepted"),
        "{}",
        refused.body
    );
    assert!(refused.cookie("session").is_none());

    let events = events(&app, "ada@example.com").await;
    for event in ["passkey_added", "passkey_log_in", "passkey_removed"] {
        assert!(events.iter().any(|e| e == event), "{event} in {events:?}");
    }
}

#[tokio::test]
async fn a_passkey_is_both_factors_so_an_account_with_an_app_is_not_asked_for_a_code() {
    let app = TestApp::spawn().await;
    let (session, _phone, _codes) = with_app(&app, "grace@example.com").await;
    let (mut passkey, _) = add(&app, &session, "Phone").await;
    let reply = log_in(&app, &mut passkey).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.cookie("login").is_none());
    let cookie = reply.cookie("session").expect("signed in");
    assert_eq!(me(&app, &cookie).await["email"], "grace@example.com");
}

#[tokio::test]
async fn a_ceremony_works_once_for_its_purpose_and_session_and_not_after_it_expires() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ceremony@example.com").await;
    let other = app.sign_up("other@example.com").await;

    // A registration started by one session cannot be finished by another.
    let (token, options) = ceremony(
        &app.post_form("/api/account/passkeys/add/start", &[], Some(&session))
            .await,
    );
    let (_, answer) = SoftPasskey::create(&options, &app.origin());
    let foreign = finish_adding(&app, &other, &token, "Stolen", &answer).await;
    assert_eq!(foreign.status, 422, "{}", foreign.body);
    assert!(foreign.body.contains("PasskeyNotAccepted"));
    // ... and that attempt used it up.
    let again = finish_adding(&app, &session, &token, "Mine", &answer).await;
    assert_eq!(again.status, 422, "{}", again.body);

    let (mut passkey, _) = add(&app, &session, "Laptop").await;
    let (token, options) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    let answer = passkey.get(&options, &app.origin());
    assert_eq!(finish_log_in(&app, &token, &answer).await.status, 200);
    let replay = finish_log_in(&app, &token, &answer).await;
    assert_eq!(replay.status, 422, "replayed: {}", replay.body);

    // A log-in ceremony does not confirm sudo mode.
    let (token, options) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    let answer = passkey.get(&options, &app.origin());
    let wrong_purpose = app
        .post_form(
            "/api/account/sudo/passkey/finish",
            &[("ceremony", &token), ("credential", &answer)],
            Some(&session),
        )
        .await;
    assert_eq!(wrong_purpose.status, 422, "{}", wrong_purpose.body);

    let (token, options) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    sqlx::query("UPDATE passkey_ceremonies SET expires_at = 0")
        .execute(&app.db)
        .await
        .unwrap();
    let late = finish_log_in(&app, &token, &passkey.get(&options, &app.origin())).await;
    assert_eq!(late.status, 422, "expired: {}", late.body);
    assert_eq!(app.count("passkey_ceremonies").await, 0);
}

#[tokio::test]
async fn answers_that_do_not_verify_are_refused() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("careful@example.com").await;
    let (mut passkey, _) = add(&app, &session, "Key").await;

    // No user verification (no PIN or fingerprint): not a second factor.
    passkey.verifies_user = false;
    let unverified = log_in(&app, &mut passkey).await;
    assert_eq!(unverified.status, 422, "{}", unverified.body);
    passkey.verifies_user = true;

    // Signed for another site.
    let (token, options) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    let phished = passkey.get(&options, "https://accounts-example.evil");
    assert_eq!(finish_log_in(&app, &token, &phished).await.status, 422);

    // A clone: its signature counter goes back.
    let mut clone = passkey.clone();
    assert_eq!(log_in(&app, &mut passkey).await.status, 200);
    assert_eq!(log_in(&app, &mut passkey).await.status, 200);
    let cloned = log_in(&app, &mut clone).await;
    assert_eq!(cloned.status, 422, "clone accepted: {}", cloned.body);

    // Not JSON at all, and a passkey the site never saw.
    let (token, _) = ceremony(&app.post_form("/api/auth/passkey/start", &[], None).await);
    let garbage = finish_log_in(&app, &token, "<script>").await;
    assert_eq!(garbage.status, 422, "{}", garbage.body);
    assert!(!garbage.body.contains("serde"), "{}", garbage.body);
    let (token, options) = ceremony(
        &app.post_form("/api/account/passkeys/add/start", &[], Some(&session))
            .await,
    );
    let (mut stranger, _) = SoftPasskey::create(&options, &app.origin());
    drop(token);
    assert_eq!(log_in(&app, &mut stranger).await.status, 422);
    assert!(events(&app, "careful@example.com")
        .await
        .iter()
        .any(|event| event == "passkey_failed"));
}

#[tokio::test]
async fn a_passkey_confirms_sudo_mode_as_the_password_does() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("sudo@example.com").await;
    let (mut passkey, id) = add(&app, &session, "Laptop").await;
    leave_sudo(&app, "sudo@example.com").await;

    let refused = app
        .post_form("/api/account/passkeys/add/start", &[], Some(&session))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body, r#""SudoRequired""#);

    let (token, options) = ceremony(
        &app.post_form("/api/account/sudo/passkey/start", &[], Some(&session))
            .await,
    );
    assert!(options.contains(&passkey_id(&passkey)), "{options}");
    let answer = passkey.get(&options, &app.origin());
    let confirmed = app
        .post_form(
            "/api/account/sudo/passkey/finish",
            &[("ceremony", &token), ("credential", &answer)],
            Some(&session),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let renewed = confirmed.cookie("session").expect("renewed session");
    assert_ne!(renewed, session);
    // The old cookie no longer works; the new one is in sudo mode.
    assert_eq!(me(&app, &session).await, serde_json::Value::Null);
    let renamed = app
        .post_form(
            "/api/account/passkeys/rename",
            &[("id", &id.to_string()), ("name", "Work laptop")],
            Some(&renewed),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert!(events(&app, "sudo@example.com")
        .await
        .iter()
        .any(|event| event == "passkey_reauthenticated"));

    // Without a passkey, there is nothing to confirm with.
    let plain = app.sign_up("plain@example.com").await;
    let none = app
        .post_form("/api/account/sudo/passkey/start", &[], Some(&plain))
        .await;
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(none.body.contains("NoPasskey"));
}

fn passkey_id(passkey: &SoftPasskey) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    URL_SAFE_NO_PAD.encode(&passkey.credential_id)
}

#[tokio::test]
async fn names_are_checked_and_other_accounts_passkeys_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("names@example.com").await;
    let (token, options) = ceremony(
        &app.post_form("/api/account/passkeys/add/start", &[], Some(&session))
            .await,
    );
    let (_, answer) = SoftPasskey::create(&options, &app.origin());
    let unnamed = finish_adding(&app, &session, &token, "  ", &answer).await;
    assert_eq!(unnamed.status, 422, "{}", unnamed.body);
    assert!(unnamed.body.contains("PasskeyNameInvalid"));
    let (_, id) = add(&app, &session, "Key").await;
    let long = "x".repeat(61);
    let too_long = app
        .post_form(
            "/api/account/passkeys/rename",
            &[("id", &id.to_string()), ("name", &long)],
            Some(&session),
        )
        .await;
    assert_eq!(too_long.status, 422, "{}", too_long.body);

    let mallory = app.sign_up("mallory@example.com").await;
    for path in [
        "/api/account/passkeys/rename",
        "/api/account/passkeys/remove",
    ] {
        let reply = app
            .post_form(
                path,
                &[("id", &id.to_string()), ("name", "Mine now")],
                Some(&mallory),
            )
            .await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
    }
    for path in [
        "/api/account/passkeys",
        "/api/account/passkeys/add/start",
        "/api/account/sudo/passkey/start",
    ] {
        assert_eq!(app.post_form(path, &[], None).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn deleting_the_account_removes_its_passkeys() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("gone@example.com").await;
    let (mut passkey, _) = add(&app, &session, "Laptop").await;
    let id = user_id(&app, "gone@example.com").await;
    let deleted = app
        .post_form(
            "/api/account/delete",
            &[("confirm_email", "gone@example.com")],
            Some(&session),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    for table in ["passkeys", "passkey_handles"] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE user_id = $1"
        )))
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    assert_eq!(log_in(&app, &mut passkey).await.status, 422);
}

#[tokio::test]
async fn a_site_reached_by_an_ip_address_has_no_passkeys() {
    let app = TestApp::spawn_with(|config| {
        config.public_origin = format!("http://{}", config.leptos_options.site_addr);
    })
    .await;
    let session = app.sign_up("ip@example.com").await;
    let list = json(
        &app.post_form("/api/account/passkeys", &[], Some(&session))
            .await,
    );
    assert_eq!(list["available"], false);
    assert_eq!(
        app.post_form("/api/auth/passkey/start", &[], None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.post_form("/api/account/passkeys/add/start", &[], Some(&session))
            .await
            .status,
        404
    );
}

/// Every view of the log-in page starts a ceremony for the autofill; those
/// have a bucket of their own, so viewing the page never uses up the
/// network's log-ins (and log-ins do not stop the autofill).
#[tokio::test]
async fn log_in_page_views_do_not_use_up_log_ins() {
    let app = TestApp::spawn_with(|config| {
        config.limits.ip_burst = 2;
        config.limits.ip_per_minute = 1;
    })
    .await;
    for _ in 0..2 {
        let started = app.post_form("/api/auth/passkey/start", &[], None).await;
        assert_eq!(started.status, 200, "{}", started.body);
    }
    let refused = app.post_form("/api/auth/passkey/start", &[], None).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    // The network's log-in attempts are all there.
    for _ in 0..2 {
        let wrong = app
            .post_form(
                "/api/auth/login",
                &[
                    ("email", "nobody@example.com"),
                    ("password", "not the password"),
                ],
                None,
            )
            .await;
        assert_eq!(wrong.status, 401, "{}", wrong.body);
    }
}
