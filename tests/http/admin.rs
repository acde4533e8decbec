//! The operator's command line (`leptos_accounts users …`): each command
//! runs as its own process on the database of a running server, as an
//! operator runs it beside production, on SQLite and on PostgreSQL alike.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::support::{backend, now, TestApp, PASSWORD};
use leptos_accounts::server::db::Backend;

/// What a command printed and how it ended.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).expect("the command prints JSON")
    }
}

/// Runs the server binary with `args` on `app`'s database, `stdin` piped
/// in (and nothing else: the password of `users create` never goes on the
/// command line).
async fn run(app: &TestApp, args: &[&str], stdin: &str) -> Ran {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let stdin = stdin.to_owned();
    let database_url = app.database_url.clone();
    let origin = app.origin();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leptos_accounts"))
            .args(&args)
            .env("DATABASE_URL", database_url)
            .env("APP_ORIGIN", origin)
            .env("USER", "ops-tester")
            // The test app's back-off (support.rs), so that the command
            // sees the same pauses the app imposes.
            .env("LOGIN_BACKOFF_BASE_SECONDS", "60")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server binary");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let output = child.wait_with_output().expect("the command ends");
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("command thread")
}

/// The audit events the operator's commands recorded, oldest first.
async fn operator_events(app: &TestApp) -> Vec<(String, Option<i64>, String)> {
    sqlx::query_as(
        "SELECT kind, user_id, user_agent FROM audit_events WHERE actor = 'operator' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .expect("read audit events")
}

async fn user_id(app: &TestApp, email: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db)
        .await
        .expect("find user")
}

#[tokio::test]
async fn help_lists_every_command() {
    let app = TestApp::spawn().await;
    let help = run(&app, &["--help"], "").await;
    assert_eq!(help.code, 0);
    for command in ["serve", "migrate", "users", "sessions", "mail", "backup"] {
        assert!(
            help.stdout.contains(command),
            "{command} in {}",
            help.stdout
        );
    }
    let users = run(&app, &["users", "--help"], "").await;
    for command in ["list", "show", "unlock", "verify", "create", "delete"] {
        assert!(
            users.stdout.contains(command),
            "{command} in {}",
            users.stdout
        );
    }
    let wrong = run(&app, &["users", "promote", "ada@example.com"], "").await;
    assert_eq!(wrong.code, 2, "an unknown command is a usage error");
    assert!(wrong.stderr.contains("promote"), "{}", wrong.stderr);
}

#[tokio::test]
async fn migrate_applies_pending_migrations_once() {
    let app = TestApp::spawn().await;
    // The running server migrated the database already.
    let again = run(&app, &["migrate", "--json"], "").await.json();
    assert_eq!(again["applied"], serde_json::json!([]));
    assert!(again["latest"].as_i64().expect("a latest version") >= 1);
    let text = run(&app, &["migrate"], "").await;
    assert!(text.stdout.contains("up to date"), "{}", text.stdout);

    // A new database gets every migration from the command.
    let dir = tempfile::tempdir().expect("temporary directory");
    let fresh = crate::support::fresh_database(&dir).await;
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_leptos_accounts"))
            .args(["migrate", "--json"])
            .env("DATABASE_URL", fresh)
            .output()
            .expect("run migrate")
    })
    .await
    .expect("command thread");
    assert!(output.status.success());
    let applied: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        applied["applied"].as_array().expect("a list").len() >= 2,
        "{applied}"
    );

    let events = operator_events(&app).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events
        .iter()
        .all(|(kind, user, by)| kind == "database_migrated"
            && user.is_none()
            && by == "migrate (run by ops-tester)"));
}

#[tokio::test]
async fn users_create_takes_the_password_from_stdin_under_the_sign_up_policy() {
    let app = TestApp::spawn().await;
    let weak = run(&app, &["users", "create", "ada@example.com"], "kettle\n").await;
    assert_eq!(weak.code, 1);
    assert!(
        weak.stderr.contains("at least 15 characters"),
        "{}",
        weak.stderr
    );
    assert!(
        !weak.stderr.contains("kettle"),
        "the password is not echoed"
    );
    let bad_address = run(&app, &["users", "create", "ada at example"], PASSWORD).await;
    assert_eq!(bad_address.code, 1);
    assert!(
        bad_address.stderr.contains("email"),
        "{}",
        bad_address.stderr
    );
    assert_eq!(app.count("users").await, 0, "nothing was created");

    // Someone guessed at the address before it had an account: that pause
    // is not the new owner's, as after a sign-up.
    for _ in 0..8 {
        app.log_in("ada@example.com", "somebody guessing wrong")
            .await;
    }
    assert_eq!(app.log_in("ada@example.com", PASSWORD).await.status, 429);

    let created = run(
        &app,
        &[
            "users",
            "create",
            "Ada@Example.com",
            "--name",
            "Ada",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await
    .json();
    assert_eq!(created["email"], "Ada@example.com");
    assert_eq!(created["display_name"], "Ada");
    assert!(created["email_verified_at"].is_null());
    // The verification link is in the outbox, as after a sign-up.
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM outbox")
        .fetch_all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(kinds, ["verify_email"]);

    // The person logs in with the password typed into the command.
    let logged_in = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(logged_in.status, 200, "{}", logged_in.body);

    let taken = run(&app, &["users", "create", "ADA@example.com"], PASSWORD).await;
    assert_eq!(taken.code, 1);
    assert!(taken.stderr.contains("already"), "{}", taken.stderr);

    let vouched = run(
        &app,
        &["users", "create", "bob@example.com", "--verified", "--json"],
        PASSWORD,
    )
    .await
    .json();
    assert!(vouched["email_verified_at"].as_i64().is_some());

    let events = operator_events(&app).await;
    let kinds: Vec<&str> = events.iter().map(|(kind, ..)| kind.as_str()).collect();
    assert_eq!(kinds, ["sign_up", "sign_up", "email_verified"]);
    assert!(events
        .iter()
        .all(|(_, user, by)| user.is_some() && by == "users create (run by ops-tester)"));
}

#[tokio::test]
async fn users_list_shows_accounts_and_filters_unverified_and_locked_ones() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    run(&app, &["users", "verify", "bob@example.com"], "").await;
    // Ada's address is paused after more failures than are free.
    for _ in 0..6 {
        app.log_in("ada@example.com", "not the password at all")
            .await;
    }

    let all = run(&app, &["users", "list", "--json"], "").await.json();
    let emails: Vec<&str> = all
        .as_array()
        .expect("a list")
        .iter()
        .map(|user| user["email"].as_str().expect("email"))
        .collect();
    assert_eq!(
        emails,
        ["bob@example.com", "ada@example.com"],
        "newest first"
    );
    assert_eq!(all[1]["sessions"], 1, "Ada's sign-up session");
    assert!(all[1]["locked_until"].as_i64().expect("locked") > now());
    assert!(all[0]["locked_until"].is_null());

    let unverified = run(&app, &["users", "list", "--unverified", "--json"], "")
        .await
        .json();
    assert_eq!(unverified.as_array().expect("a list").len(), 1);
    assert_eq!(unverified[0]["email"], "ada@example.com");

    let locked = run(&app, &["users", "list", "--locked", "--json"], "")
        .await
        .json();
    assert_eq!(locked.as_array().expect("a list").len(), 1);
    assert_eq!(locked[0]["email"], "ada@example.com");
    assert_eq!(
        locked[0]["failed_log_ins"], 5,
        "the sixth was refused, not counted"
    );

    let limited = run(&app, &["users", "list", "--limit", "1", "--json"], "")
        .await
        .json();
    assert_eq!(limited.as_array().expect("a list").len(), 1);

    let text = run(&app, &["users", "list"], "").await;
    assert!(text.stdout.starts_with("ID\tEMAIL"), "{}", text.stdout);
    assert!(text.stdout.contains("ada@example.com"));

    let kinds: Vec<String> = operator_events(&app)
        .await
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "users_listed").count(),
        5
    );
}

#[tokio::test]
async fn users_show_gives_sessions_events_and_mail_of_one_account() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let shown = run(&app, &["users", "show", "ADA@example.com", "--json"], "")
        .await
        .json();
    assert_eq!(shown["email"], "ada@example.com");
    assert_eq!(
        shown["live_sessions"].as_array().expect("sessions").len(),
        1
    );
    assert_eq!(shown["recent_events"][0]["kind"], "sign_up");
    assert_eq!(shown["recent_events"][0]["actor"], "user");
    assert_eq!(shown["undelivered_mail"], 1, "the verification link");

    let missing = run(&app, &["users", "show", "nobody@example.com"], "").await;
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr.trim(),
        "error: no account has the address nobody@example.com"
    );

    let events = operator_events(&app).await;
    let ada = user_id(&app, "ada@example.com").await;
    assert_eq!(
        events,
        [(
            "account_viewed".to_owned(),
            ada,
            "users show (run by ops-tester)".to_owned()
        )]
    );
}

#[tokio::test]
async fn users_unlock_lets_the_owner_log_in_again() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    for _ in 0..6 {
        app.log_in("ada@example.com", "not the password at all")
            .await;
    }
    let paused = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(paused.status, 429, "{}", paused.body);

    let unlocked = run(&app, &["users", "unlock", "ada@example.com", "--json"], "")
        .await
        .json();
    assert_eq!(unlocked["failure_counts_cleared"], 1);
    let back = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(back.status, 200, "{}", back.body);

    let nothing = run(&app, &["users", "unlock", "ada@example.com"], "").await;
    assert!(
        nothing.stdout.contains("nothing to unlock"),
        "{}",
        nothing.stdout
    );

    // The owner sees it in their activity, as the operator's doing.
    let ada = user_id(&app, "ada@example.com").await;
    let (ip, agent): (String, String) = sqlx::query_as(
        "SELECT ip, user_agent FROM audit_events WHERE kind = 'account_unlocked' \
         AND actor = 'operator' AND user_id = $1 LIMIT 1",
    )
    .bind(ada)
    .fetch_one(&app.db)
    .await
    .expect("an unlock event");
    assert_eq!(ip, "");
    assert_eq!(agent, "users unlock (run by ops-tester)");
}

#[tokio::test]
async fn users_two_factor_reset_removes_the_app_for_an_owner_who_lost_it() {
    let app = TestApp::spawn().await;
    crate::two_factor::with_app(&app, "ada@example.com").await;
    let asked = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(asked.body, r#""SecondFactorRequired""#);

    let reset = run(
        &app,
        &["users", "two-factor", "reset", "ada@example.com", "--json"],
        "",
    )
    .await
    .json();
    assert_eq!(reset["two_factor_removed"], true);
    let back = app.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(back.status, 200, "{}", back.body);
    for table in ["totp_secrets", "recovery_codes", "pending_logins"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    let notice: String = sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE kind = 'second_factor_changed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(notice.contains("operator removed"), "{notice}");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE kind = 'two_factor_reset' AND actor = 'operator'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    let again = run(
        &app,
        &["users", "two-factor", "reset", "ada@example.com"],
        "",
    )
    .await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("had no second factor"),
        "{}",
        again.stdout
    );
    let nobody = run(
        &app,
        &["users", "two-factor", "reset", "nobody@example.com"],
        "",
    )
    .await;
    assert_eq!(nobody.code, 1);
}

#[tokio::test]
async fn users_verify_marks_the_address_and_retires_its_links() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ada@example.com").await;
    let verified = run(&app, &["users", "verify", "ada@example.com", "--json"], "")
        .await
        .json();
    assert_eq!(verified["changed"], true);
    let (at, open_links): (Option<i64>, i64) = sqlx::query_as(
        "SELECT u.email_verified_at, (SELECT count(*) FROM email_tokens t \
         WHERE t.user_id = u.id AND t.used_at IS NULL) FROM users u",
    )
    .fetch_one(&app.db)
    .await
    .expect("the account");
    assert!(at.is_some());
    assert_eq!(open_links, 0, "the mailed link no longer works");

    let again = run(&app, &["users", "verify", "ada@example.com"], "").await;
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("verified already"),
        "{}",
        again.stdout
    );
    let kinds: Vec<String> = operator_events(&app)
        .await
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(kinds, ["email_verified"], "only a change is recorded");

    // Ada's "Recent activity" says the site's operator did it, without
    // the operator's login or command.
    let activity = app
        .post_form("/api/profile/activity", &[], Some(&session))
        .await;
    assert_eq!(activity.status, 200, "{}", activity.body);
    assert!(
        activity.body.contains("by the site's operator"),
        "{}",
        activity.body
    );
    assert!(!activity.body.contains("ops-tester"), "{}", activity.body);
}

#[tokio::test]
async fn users_verify_withdraws_verification_mail_not_yet_sent() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    // A sender is delivering Bob's mail right now: it cannot be recalled.
    sqlx::query("UPDATE outbox SET claimed_until = $1 WHERE recipient = 'bob@example.com'")
        .bind(now() + 60)
        .execute(&app.db)
        .await
        .expect("claim Bob's mail");

    let ada = run(&app, &["users", "verify", "ada@example.com", "--json"], "")
        .await
        .json();
    assert_eq!(ada["mail_withdrawn"], 1);
    let bob = run(&app, &["users", "verify", "bob@example.com"], "").await;
    assert_eq!(bob.code, 0);
    assert!(!bob.stdout.contains("withdrawn"), "{}", bob.stdout);

    let waiting: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM outbox WHERE kind = 'verify_email' ORDER BY id")
            .fetch_all(&app.db)
            .await
            .expect("outbox");
    assert_eq!(waiting, ["bob@example.com"]);
}

#[tokio::test]
async fn sessions_revoke_signs_the_account_out_everywhere() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("ada@example.com").await;
    let second = app
        .log_in("ada@example.com", PASSWORD)
        .await
        .cookie("session")
        .expect("a second session");
    let other = app.sign_up("bob@example.com").await;
    assert_eq!(app.get_with_cookie("/profile", &first).await.status, 200);

    let revoked = run(
        &app,
        &["sessions", "revoke", "ada@example.com", "--json"],
        "",
    )
    .await
    .json();
    assert_eq!(revoked["sessions_ended"], 2);
    for cookie in [&first, &second] {
        assert_eq!(app.get_with_cookie("/profile", cookie).await.status, 303);
    }
    assert_eq!(
        app.get_with_cookie("/profile", &other).await.status,
        200,
        "other accounts stay signed in"
    );
    let kinds: Vec<String> = operator_events(&app)
        .await
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(kinds, ["sessions_revoked"]);
}

#[tokio::test]
async fn users_delete_needs_yes_and_removes_what_self_deletion_removes() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    app.log_in("ada@example.com", "not the password at all")
        .await;
    let ada = user_id(&app, "ada@example.com").await.expect("Ada");

    let unconfirmed = run(&app, &["users", "delete", "ada@example.com"], "").await;
    assert_eq!(unconfirmed.code, 1);
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );
    assert!(user_id(&app, "ada@example.com").await.is_some());

    let deleted = run(
        &app,
        &["users", "delete", "ada@example.com", "--yes", "--json"],
        "",
    )
    .await
    .json();
    assert_eq!(deleted["deleted"], true);
    assert!(user_id(&app, "ada@example.com").await.is_none());
    assert_eq!(app.get_with_cookie("/profile", &cookie).await.status, 303);
    for (table, condition) in [
        ("sessions", "user_id = $1"),
        ("email_tokens", "user_id = $1"),
        ("audit_events", "user_id = $1"),
        ("outbox", "user_id = $1"),
    ] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE {condition}"
        )))
        .bind(ada)
        .fetch_one(&app.db)
        .await
        .expect("count rows");
        assert_eq!(left, 0, "{table} keeps nothing of the account");
    }
    let attempts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE key LIKE '%ada@%'")
            .fetch_one(&app.db)
            .await
            .expect("count attempts");
    assert_eq!(attempts, 0);
    let farewell: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, recipient FROM outbox WHERE user_id IS NULL")
            .fetch_all(&app.db)
            .await
            .expect("outbox");
    assert_eq!(
        farewell,
        [("account_deleted".to_owned(), "ada@example.com".to_owned())]
    );
    assert!(user_id(&app, "bob@example.com").await.is_some());

    let gone = run(&app, &["users", "delete", "ada@example.com", "--yes"], "").await;
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("no account has the address"));
    let events = operator_events(&app).await;
    assert_eq!(
        events,
        [(
            "account_deleted".to_owned(),
            None,
            "users delete (run by ops-tester)".to_owned()
        )]
    );
}

#[tokio::test]
async fn mail_list_shows_the_outbox_and_retry_puts_failed_mail_back_in_line() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    app.sign_up("bob@example.com").await;
    // Bob's mail was given up on: the SMTP server refused it for good.
    sqlx::query(
        "UPDATE outbox SET failed_at = $1, attempts = 3, \
         last_error = '550 mailbox unavailable' WHERE recipient = 'bob@example.com'",
    )
    .bind(now())
    .execute(&app.db)
    .await
    .expect("fail a mail");
    let bob_mail: i64 =
        sqlx::query_scalar("SELECT id FROM outbox WHERE recipient = 'bob@example.com'")
            .fetch_one(&app.db)
            .await
            .expect("Bob's mail");

    let listed = run(&app, &["mail", "list", "--json"], "").await.json();
    assert_eq!(listed["counts"]["waiting"], 1);
    assert_eq!(listed["counts"]["failed"], 1);
    assert_eq!(listed["mail"].as_array().expect("mail").len(), 2);
    let text = serde_json::to_string(&listed).expect("text");
    assert!(
        !text.contains("token="),
        "no links (secrets) are shown: {text}"
    );

    let failed = run(&app, &["mail", "list", "--failed", "--json"], "")
        .await
        .json();
    let failed = failed["mail"].as_array().expect("mail");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["id"], bob_mail);
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["last_error"], "550 mailbox unavailable");

    let retried = run(&app, &["mail", "retry", &bob_mail.to_string()], "").await;
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    let (failed_at, attempts, due): (Option<i64>, i64, i64) =
        sqlx::query_as("SELECT failed_at, attempts, next_attempt_at FROM outbox WHERE id = $1")
            .bind(bob_mail)
            .fetch_one(&app.db)
            .await
            .expect("Bob's mail");
    assert_eq!((failed_at, attempts), (None, 0));
    assert!(due <= now());

    sqlx::query("UPDATE outbox SET sent_at = $1 WHERE id = $2")
        .bind(now())
        .bind(bob_mail)
        .execute(&app.db)
        .await
        .expect("deliver");
    let sent = run(&app, &["mail", "retry", &bob_mail.to_string()], "").await;
    assert_eq!(sent.code, 1);
    assert!(sent.stderr.contains("delivered already"), "{}", sent.stderr);
    let unknown = run(&app, &["mail", "retry", "999999"], "").await;
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no mail 999999"),
        "{}",
        unknown.stderr
    );
    let not_a_number = run(&app, &["mail", "retry", "latest"], "").await;
    assert_eq!(not_a_number.code, 2);

    let kinds: Vec<String> = operator_events(&app)
        .await
        .into_iter()
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(kinds, ["mail_listed", "mail_listed", "mail_retried"]);
}

#[tokio::test]
async fn backup_copies_a_live_sqlite_database_and_points_postgres_to_pg_dump() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com").await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("copy.db");
    let path_text = path.to_str().expect("UTF-8 path");
    let backup = run(&app, &["backup", path_text, "--json"], "").await;
    match backend() {
        Backend::Sqlite => {
            let done = backup.json();
            assert!(done["bytes"].as_u64().expect("a size") > 0);
            // The copy is a database of its own with the account in it.
            let copy = leptos_accounts::server::db::connect(&format!("sqlite://{path_text}"))
                .await
                .expect("open the copy");
            let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
                .fetch_one(&copy)
                .await
                .expect("count");
            assert_eq!(users, 1);
            let again = run(&app, &["backup", path_text], "").await;
            assert_eq!(again.code, 1);
            assert!(again.stderr.contains("exists already"), "{}", again.stderr);
            let kinds: Vec<String> = operator_events(&app)
                .await
                .into_iter()
                .map(|(kind, ..)| kind)
                .collect();
            assert_eq!(kinds, ["backup_made"]);
        }
        Backend::Postgres => {
            assert_eq!(backup.code, 1);
            assert!(backup.stderr.contains("pg_dump"), "{}", backup.stderr);
            assert!(!path.exists());
        }
    }
}

#[tokio::test]
async fn a_command_on_a_missing_sqlite_file_fails_without_making_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing = dir.path().join("typo").join("acounts.db");
    let output = tokio::task::spawn_blocking({
        let missing = missing.clone();
        move || {
            Command::new(env!("CARGO_BIN_EXE_leptos_accounts"))
                .args(["users", "list"])
                .env("DATABASE_URL", format!("sqlite://{}", missing.display()))
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .output()
                .expect("run the command")
        }
    })
    .await
    .expect("command thread");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no database at"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(!missing.exists() && !missing.parent().unwrap().exists());
}
