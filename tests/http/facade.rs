//! The `Accounts` facade driven directly, without HTTP: what the domain
//! promises its callers (server functions and the operator's commands),
//! on the suite's database (SQLite, or PostgreSQL in the second run).

use leptos_accounts::{
    accounts::{
        audit::Entry,
        links::Purpose,
        mail::{Letters, Outbox},
        Accounts, Browser, Client, Current, DeviceKeys, PasswordHasher, RateLimits, SessionPolicy,
        SessionToken, SignedIn, SignedUp,
    },
    error::AppError,
    server::db,
    validation::Problem,
};
use sqlx::AnyPool;
use tempfile::TempDir;

const PASSWORD: &str = "correct horse battery staple";

/// The domain on a fresh database, as the server makes it.
struct Domain {
    accounts: Accounts,
    db: AnyPool,
    _dir: TempDir,
}

impl Domain {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = crate::support::fresh_database(&dir).await;
        let db = db::connect(&url).await.expect("database");
        let keys = DeviceKeys::load(&db).await.expect("keys");
        let outbox = Outbox::new(
            Letters::new("http://accounts.test"),
            keys.clone(),
            &Default::default(),
        );
        let accounts = Accounts::new(
            db.clone(),
            PasswordHasher::new(2, 16),
            SessionPolicy::default(),
            RateLimits::default(),
            keys,
            outbox,
            leptos_accounts::accounts::SealKey::new(
                &leptos_accounts::accounts::SealKey::generate_bytes(),
            ),
        );
        Self {
            accounts,
            db,
            _dir: dir,
        }
    }

    async fn sign_up(&self, email: &str) -> SignedIn {
        match self
            .accounts
            .sign_up(email, PASSWORD, "Ada", &client(), &Browser::default())
            .await
        {
            Ok(SignedUp::SignedIn(signed_in)) => *signed_in,
            other => panic!("sign-up of {email}: {other:?}"),
        }
    }

    /// Logs in from a new browser, without "Remember me".
    async fn log_in(&self, email: &str, password: &str) -> Result<SignedIn, AppError> {
        self.accounts
            .log_in(email, password, false, &client(), &Browser::default())
            .await
            .map(|logged_in| logged_in.signed_in().expect("no second factor"))
    }

    /// Who the session `token` belongs to, if it is live.
    async fn session_of(&self, token: &SessionToken) -> Option<Current> {
        self.accounts
            .user_for_session(token)
            .await
            .expect("session look-up")
    }

    /// The one-time token in the latest mail of `kind` to `to`.
    async fn token_mailed(&self, kind: &str, to: &str) -> String {
        let text: String = sqlx::query_scalar(
            "SELECT text_body FROM outbox WHERE kind = $1 AND recipient = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(kind)
        .bind(to)
        .fetch_one(&self.db)
        .await
        .expect("a mail");
        let (_, after) = text.split_once("token=").expect("a link in the mail");
        after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    async fn mails(&self, kind: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.db)
            .await
            .expect("count mail")
    }
}

fn client() -> Client {
    Client::new("192.0.2.10".into(), "facade test")
}

#[tokio::test]
async fn sign_up_makes_a_signed_in_account_with_a_verification_mail() {
    let domain = Domain::new().await;
    let signed_in = domain.sign_up("Ada@Example.COM").await;
    assert_eq!(signed_in.user.email, "Ada@example.com");
    assert_eq!(signed_in.user.display_name, "Ada");
    assert_eq!(signed_in.user.email_verified_at, None);
    let current = domain
        .session_of(&signed_in.session.token)
        .await
        .expect("the new session is live");
    assert_eq!(current.user, signed_in.user);
    assert_eq!(domain.mails("verify_email").await, 1);
}

#[tokio::test]
async fn sign_up_reports_every_problem_at_once_and_refuses_a_taken_address() {
    let domain = Domain::new().await;
    let error = domain
        .accounts
        .sign_up(
            "not an address",
            "short",
            "Ada",
            &client(),
            &Browser::default(),
        )
        .await
        .unwrap_err();
    let AppError::Invalid(problems) = error else {
        panic!("expected field problems, got {error:?}");
    };
    assert_eq!(problems.len(), 2, "{problems:?}");

    domain.sign_up("ada@example.com").await;
    let taken = domain
        .accounts
        .sign_up(
            "ADA@example.com",
            PASSWORD,
            "Another",
            &client(),
            &Browser::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(taken, AppError::invalid(Problem::EmailTaken));
}

#[tokio::test]
async fn log_in_checks_the_password_and_replaces_the_browsers_session() {
    let domain = Domain::new().await;
    let first = domain.sign_up("ada@example.com").await;
    for (email, password) in [
        ("ada@example.com", "wrong password, long enough"),
        ("nobody@example.com", PASSWORD),
    ] {
        let refused = domain.log_in(email, password).await.unwrap_err();
        assert_eq!(refused, AppError::InvalidCredentials, "{email}");
    }

    let browser = Browser {
        session: Some(first.session.token),
        device_cookie: Some(first.device_cookie),
    };
    let second = domain
        .accounts
        .log_in("ada@example.com", PASSWORD, true, &client(), &browser)
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert!(second.session.persistent);
    let old = browser.session.as_ref().unwrap();
    assert_ne!(old.as_str(), second.session.token.as_str());
    assert_eq!(domain.session_of(old).await, None);
    assert!(domain.session_of(&second.session.token).await.is_some());
}

#[tokio::test]
async fn sessions_are_listed_per_account_and_end_for_good() {
    let domain = Domain::new().await;
    let here = domain.sign_up("ada@example.com").await;
    let elsewhere = domain.log_in("ada@example.com", PASSWORD).await.unwrap();
    let stranger = domain.sign_up("grace@example.com").await;

    let current = domain.session_of(&here.session.token).await.unwrap();
    let listed = domain.accounts.sessions(&current).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].current);
    assert!(!listed[1].current);

    // Signed in just now, so in sudo mode: no password needed.
    let ended = domain
        .accounts
        .end_other_sessions(&current, None, &client(), &Browser::default())
        .await
        .unwrap();
    assert_eq!(ended.0, 1);
    assert!(ended.1.is_none(), "no password, no renewal");
    let gone = &elsewhere.session.token;
    assert_eq!(domain.session_of(gone).await, None);
    // Another account's session is not this account's to end.
    assert!(domain.session_of(&stranger.session.token).await.is_some());

    domain.accounts.log_out(&here.session.token).await.unwrap();
    assert_eq!(domain.session_of(&here.session.token).await, None);
    let forged = SessionToken::generate();
    assert_eq!(domain.session_of(&forged).await, None);
}

/// Who acted when, from where and with what, for comparing events.
fn lines(entries: &[Entry]) -> Vec<(i64, &str, &str, &str, &str)> {
    entries
        .iter()
        .map(|entry| {
            let Entry {
                at,
                kind,
                ip,
                user_agent,
                actor,
            } = entry;
            (
                *at,
                kind.as_str(),
                ip.as_str(),
                user_agent.as_str(),
                actor.as_str(),
            )
        })
        .collect()
}

/// The profile page reads the session and the latest events in one
/// query: the same answer as the two reads apart, only the ten newest
/// events and newest first, never another account's, and nothing for an
/// ended or unknown session.
#[tokio::test]
async fn the_session_with_its_activity_is_the_session_and_the_activity_read_apart() {
    let domain = Domain::new().await;
    let ada = domain.sign_up("ada@example.com").await;
    let grace = domain.sign_up("grace@example.com").await;
    for _ in 0..11 {
        domain.log_in("ada@example.com", PASSWORD).await.unwrap();
    }

    for (token, events) in [(&ada.session.token, 10), (&grace.session.token, 1)] {
        let (current, activity) = domain
            .accounts
            .user_and_activity_for_session(token)
            .await
            .expect("look-up")
            .expect("a live session");
        assert_eq!(Some(&current), domain.session_of(token).await.as_ref());
        let apart = domain
            .accounts
            .recent_activity(current.user.id)
            .await
            .unwrap();
        assert_eq!(lines(&activity), lines(&apart));
        assert_eq!(activity.len(), events);
    }
    let ada_activity = domain
        .accounts
        .user_and_activity_for_session(&ada.session.token)
        .await
        .unwrap()
        .unwrap()
        .1;
    assert!(ada_activity.iter().all(|entry| entry.kind == "log_in"));
    assert!(ada_activity.windows(2).all(|pair| pair[0].at >= pair[1].at));

    domain.accounts.log_out(&ada.session.token).await.unwrap();
    for token in [&ada.session.token, &SessionToken::generate()] {
        let found = domain
            .accounts
            .user_and_activity_for_session(token)
            .await
            .expect("look-up");
        assert!(found.is_none(), "an ended or unknown session finds nothing");
    }
}

#[tokio::test]
async fn a_reset_link_works_once_for_its_own_purpose() {
    let domain = Domain::new().await;
    domain.sign_up("ada@example.com").await;
    domain
        .accounts
        .request_password_reset("nobody@example.com", &client())
        .await
        .unwrap();
    assert_eq!(domain.mails("reset_password").await, 0);
    domain
        .accounts
        .request_password_reset("ADA@example.com", &client())
        .await
        .unwrap();
    let token = domain
        .token_mailed("reset_password", "ada@example.com")
        .await;

    let live = |purpose| domain.accounts.link_is_live(&token, purpose);
    assert!(live(Purpose::Reset).await.unwrap());
    assert!(!live(Purpose::Verify).await.unwrap());
    assert!(!live(Purpose::EmailChange).await.unwrap());

    let new_password = "a brand new passphrase for ada";
    let signed_in = domain
        .accounts
        .reset_password(
            &token,
            new_password,
            new_password,
            &client(),
            &Browser::default(),
        )
        .await
        .unwrap()
        .signed_in()
        .unwrap();
    assert_eq!(signed_in.user.email, "ada@example.com");
    // The link reached the address, so the address counts as verified.
    assert!(signed_in.user.email_verified_at.is_some());
    assert!(!domain
        .accounts
        .link_is_live(&token, Purpose::Reset)
        .await
        .unwrap());
    let again = domain
        .accounts
        .reset_password(&token, PASSWORD, PASSWORD, &client(), &Browser::default())
        .await
        .unwrap_err();
    assert_eq!(again, AppError::LinkInvalid);

    let old = domain
        .log_in("ada@example.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(old, AppError::InvalidCredentials);
    domain
        .log_in("ada@example.com", new_password)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_verification_link_proves_the_address_once() {
    let domain = Domain::new().await;
    domain.sign_up("ada@example.com").await;
    let token = domain.token_mailed("verify_email", "ada@example.com").await;
    let verified = domain
        .accounts
        .verify_email(&token, None, &client(), &Browser::default())
        .await
        .unwrap();
    assert!(verified.user.email_verified_at.is_some());
    assert!(verified.signed_in.is_none());
    let again = domain
        .accounts
        .verify_email(&token, None, &client(), &Browser::default())
        .await
        .unwrap_err();
    assert_eq!(again, AppError::LinkInvalid);
    let made_up = SessionToken::generate();
    let unknown = domain
        .accounts
        .verify_email(made_up.as_str(), None, &client(), &Browser::default())
        .await
        .unwrap_err();
    assert_eq!(unknown, AppError::LinkInvalid);
}
