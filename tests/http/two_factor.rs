//! Two-step log-in over HTTP: an authenticator app (TOTP) turned on in
//! settings, the log-in's second step, recovery codes, the limits on wrong
//! codes, password reset, sudo mode and deletion. Codes are computed here
//! with `totp-rs` from the secret the server hands out, as an app would.

use crate::{
    email::{last_mail, token_in},
    settings::user_id,
    support::{now, Reply, TestApp, PASSWORD},
};

/// The account's app, as the test holds it: the secret the server gave.
pub(crate) struct App {
    secret: Vec<u8>,
}

impl App {
    pub(crate) fn code_at(&self, time: i64) -> String {
        totp_rs::Builder::new()
            .with_secret(self.secret.clone())
            .build_noncompliant()
            .generate(time as u64)
            .to_string()
    }

    fn code(&self) -> String {
        self.code_at(now())
    }
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("JSON: {}", reply.body))
}

/// Starts setting up an app for the signed-in `session`.
async fn start(app: &TestApp, session: &str) -> App {
    let reply = app
        .post_form("/api/account/two-factor/totp/start", &[], Some(session))
        .await;
    assert_eq!(reply.status, 200, "start: {}", reply.body);
    let body = json(&reply);
    let secret = body["secret"].as_str().expect("secret");
    let uri = body["otpauth_uri"].as_str().expect("otpauth_uri");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    App {
        secret: totp_rs::Secret::try_from_base32(secret)
            .expect("base32")
            .as_bytes()
            .to_vec(),
    }
}

/// Turns the app on with `code`; returns the answer.
async fn enable(app: &TestApp, session: &str, code: &str) -> Reply {
    app.post_form(
        "/api/account/two-factor/totp/enable",
        &[("code", code)],
        Some(session),
    )
    .await
}

/// Signs up `email` and turns an app on; returns the session, the app and
/// the recovery codes.
pub(crate) async fn with_app(app: &TestApp, email: &str) -> (String, App, Vec<String>) {
    let session = app.sign_up(email).await;
    let phone = start(app, &session).await;
    let reply = enable(app, &session, &phone.code()).await;
    assert_eq!(reply.status, 200, "enable: {}", reply.body);
    let codes: Vec<String> = json(&reply)["recovery_codes"]
        .as_array()
        .expect("recovery_codes")
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    (session, phone, codes)
}

/// Logs in with the password; returns the pending log-in's cookie after
/// checking that the answer asks for the second factor.
async fn password_step(app: &TestApp, email: &str) -> String {
    let reply = app.log_in(email, PASSWORD).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.body, r#""SecondFactorRequired""#);
    assert!(reply.cookie("session").is_none(), "no session yet");
    let pending = reply.cookie("login").expect("pending log-in cookie");
    let set = reply.set_cookie("login").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("Max-Age=300"),
        "{set}"
    );
    pending
}

async fn second_step(app: &TestApp, pending: &str, field: &str, code: &str) -> Reply {
    app.post_form(
        "/api/auth/login/second-factor",
        &[(field, code)],
        Some(pending),
    )
    .await
}

async fn me(app: &TestApp, cookie: &str) -> serde_json::Value {
    let reply = app.post_form("/api/auth/me", &[], Some(cookie)).await;
    assert_eq!(reply.status, 200);
    json(&reply)
}

async fn mails(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE kind = 'second_factor_changed' AND recipient = $1 \
         ORDER BY id",
    )
    .bind(email)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn activity(app: &TestApp, session: &str) -> String {
    app.post_form("/api/profile/activity", &[], Some(session))
        .await
        .body
}

#[tokio::test]
async fn an_app_turned_on_is_asked_for_after_the_password() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let phone = start(&app, &session).await;
    let wrong = enable(&app, &session, "000000").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("CodeIncorrect"), "{}", wrong.body);
    let reply = enable(&app, &session, &phone.code()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let codes = json(&reply)["recovery_codes"].as_array().unwrap().len();
    assert_eq!(codes, 10);
    // Turned on once: starting again is refused.
    let again = app
        .post_form("/api/account/two-factor/totp/start", &[], Some(&session))
        .await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("TwoFactorAlreadyOn"));
    assert!(mails(&app, "ada@example.com").await[0].contains("authenticator app was set up"));
    assert!(activity(&app, &session)
        .await
        .contains("Authenticator app turned on"));

    // The secret is sealed: its bytes are nowhere in the row.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed_secret FROM totp_secrets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!sealed
        .windows(phone.secret.len())
        .any(|w| w == phone.secret));
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 10);

    let pending = password_step(&app, "ada@example.com").await;
    assert_eq!(me(&app, &pending).await, serde_json::Value::Null);
    let wrong = second_step(&app, &pending, "code", "123456").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("CodeIncorrect"));
    let missing = second_step(&app, &pending, "code", "").await;
    assert!(missing.body.contains("CodeMissing"), "{}", missing.body);
    // The code enable took is spent; the next step's code signs in.
    let next_code = phone.code_at(now() + 30);
    let done = second_step(&app, &pending, "code", &next_code).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(json(&done)["email"], "ada@example.com");
    let signed_in = done.cookie("session").expect("session cookie");
    assert_eq!(me(&app, &signed_in).await["email"], "ada@example.com");
    assert!(done.set_cookie("login").unwrap().contains("Max-Age=0"));
    // The pending log-in is used up.
    let again = second_step(&app, &pending, "code", &phone.code()).await;
    assert!(again.body.contains("LogInExpired"), "{}", again.body);
    assert!(activity(&app, &signed_in)
        .await
        .contains("Wrong code at log-in"));
}

#[tokio::test]
async fn a_code_is_accepted_once_and_one_step_of_drift_either_way() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let phone = start(&app, &session).await;
    // A phone whose clock is 30 s slow is accepted...
    let reply = enable(&app, &session, &phone.code_at(now() - 30)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // ... and so is one 30 s fast.
    let pending = password_step(&app, "ada@example.com").await;
    let ahead = phone.code_at(now() + 30);
    assert_eq!(
        second_step(&app, &pending, "code", &ahead).await.status,
        200
    );
    // The same code again, in another log-in: a replay.
    let pending = password_step(&app, "ada@example.com").await;
    let replay = second_step(&app, &pending, "code", &ahead).await;
    assert_eq!(replay.status, 422);
    assert!(replay.body.contains("CodeIncorrect"));
    // Two steps off is too far.
    let far = second_step(&app, &pending, "code", &phone.code_at(now() + 90)).await;
    assert_eq!(far.status, 422);
}

#[tokio::test]
async fn each_recovery_code_works_once_and_says_how_many_are_left() {
    let app = TestApp::spawn().await;
    let (_, _, codes) = with_app(&app, "ada@example.com").await;
    assert_eq!(codes.len(), 10);
    let pending = password_step(&app, "ada@example.com").await;
    let wrong = second_step(
        &app,
        &pending,
        "recovery_code",
        "aaaa-bbbb-cccc-dddd-eeee-ffff",
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("RecoveryCodeIncorrect"));
    // Typed loosely: upper case, spaces for dashes.
    let typed = codes[0].replace('-', " ").to_uppercase();
    let done = second_step(&app, &pending, "recovery_code", &typed).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let session = done.cookie("session").unwrap();
    let notice = mails(&app, "ada@example.com").await.pop().unwrap();
    assert!(
        notice.contains("9 of your recovery codes are left"),
        "{notice}"
    );
    let status = app
        .post_form("/api/account/two-factor", &[], Some(&session))
        .await;
    assert_eq!(json(&status)["recovery_codes_left"], 9);
    assert!(activity(&app, &session)
        .await
        .contains("Logged in with a recovery code"));
    // Used once: never again.
    let pending = password_step(&app, "ada@example.com").await;
    let reused = second_step(&app, &pending, "recovery_code", &codes[0]).await;
    assert_eq!(reused.status, 422);
    assert_eq!(
        second_step(&app, &pending, "recovery_code", &codes[1])
            .await
            .status,
        200
    );

    // New codes (sudo) retire the old set.
    let fresh = app
        .post_form(
            "/api/account/two-factor/recovery-codes",
            &[],
            Some(&session),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    let new_codes = json(&fresh)["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(new_codes.len(), 10);
    let pending = password_step(&app, "ada@example.com").await;
    assert_eq!(
        second_step(&app, &pending, "recovery_code", &codes[2])
            .await
            .status,
        422
    );
    let new_code = new_codes[0].as_str().unwrap();
    assert_eq!(
        second_step(&app, &pending, "recovery_code", new_code)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn wrong_codes_count_like_wrong_passwords_and_the_password_does_not_reset_them() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = with_app(&app, "ada@example.com").await;
    // Five free failures on the address (LOGIN_FREE_FAILURES), then a wait.
    for attempt in 0..5 {
        let pending = password_step(&app, "ada@example.com").await;
        let wrong = second_step(&app, &pending, "code", "000000").await;
        assert_eq!(wrong.status, 422, "attempt {attempt}: {}", wrong.body);
    }
    let locked = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.body.contains("LogInLocked"));
    // The right password in between did not clear the count (else the
    // password would buy endless guesses): five failures are counted.
    let failures: i64 = sqlx::query_scalar("SELECT failures FROM login_attempts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(failures, 5);
    // A pending log-in whose password passed before the wait waits too.
    sqlx::query("DELETE FROM login_attempts")
        .execute(&app.db)
        .await
        .unwrap();
    let pending = password_step(&app, "ada@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            second_step(&app, &pending, "code", "000000").await.status,
            422
        );
    }
    let right = second_step(&app, &pending, "code", &phone.code_at(now() + 30)).await;
    assert_eq!(right.status, 429, "{}", right.body);
}

#[tokio::test]
async fn a_log_in_waits_five_minutes_for_its_code_in_its_own_browser() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = with_app(&app, "ada@example.com").await;
    let pending = password_step(&app, "ada@example.com").await;
    // Another browser (no cookie, or one of its own) cannot finish it.
    let stranger = second_step(&app, "login=forged", "code", &phone.code_at(now() + 30)).await;
    assert!(stranger.body.contains("LogInExpired"), "{}", stranger.body);
    let none = app
        .post_form("/api/auth/login/second-factor", &[("code", "123456")], None)
        .await;
    assert_eq!(none.status, 422);
    sqlx::query("UPDATE pending_logins SET expires_at = $1")
        .bind(now() - 1)
        .execute(&app.db)
        .await
        .unwrap();
    let late = second_step(&app, &pending, "code", &phone.code_at(now() + 30)).await;
    assert_eq!(late.status, 422);
    assert!(late.body.contains("LogInExpired"));
}

#[tokio::test]
async fn a_password_reset_keeps_the_second_factor() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = with_app(&app, "ada@example.com").await;
    let asked = app
        .post_form(
            "/api/auth/password-reset/request",
            &[("email", "ada@example.com")],
            None,
        )
        .await;
    assert_eq!(asked.status, 200);
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");
    let new_password = "quartz lantern drifting seaward";
    let reset = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[("token", &token), ("password", new_password)],
            None,
        )
        .await;
    assert_eq!(reset.status, 401, "{}", reset.body);
    assert_eq!(reset.body, r#""SecondFactorRequired""#);
    assert!(reset.cookie("session").is_none());
    let pending = reset.cookie("login").expect("pending log-in");
    let done = second_step(&app, &pending, "code", &phone.code_at(now() + 30)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    // The new password, and still the app.
    let again = app.log_in("ada@example.com", new_password).await;
    assert_eq!(again.status, 401);
    assert_eq!(again.body, r#""SecondFactorRequired""#);
}

#[tokio::test]
async fn setting_up_and_turning_off_need_sudo_mode() {
    let app = TestApp::spawn().await;
    let (session, _, _) = with_app(&app, "ada@example.com").await;
    sqlx::query("UPDATE sessions SET authenticated_at = 0")
        .execute(&app.db)
        .await
        .unwrap();
    for path in [
        "/api/account/two-factor/disable",
        "/api/account/two-factor/recovery-codes",
        "/api/account/two-factor/totp/start",
    ] {
        let refused = app.post_form(path, &[], Some(&session)).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert_eq!(refused.body, r#""SudoRequired""#);
    }
    let wrong = app
        .post_form(
            "/api/account/two-factor/disable",
            &[("current_password", "not my password at all")],
            Some(&session),
        )
        .await;
    assert_eq!(wrong.status, 422);
    let off = app
        .post_form(
            "/api/account/two-factor/disable",
            &[("current_password", PASSWORD)],
            Some(&session),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(off.cookie("session").is_some(), "the session is renewed");
    assert_eq!(app.count("totp_secrets").await, 0);
    assert_eq!(app.count("recovery_codes").await, 0);
    let plain = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
    let notices = mails(&app, "ada@example.com").await;
    assert!(notices.last().unwrap().contains("turned off"));
    // Signed out: nothing here answers.
    for path in [
        "/api/account/two-factor",
        "/api/account/two-factor/totp/start",
        "/api/account/two-factor/totp/enable",
    ] {
        let reply = app.post_form(path, &[("code", "123456")], None).await;
        assert_eq!(reply.status, 401, "{path}");
    }
}

#[tokio::test]
async fn enabling_needs_a_started_set_up() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let early = enable(&app, &session, "123456").await;
    assert_eq!(early.status, 422);
    assert!(early.body.contains("TwoFactorNotStarted"));
    let phone = start(&app, &session).await;
    sqlx::query("UPDATE totp_secrets SET created_at = $1")
        .bind(now() - 16 * 60)
        .execute(&app.db)
        .await
        .unwrap();
    let late = enable(&app, &session, &phone.code()).await;
    assert!(late.body.contains("TwoFactorNotStarted"), "{}", late.body);
    // Restarting replaces the secret: the old one's codes do not work.
    let fresh = start(&app, &session).await;
    assert_ne!(fresh.secret, phone.secret);
    let status = app
        .post_form("/api/account/two-factor", &[], Some(&session))
        .await;
    let status = json(&status);
    assert_eq!(status["totp_on"], false);
    assert!(status["setup"]["qr_svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(enable(&app, &session, &fresh.code()).await.status, 200);
}

#[tokio::test]
async fn deleting_the_account_removes_its_second_factor() {
    let app = TestApp::spawn().await;
    let (session, _, _) = with_app(&app, "ada@example.com").await;
    let _pending = password_step(&app, "ada@example.com").await;
    let id = user_id(&app, "ada@example.com").await;
    let deleted = app
        .post_form(
            "/api/account/delete",
            &[("confirm_email", "ada@example.com")],
            Some(&session),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    for table in ["totp_secrets", "recovery_codes", "pending_logins"] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE user_id = $1"
        )))
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
}

#[tokio::test]
async fn without_javascript_the_second_step_is_a_plain_form() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = with_app(&app, "ada@example.com").await;
    let reply = app
        .post_plain_form(
            "/api/auth/login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/login-code?next=/settings"));
    let pending = reply.cookie("login").unwrap();
    let page = app
        .get_with_cookie("/login-code?next=%2Fsettings", &pending)
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Enter the code from your app"));
    assert!(page.body.contains("autocomplete=\"one-time-code\""));
    let wrong = app
        .post_plain_form(
            "/api/auth/login/second-factor",
            &[("code", "000000"), ("next", "/settings")],
            Some(&pending),
        )
        .await;
    assert_eq!(wrong.status, 303);
    assert_eq!(wrong.header("location"), Some("/login-code?next=/settings"));
    let echo = wrong.cookie("form").unwrap();
    let page = app
        .get_with_cookie(
            "/login-code?next=%2Fsettings",
            &format!("{pending}; {echo}"),
        )
        .await;
    assert!(
        page.body.contains("That code is not right"),
        "{}",
        page.body
    );
    let done = app
        .post_plain_form(
            "/api/auth/login/second-factor",
            &[("code", &phone.code_at(now() + 30)), ("next", "/settings")],
            Some(&pending),
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), Some("/settings"));
    let session = done.cookie("session").unwrap();
    // Settings shows the app as on, without JavaScript.
    let settings = app.get_with_cookie("/settings", &session).await;
    assert!(
        settings.body.contains("Recovery codes left: 10 of 10."),
        "settings page"
    );
}

#[tokio::test]
async fn without_javascript_the_set_up_shows_the_qr_code_and_then_the_codes_once() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let started = app
        .post_plain_form("/api/account/two-factor/totp/start", &[], Some(&session))
        .await;
    assert_eq!(started.status, 303);
    assert_eq!(started.header("location"), Some("/settings#two-factor"));
    let page = app.get_with_cookie("/settings", &session).await;
    assert!(page.body.contains("<svg role=\"img\""), "the QR code");
    let start = page.body.find("id=\"totp-secret\"").expect("the secret");
    let secret: String = page.body[start..]
        .split('>')
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let phone = App {
        secret: totp_rs::Secret::try_from_base32(&secret)
            .unwrap()
            .as_bytes()
            .to_vec(),
    };
    let enabled = app
        .post_plain_form(
            "/api/account/two-factor/totp/enable",
            &[("code", &phone.code())],
            Some(&session),
        )
        .await;
    assert_eq!(enabled.status, 303);
    let codes = enabled
        .cookie("codes")
        .expect("the codes, for the next page");
    let page = app
        .get_with_cookie("/settings", &format!("{session}; {codes}"))
        .await;
    assert!(page.body.contains("Your recovery codes"));
    assert_eq!(page.body.matches("<li><code>").count(), 10);
    // Once: the page expired the cookie, and without it no codes show.
    let again = app.get_with_cookie("/settings", &session).await;
    assert!(!again.body.contains("Your recovery codes"));
    // The cookie holds them sealed: no code is readable in it.
    let first = page.body.find("<li><code>").unwrap() + "<li><code>".len();
    let code = &page.body[first..first + 29];
    assert_eq!(code.matches('-').count(), 5, "{code}");
    assert!(!codes.contains(code) && !codes.contains(&code.replace('-', "")));
}

#[tokio::test]
async fn wrong_codes_count_against_the_account_whatever_the_browser() {
    let app = TestApp::spawn().await;
    let (_, _, codes) = with_app(&app, "ada@example.com").await;
    // Three browsers that have signed in before, each with its device
    // cookie (and so its own count of wrong passwords).
    let mut devices = Vec::new();
    for code in &codes[..3] {
        let pending = password_step(&app, "ada@example.com").await;
        let done = second_step(&app, &pending, "recovery_code", code).await;
        assert_eq!(done.status, 200, "{}", done.body);
        devices.push(done.cookie("device").expect("a device cookie"));
    }
    for (wrong, device) in devices.iter().cycle().take(6).enumerate() {
        let reply = app
            .log_in_as_browser("ada@example.com", PASSWORD, Some(device), None)
            .await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        let pending = format!("{}; {device}", reply.cookie("login").unwrap());
        let answer = second_step(&app, &pending, "code", "000000").await;
        if wrong < 5 {
            assert_eq!(answer.status, 422, "wrong code {wrong}: {}", answer.body);
        } else {
            // Five free failures for the account, counted across browsers.
            assert_eq!(answer.status, 429, "{}", answer.body);
            assert!(answer.body.contains("LogInLocked"));
        }
    }
}

#[tokio::test]
async fn a_set_up_belongs_to_the_session_that_started_it() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let other = app.log_in("ada@example.com", PASSWORD).await;
    let other = other.cookie("session").unwrap();
    let phone = start(&app, &session).await;
    // Another session of the account (a stolen cookie, say) neither sees
    // the secret nor finishes the set-up.
    let status = app
        .post_form("/api/account/two-factor", &[], Some(&other))
        .await;
    assert_eq!(json(&status)["setup"], serde_json::Value::Null);
    assert!(!status.body.contains("otpauth"));
    let stolen = enable(&app, &other, &phone.code()).await;
    assert_eq!(stolen.status, 422);
    assert!(stolen.body.contains("TwoFactorNotStarted"));
    assert_eq!(enable(&app, &session, &phone.code()).await.status, 200);
}

#[tokio::test]
async fn a_new_password_ends_the_log_ins_waiting_for_a_code() {
    let app = TestApp::spawn().await;
    let (session, phone, _) = with_app(&app, "ada@example.com").await;
    let pending = password_step(&app, "ada@example.com").await;
    let changed = app
        .post_form(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "quartz lantern drifting seaward"),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let late = second_step(&app, &pending, "code", &phone.code_at(now() + 30)).await;
    assert!(late.body.contains("LogInExpired"), "{}", late.body);
}

#[tokio::test]
async fn a_secret_the_server_cannot_open_is_its_fault_and_costs_no_attempt() {
    let app = TestApp::spawn().await;
    let (_, phone, codes) = with_app(&app, "ada@example.com").await;
    // As if SEAL_KEY had changed: the stored secret no longer opens.
    let mut sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed_secret FROM totp_secrets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    *sealed.last_mut().unwrap() ^= 1;
    sqlx::query("UPDATE totp_secrets SET sealed_secret = $1")
        .bind(sealed)
        .execute(&app.db)
        .await
        .unwrap();
    let pending = password_step(&app, "ada@example.com").await;
    let failed = second_step(&app, &pending, "code", &phone.code_at(now() + 30)).await;
    assert_eq!(failed.status, 500, "{}", failed.body);
    assert_eq!(failed.body, r#""Internal""#);
    let counted: Vec<i64> = sqlx::query_scalar("SELECT failures FROM login_attempts")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(counted.iter().all(|&failures| failures == 0), "{counted:?}");
    // The recovery codes still work, so the owner gets in.
    let pending = password_step(&app, "ada@example.com").await;
    let done = second_step(&app, &pending, "recovery_code", &codes[0]).await;
    assert_eq!(done.status, 200, "{}", done.body);
}
