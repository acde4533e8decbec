//! Sign-up, log-in, log-out and profile through the server functions, as a
//! script or API client sees them (JSON answers and status codes).

use leptos_accounts::server::db::Backend;
use sha2::{Digest, Sha256};

use crate::support::{Call, TestApp, PASSWORD};

const SIGNUP: &str = "/api/auth/signup";
const LOGIN: &str = "/api/auth/login";
const LOGOUT: &str = "/api/auth/logout";
const DISPLAY_NAME: &str = "/api/profile/display-name";

fn token_of(cookie: &str) -> &str {
    cookie
        .split_once('=')
        .map(|(_, token)| token)
        .unwrap_or_default()
}

#[tokio::test]
async fn sign_up_creates_the_account_and_signs_it_in() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_form(
            SIGNUP,
            &[
                ("email", "  Ada@Example.com "),
                ("password", PASSWORD),
                ("display_name", " Ada "),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        // As typed, but trimmed and with the domain in lower case.
        reply.body.contains(r#""email":"Ada@example.com""#),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(r#""display_name":"Ada""#),
        "{}",
        reply.body
    );

    let set_cookie = reply.set_cookie("session").expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Max-Age"),
        "not remembered: {set_cookie}"
    );
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http origin: {set_cookie}"
    );

    let cookie = reply.cookie("session").unwrap();
    let profile = app.get_with_cookie("/profile", &cookie).await;
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains("Ada@example.com"));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_with_our_parameters() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn the_database_holds_only_a_digest_of_the_session_token() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let token = token_of(&cookie);
    assert_eq!(token.len(), 43, "256-bit token, base64url");
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, vec![Sha256::digest(token.as_bytes()).to_vec()]);
    let dump: Vec<String> = sqlx::query_scalar(match crate::support::backend() {
        Backend::Sqlite => {
            "SELECT quote(token_hash) || user_id || created_at || expires_at FROM sessions"
        }
        Backend::Postgres => {
            "SELECT encode(token_hash, 'hex') || user_id || created_at || expires_at FROM sessions"
        }
    })
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(dump.iter().all(|row| !row.contains(token)));
}

#[tokio::test]
async fn every_sign_up_problem_is_reported_with_422() {
    let app = TestApp::spawn().await;
    for (email, password, display_name, expected) in [
        ("", PASSWORD, "", "EmailMissing"),
        ("not-an-email", PASSWORD, "", "EmailMalformed"),
        ("ada@example.com", "", "", "PasswordMissing"),
        ("ada@example.com", "too short", "", "PasswordTooShort"),
        ("ada@example.com", "1qaz2wsx3edc4rfv", "", "PasswordCommon"),
        (
            "ada@example.com",
            "aaaaaaaaaaaaaaaaaaaa",
            "",
            "PasswordRepetitive",
        ),
        (
            "ada@example.com",
            "ada@example.com rules ok",
            "",
            "PasswordContainsEmail",
        ),
        (
            "ada@example.com",
            PASSWORD,
            &"n".repeat(51),
            "DisplayNameTooLong",
        ),
        (
            "ada@example.com",
            PASSWORD,
            "two\nlines",
            "DisplayNameControlCharacters",
        ),
    ] {
        let reply = app
            .post_form(
                SIGNUP,
                &[
                    ("email", email),
                    ("password", password),
                    ("display_name", display_name),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, 422, "{expected}: {}", reply.body);
        assert!(reply.body.contains(expected), "{expected}: {}", reply.body);
        assert!(reply.set_cookie("session").is_none());
    }
    // Everything wrong at once is reported at once.
    let reply = app
        .post_form(
            SIGNUP,
            &[
                ("email", "nope"),
                ("password", "short"),
                ("display_name", ""),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("EmailMalformed") && reply.body.contains("PasswordTooShort"));
    let users = app.count("users").await;
    assert_eq!(users, 0);
}

#[tokio::test]
async fn an_email_already_registered_in_any_case_gets_409() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let reply = app
        .post_form(
            SIGNUP,
            &[("email", "ADA@example.COM"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(reply.body.contains("EmailTaken"));
}

#[tokio::test]
async fn simultaneous_sign_ups_with_one_email_make_one_account() {
    let app = TestApp::spawn().await;
    let form = [("email", "race@example.com"), ("password", PASSWORD)];
    let (a, b, c) = tokio::join!(
        app.post_form(SIGNUP, &form, None),
        app.post_form(SIGNUP, &form, None),
        app.post_form(SIGNUP, &form, None)
    );
    let mut statuses = vec![a.status, b.status, c.status];
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409], "{a:?} {b:?} {c:?}");
    let users = app.count("users").await;
    assert_eq!(users, 1);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let wrong_password = app
        .post_form(
            LOGIN,
            &[
                ("email", "ada@example.com"),
                ("password", "not the right password"),
            ],
            None,
        )
        .await;
    let unknown_email = app
        .post_form(
            LOGIN,
            &[
                ("email", "nobody@example.com"),
                ("password", "not the right password"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_email.status, 401);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert!(wrong_password.set_cookie("session").is_none());
}

#[tokio::test]
async fn log_in_issues_a_new_session_every_time_and_ends_the_previous_one() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("ada@example.com").await;
    let form = [("email", "ADA@example.com"), ("password", PASSWORD)];
    let second = app.post_form(LOGIN, &form, Some(&first)).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.cookie("session").unwrap();
    let third = app
        .post_form(LOGIN, &form, Some(&second))
        .await
        .cookie("session")
        .unwrap();
    assert_ne!(first, second);
    assert_ne!(second, third);
    // The browser's previous session ends with each new log-in.
    for cookie in [&first, &second] {
        assert_eq!(app.get_with_cookie("/profile", cookie).await.status, 303);
    }
    assert_eq!(app.get_with_cookie("/profile", &third).await.status, 200);
}

#[tokio::test]
async fn remember_me_makes_the_cookie_outlive_the_browser() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let reply = app
        .post_form(
            LOGIN,
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("remember", "true"),
            ],
            None,
        )
        .await;
    let set_cookie = reply.set_cookie("session").unwrap();
    assert!(
        set_cookie.contains(&format!("Max-Age={}", 30 * 24 * 60 * 60)),
        "{set_cookie}"
    );
    let reply = app.log_in("ada@example.com", PASSWORD).await;
    assert!(!reply.set_cookie("session").unwrap().contains("Max-Age"));
}

#[tokio::test]
async fn log_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let reply = app.post_form(LOGOUT, &[], Some(&cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let cleared = reply.set_cookie("session").unwrap();
    assert!(
        cleared.starts_with("session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let sessions = app.count("sessions").await;
    assert_eq!(sessions, 0);
    // The old cookie no longer opens the profile.
    let profile = app.get_with_cookie("/profile", &cookie).await;
    assert_eq!(profile.status, 303);
}

#[tokio::test]
async fn anonymous_profile_requests_go_to_log_in() {
    let app = TestApp::spawn().await;
    let reply = app.get("/profile").await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/login?next=/profile"));
    let forged = app
        .get_with_cookie("/profile", "session=forged-token")
        .await;
    assert_eq!(forged.status, 303);
}

#[tokio::test]
async fn the_profile_and_nav_are_rendered_for_the_signed_in_user() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_form(
            SIGNUP,
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("display_name", "Ada <Lovelace>"),
            ],
            None,
        )
        .await;
    let cookie = reply.cookie("session").unwrap();
    let page = app.get_with_cookie("/profile", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ada@example.com"));
    assert!(
        page.body.contains("Ada &lt;Lovelace&gt;"),
        "escaped display name"
    );
    assert!(!page.body.contains("Ada <Lovelace>"));
    assert!(page.body.contains("Member since"));
    assert!(page.body.contains("Log out"));
    let home = app.get_with_cookie("/", &cookie).await;
    assert!(home.body.contains("Log out") && home.body.contains("Ada &lt;Lovelace&gt;"));
    assert!(!home.body.contains(r#"href="/signup""#) || home.body.contains("Create an account"));
}

#[tokio::test]
async fn display_name_changes_follow_the_rules_and_need_a_session() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    let reply = app
        .post_form(
            DISPLAY_NAME,
            &[("display_name", "  Countess  ")],
            Some(&cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(r#""display_name":"Countess""#));
    let too_long = "x".repeat(51);
    let reply = app
        .post_form(DISPLAY_NAME, &[("display_name", &too_long)], Some(&cookie))
        .await;
    assert_eq!(reply.status, 422);
    let anonymous = app
        .post_form(DISPLAY_NAME, &[("display_name", "Mallory")], None)
        .await;
    assert_eq!(anonymous.status, 401);
    let name: String = sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Countess");
}

#[tokio::test]
async fn malformed_requests_get_4xx_never_500() {
    let app = TestApp::spawn().await;
    const FORM: &str = "application/x-www-form-urlencoded";
    let cases: [(&str, Option<&str>, &[u8]); 4] = [
        ("missing fields", Some(FORM), b"email=a%40b.co"),
        (
            "json body",
            Some("application/json"),
            br#"{"email":"a@b.co","password":"x"}"#,
        ),
        (
            "garbage bytes",
            Some(FORM),
            &[0xff, 0xfe, 0x00, 0x80, b'=', 0xc3],
        ),
        ("empty body", None, b""),
    ];
    for (what, content_type, body) in cases {
        for path in [SIGNUP, LOGIN] {
            let mut headers = vec![("origin", app.origin())];
            headers.extend(content_type.map(|value| ("content-type", value.to_owned())));
            let reply = app
                .send(Call {
                    method: "POST",
                    path,
                    headers,
                    body: Some(body.to_vec()),
                })
                .await;
            assert!(
                (400..500).contains(&reply.status),
                "{what} to {path}: {} {}",
                reply.status,
                reply.body
            );
            assert!(
                !reply.body.to_lowercase().contains("sqlx"),
                "{}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::spawn().await;
    let huge = "a".repeat(100 * 1024);
    let reply = app
        .post_form(
            SIGNUP,
            &[("email", "ada@example.com"), ("password", &huge)],
            None,
        )
        .await;
    assert_eq!(reply.status, 413);
}

#[tokio::test]
async fn an_over_long_password_is_refused_before_hashing() {
    let app = TestApp::spawn().await;
    let long = "correct horse ".repeat(80); // 1120 bytes
    let reply = app
        .post_form(
            SIGNUP,
            &[("email", "ada@example.com"), ("password", &long)],
            None,
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("PasswordTooLong"));
}

#[tokio::test]
async fn https_origins_get_secure_host_only_cookies() {
    let app =
        TestApp::spawn_with(|config| config.public_origin = "https://accounts.example".into())
            .await;
    let reply = app
        .post_form(
            SIGNUP,
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    let set_cookie = reply.set_cookie("__Host-session").expect("prefixed cookie");
    assert!(
        set_cookie.contains("Secure") && set_cookie.contains("Path=/"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Domain"));
    let cookie = reply.cookie("__Host-session").unwrap();
    assert_eq!(app.get_with_cookie("/profile", &cookie).await.status, 200);
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_the_lifetime() {
    let app = TestApp::spawn().await;
    let idle = app.sign_up("idle@example.com").await;
    let old = app.sign_up("old@example.com").await;
    let fresh = app.sign_up("fresh@example.com").await;
    // Idle for longer than the default 3 days.
    sqlx::query("UPDATE sessions SET last_seen_at = $2 - 3 * 86400 - 1 WHERE token_hash = $1")
        .bind(Sha256::digest(token_of(&idle).as_bytes()).to_vec())
        .bind(crate::support::now())
        .execute(&app.db)
        .await
        .unwrap();
    // Active, but past its absolute lifetime.
    sqlx::query("UPDATE sessions SET expires_at = $2 - 1 WHERE token_hash = $1")
        .bind(Sha256::digest(token_of(&old).as_bytes()).to_vec())
        .bind(crate::support::now())
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.get_with_cookie("/profile", &idle).await.status, 303);
    assert_eq!(app.get_with_cookie("/profile", &old).await.status, 303);
    assert_eq!(app.get_with_cookie("/profile", &fresh).await.status, 200);
    // The retention task deletes the dead ones.
    let now = crate::support::now();
    leptos_accounts::accounts::retention::sweep(
        &app.db,
        &Default::default(),
        &Default::default(),
        &Default::default(),
        now,
    )
    .await
    .unwrap();
    let sessions = app.count("sessions").await;
    assert_eq!(sessions, 1, "the fresh session");
}

#[tokio::test]
async fn the_idle_timeout_is_configurable() {
    let app = TestApp::spawn_with(|config| {
        config.sessions.idle_timeout = std::time::Duration::from_secs(0);
    })
    .await;
    let cookie = app.sign_up("ada@example.com").await;
    assert_eq!(app.get_with_cookie("/profile", &cookie).await.status, 303);
}
