//! Signing in through an external OpenID provider, over HTTP against the
//! local provider of `issuer.rs`, which signs real ID tokens: the first
//! sign-in makes an account once accepted, the next ones sign in, an
//! identity whose address has an account is linked only after proof, and
//! every failure (state, nonce, audience, expiry, a refused or used code,
//! a provider that is down) ends on its page, never in a 500.

use crate::{
    email::{last_mail, token_in},
    issuer::{query_of, Issuer, Misbehave, Person},
    support::{now, Reply, TestApp, PASSWORD},
    two_factor::with_app,
};

/// An app offering the issuer as provider `test`.
async fn app_with(issuer: &Issuer) -> TestApp {
    let settings = issuer.settings();
    TestApp::spawn_with(move |config| config.external_providers = vec![settings]).await
}

/// A browser's cookies, as one `Cookie` header.
fn cookies(pairs: &[Option<String>]) -> String {
    pairs
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
}

/// Follows "Continue with Test ID" in a browser holding `held` cookies:
/// the provider's authorization address, and the trip's cookie.
async fn start(app: &TestApp, held: &str) -> (String, String) {
    let held = (!held.is_empty()).then_some(held);
    let reply = app.post_form("/auth/oidc/test/start", &[], held).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let trip = reply.cookie("oidc").expect("the trip's cookie");
    let set = reply.set_cookie("oidc").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Max-Age=600"),
        "{set}"
    );
    (reply.header("location").unwrap().to_owned(), trip)
}

/// The whole trip for `person` in a browser holding `held`: the callback's
/// answer.
async fn sign_in_as(app: &TestApp, issuer: &Issuer, person: Person, held: &str) -> Reply {
    let (authorize, trip) = start(app, held).await;
    let back = issuer.approve(&authorize, person);
    app.get_with_cookie(&back, &cookies(&[Some(trip), Some(held.to_owned())]))
        .await
}

/// Makes an account through the provider for `person` (a first sign-in,
/// accepted); returns its session.
async fn made_through_provider(app: &TestApp, issuer: &Issuer, person: Person) -> String {
    let back = sign_in_as(app, issuer, person, "").await;
    let waiting = back.cookie("external").expect("a new identity waits");
    let made = app
        .post_form(
            "/api/auth/external/create",
            &[("display_name", "")],
            Some(&waiting),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    made.cookie("session").expect("signed in")
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_log_in_page_offers_configured_providers_only() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let page = app.get("/login").await;
    assert!(
        page.body.contains("Continue with <!>Test ID")
            || page.body.contains("Continue with Test ID"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/auth/oidc/test/start\""));
    // The page's forms may post on to the provider (its redirect), and
    // nowhere else.
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.contains(&format!("form-action 'self' {}", issuer.url)),
        "{policy}"
    );
    // Nothing starts on a GET, or from another site.
    assert_eq!(app.get("/auth/oidc/test/start").await.status, 405);
    let forged = app
        .send(crate::support::Call {
            method: "POST",
            path: "/auth/oidc/test/start",
            headers: vec![("origin", "https://evil.example".to_owned())],
            body: None,
        })
        .await;
    assert_eq!(forged.status, 403);
    let plain = TestApp::spawn().await;
    assert!(!plain.get("/login").await.body.contains("Continue with"));
    // An unknown provider goes back to the log-in page.
    let unknown = app.post_form("/auth/oidc/nobody/start", &[], None).await;
    assert_eq!(
        (unknown.status, unknown.header("location")),
        (303, Some("/login"))
    );
    // The authorization request: PKCE S256, state, nonce, our callback.
    let (authorize, _) = start(&app, "").await;
    let query = query_of(&authorize);
    assert_eq!(
        query["redirect_uri"],
        format!("{}/auth/oidc/test/callback", app.origin())
    );
    assert_eq!(query["code_challenge"].len(), 43);
    assert!(query["state"].len() >= 43 && query["nonce"].len() >= 22);
}

#[tokio::test]
async fn a_first_sign_in_makes_an_account_once_accepted_and_the_next_one_signs_in() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let back = sign_in_as(&app, &issuer, Person::new("ada-1", "ada@example.com"), "").await;
    assert_eq!(
        (back.status, back.header("location")),
        (303, Some("/external-sign-in"))
    );
    assert!(
        back.cookie("session").is_none(),
        "nothing is made before the person accepts"
    );
    assert!(
        back.set_cookie("oidc").unwrap().contains("Max-Age=0"),
        "the trip is over"
    );
    let waiting = back
        .cookie("external")
        .expect("the identity waits in this browser");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);

    let page = app.get_with_cookie("/external-sign-in", &waiting).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Create your account"), "{}", page.body);
    assert!(page.body.contains("ada@example.com"));
    assert!(
        page.body.contains("Ada Lovelace"),
        "the provider's name is offered"
    );

    let made = app
        .post_form(
            "/api/auth/external/create",
            &[("display_name", "Ada")],
            Some(&waiting),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(
        made.body.contains("\"email_verified\":true"),
        "{}",
        made.body
    );
    assert!(made.body.contains("\"display_name\":\"Ada\""));
    assert!(made.cookie("session").is_some());
    assert!(made.set_cookie("external").unwrap().contains("Max-Age=0"));
    // No password: none signs in, not even an empty one or the marker.
    for password in [PASSWORD, "!", ""] {
        assert_ne!(app.log_in("ada@example.com", password).await.status, 200);
    }
    // The identity is used up: making another account with it fails.
    let again = app
        .post_form(
            "/api/auth/external/create",
            &[("display_name", "Ada")],
            Some(&waiting),
        )
        .await;
    assert_eq!(again.status, 410);

    let next = sign_in_as(&app, &issuer, Person::new("ada-1", "ada@example.com"), "").await;
    assert_eq!(
        (next.status, next.header("location")),
        (303, Some("/profile"))
    );
    let session = next.cookie("session").expect("signed in");
    let me = app.post_form("/api/auth/me", &[], Some(&session)).await;
    assert!(me.body.contains("ada@example.com"), "{}", me.body);
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE kind = 'external_log_in'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_address_the_provider_has_not_confirmed_starts_no_account() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let mut person = Person::new("bob-1", "bob@example.com");
    person.email_verified = false;
    let back = sign_in_as(&app, &issuer, person.clone(), "").await;
    assert_eq!(failure_of(&back), "unverified");
    assert!(back.cookie("external").is_none());
    let page = app.get("/external-sign-in?failed=unverified").await;
    assert!(page
        .body
        .contains("has not confirmed that this email address is yours"));
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    // For an address with an account, the owner's proof still works.
    app.sign_up("bob@example.com").await;
    let back = sign_in_as(&app, &issuer, person, "").await;
    assert_eq!(back.header("location"), Some("/external-sign-in"));
}

#[tokio::test]
async fn an_account_made_meanwhile_turns_the_new_identity_into_one_to_prove() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let back = sign_in_as(&app, &issuer, Person::new("max-1", "max@example.com"), "").await;
    let waiting = back.cookie("external").unwrap();
    app.sign_up("max@example.com").await;
    let made = app
        .post_form(
            "/api/auth/external/create",
            &[("display_name", "")],
            Some(&waiting),
        )
        .await;
    assert_eq!(made.status, 409, "{}", made.body);
    assert!(made.body.contains("EmailTaken"));
    let page = app.get_with_cookie("/external-sign-in", &waiting).await;
    assert!(
        page.body.contains("This address already has an account"),
        "{}",
        page.body
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_identities").await,
        0
    );
}

#[tokio::test]
async fn an_identity_claiming_an_accounts_address_is_linked_only_after_proof() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    app.sign_up("carol@example.com").await;
    // Someone at the provider claims Carol's address.
    let back = sign_in_as(
        &app,
        &issuer,
        Person::new("claims-carol", "carol@example.com"),
        "",
    )
    .await;
    assert_eq!(back.header("location"), Some("/external-sign-in"));
    assert!(back.cookie("session").is_none());
    let waiting = back.cookie("external").unwrap();
    let page = app.get_with_cookie("/external-sign-in", &waiting).await;
    assert!(
        page.body.contains("This address already has an account"),
        "{}",
        page.body
    );
    assert!(page.body.contains("c•••@example.com"));
    assert!(!page.body.contains("Create your account"));
    // No account is made for it, and nothing links without proof.
    let made = app
        .post_form(
            "/api/auth/external/create",
            &[("display_name", "x")],
            Some(&waiting),
        )
        .await;
    assert_eq!(made.status, 410);
    let linked = app
        .post_form("/api/auth/external/link", &[], Some(&waiting))
        .await;
    assert_eq!(linked.status, 401);
    // Signed in as someone else, it does not link either.
    let dave = app.sign_up("dave@example.com").await;
    let wrong = app
        .post_form(
            "/api/auth/external/link",
            &[],
            Some(&cookies(&[Some(dave), Some(waiting.clone())])),
        )
        .await;
    assert_eq!(wrong.status, 410);
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_identities").await,
        0
    );

    // The mailed proof goes to Carol; opened in another browser it does nothing.
    let sent = app
        .post_form("/api/auth/external/proof", &[], Some(&waiting))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let (to, text) = last_mail(&app, "link_identity").await;
    assert_eq!(to, "carol@example.com");
    assert!(text.contains("Test ID"));
    let token = token_in(&text, &app.origin(), "/external-sign-in");
    // The link proves the account for the identity it was asked for, not
    // for another one waiting in the same browser later.
    let other = sign_in_as(
        &app,
        &issuer,
        Person::new("claims-carol-2", "carol@example.com"),
        "",
    )
    .await;
    let other = other.cookie("external").unwrap();
    let swapped = app
        .post_form(
            "/api/auth/external/proof/confirm",
            &[("token", &token)],
            Some(&other),
        )
        .await;
    assert_eq!(swapped.status, 410);
    let elsewhere = app
        .post_form(
            "/api/auth/external/proof/confirm",
            &[("token", &token)],
            None,
        )
        .await;
    assert_eq!(elsewhere.status, 410);
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_identities").await,
        0
    );
    // In the browser holding the identity, it links and signs in.
    let proven = app
        .post_form(
            "/api/auth/external/proof/confirm",
            &[("token", &token)],
            Some(&waiting),
        )
        .await;
    assert_eq!(proven.status, 200, "{}", proven.body);
    assert!(proven.cookie("session").is_some());
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_identities").await,
        1
    );
    let (to, notice) = last_mail(&app, "second_factor_changed").await;
    assert_eq!(to, "carol@example.com");
    assert!(
        notice.contains("Signing in with Test ID was linked"),
        "{notice}"
    );
    // The link works once; the identity now signs in directly.
    let again = app
        .post_form(
            "/api/auth/external/proof/confirm",
            &[("token", &token)],
            Some(&waiting),
        )
        .await;
    assert_eq!(again.status, 410);
    let next = sign_in_as(
        &app,
        &issuer,
        Person::new("claims-carol", "carol@example.com"),
        "",
    )
    .await;
    assert_eq!(next.header("location"), Some("/profile"));
}

#[tokio::test]
async fn signing_in_to_the_account_proves_it_and_links_the_identity() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    app.sign_up("erin@example.com").await;
    let back = sign_in_as(
        &app,
        &issuer,
        Person::new("erin-at-test", "erin@example.com"),
        "",
    )
    .await;
    let waiting = back.cookie("external").unwrap();
    // The page sends her to log in and back.
    let page = app.get_with_cookie("/external-sign-in", &waiting).await;
    assert!(page.body.contains("href=\"/login?next=/external-sign-in\""));
    let session = app
        .log_in("erin@example.com", PASSWORD)
        .await
        .cookie("session")
        .unwrap();
    let both = cookies(&[Some(session.clone()), Some(waiting)]);
    let page = app.get_with_cookie("/external-sign-in", &both).await;
    assert!(page.body.contains("Link this sign-in"), "{}", page.body);
    let linked = app
        .post_plain_form("/api/auth/external/link", &[], Some(&both))
        .await;
    assert_eq!(linked.status, 303);
    assert_eq!(
        linked.header("location"),
        Some("/settings?identity=linked#sign-ins")
    );
    let list = app
        .post_form("/api/account/identities", &[], Some(&session))
        .await;
    assert!(
        list.body.contains("\"provider\":\"Test ID\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("erin@example.com"));
}

#[tokio::test]
async fn an_account_with_a_second_factor_still_asks_for_it() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let (session, _, _) = with_app(&app, "fay@example.com").await;
    // Linked from settings (sudo: the password).
    let started = app
        .post_form(
            "/api/account/identities/link",
            &[("provider", "test"), ("current_password", PASSWORD)],
            Some(&session),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let authorize: String = serde_json::from_str(&started.body).unwrap();
    let session = started.cookie("session").unwrap_or(session);
    let trip = started.cookie("oidc").expect("the trip's cookie");
    let back = issuer.approve(&authorize, Person::new("fay-1", "fay@elsewhere.example"));
    let linked = app
        .get_with_cookie(&back, &cookies(&[Some(trip), Some(session)]))
        .await;
    assert_eq!(
        linked.header("location"),
        Some("/settings?identity=linked#sign-ins")
    );
    // Signing in through the provider now asks for the app's code.
    let next = sign_in_as(
        &app,
        &issuer,
        Person::new("fay-1", "fay@elsewhere.example"),
        "",
    )
    .await;
    assert_eq!(next.header("location"), Some("/login-code?next=/profile"));
    assert!(next.cookie("session").is_none());
    assert!(
        next.cookie("login").is_some(),
        "a pending log-in waits for the code"
    );
}

#[tokio::test]
async fn an_account_may_trust_its_provider_for_both_steps() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let (session, _, _) = with_app(&app, "oli@example.com").await;
    let started = app
        .post_form(
            "/api/account/identities/link",
            &[("provider", "test"), ("current_password", PASSWORD)],
            Some(&session),
        )
        .await;
    let authorize: String = serde_json::from_str(&started.body).unwrap();
    let session = started.cookie("session").unwrap_or(session);
    let trip = started.cookie("oidc").unwrap();
    let oli = || Person::new("oli-1", "oli@elsewhere.example");
    let back = issuer.approve(&authorize, oli());
    app.get_with_cookie(&back, &cookies(&[Some(trip), Some(session.clone())]))
        .await;
    let list = app
        .post_form("/api/account/identities", &[], Some(&session))
        .await;
    assert!(
        list.body.contains("\"has_second_factor\":true"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("\"provider_asks_code\":true"),
        "{}",
        list.body
    );

    // Sudo mode, as every such setting.
    sqlx::query("UPDATE sessions SET authenticated_at = 0")
        .execute(&app.db)
        .await
        .unwrap();
    let off = [("ask", "0")];
    let stale = app
        .post_form(
            "/api/account/identities/second-factor",
            &off,
            Some(&session),
        )
        .await;
    assert_eq!(stale.status, 403);
    let off = [("ask", "0"), ("current_password", PASSWORD)];
    let trusted = app
        .post_form(
            "/api/account/identities/second-factor",
            &off,
            Some(&session),
        )
        .await;
    assert_eq!(trusted.status, 200, "{}", trusted.body);
    let session = trusted.cookie("session").unwrap_or(session);
    let (_, notice) = last_mail(&app, "second_factor_changed").await;
    assert!(
        notice.contains("no longer asks for your authenticator app's code"),
        "{notice}"
    );
    // The provider signs in at once; the password still asks for the code.
    let next = sign_in_as(&app, &issuer, oli(), "").await;
    assert_eq!(next.header("location"), Some("/profile"));
    assert!(next.cookie("session").is_some());
    let password = app.log_in("oli@example.com", PASSWORD).await;
    assert_eq!(password.body, r#""SecondFactorRequired""#);

    let on = [("ask", "1"), ("current_password", PASSWORD)];
    let asks = app
        .post_plain_form("/api/account/identities/second-factor", &on, Some(&session))
        .await;
    assert_eq!(
        asks.header("location"),
        Some("/settings?identity=code-on#sign-ins")
    );
    let next = sign_in_as(&app, &issuer, oli(), "").await;
    assert_eq!(next.header("location"), Some("/login-code?next=/profile"));
}

#[tokio::test]
async fn linking_needs_sudo_and_the_last_way_in_cannot_be_unlinked() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    // An account made through the provider has no password.
    let session =
        made_through_provider(&app, &issuer, Person::new("gus-1", "gus@example.com")).await;
    let list = app
        .post_form("/api/account/identities", &[], Some(&session))
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&list.body).unwrap()["linked"][0]["id"]
        .as_i64()
        .unwrap();
    // Fresh from signing in, the session is in sudo mode: the rule stops it.
    let last = app
        .post_form(
            "/api/account/identities/unlink",
            &[("identity", &id.to_string())],
            Some(&session),
        )
        .await;
    assert_eq!(last.status, 422, "{}", last.body);
    assert!(last.body.contains("LastWayToSignIn"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_identities").await,
        1
    );
    // With a password set (through a reset link), it can go.
    app.post_form(
        "/api/auth/password-reset/request",
        &[("email", "gus@example.com")],
        None,
    )
    .await;
    let (_, text) = last_mail(&app, "reset_password").await;
    let token = token_in(&text, &app.origin(), "/reset-password");
    let reset = app
        .post_form(
            "/api/auth/password-reset/confirm",
            &[
                ("token", &token),
                ("password", "copper lantern under seven hills"),
            ],
            None,
        )
        .await;
    let session = reset.cookie("session").unwrap();
    let gone = app
        .post_form(
            "/api/account/identities/unlink",
            &[("identity", &id.to_string())],
            Some(&session),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    let (_, notice) = last_mail(&app, "second_factor_changed").await;
    assert!(notice.contains("was unlinked"), "{notice}");
    // Another account may not unlink what is not its own.
    let stranger = app.sign_up("hal@example.com").await;
    let other = app
        .post_form(
            "/api/account/identities/unlink",
            &[("identity", &id.to_string())],
            Some(&stranger),
        )
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn signing_in_at_the_linked_provider_again_starts_sudo_mode() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let session =
        made_through_provider(&app, &issuer, Person::new("nia-1", "nia@example.com")).await;
    // Long after signing in, settings ask again; she has no password.
    sqlx::query("UPDATE sessions SET authenticated_at = 0")
        .execute(&app.db)
        .await
        .unwrap();
    let link = [("provider", "test")];
    assert_eq!(
        app.post_form("/api/account/identities/link", &link, Some(&session))
            .await
            .status,
        403
    );
    // The prompt a plain form post comes back to offers the provider.
    let asked = app
        .post_plain_form("/api/account/identities/link", &link, Some(&session))
        .await;
    let echo = asked.cookie("form").expect("the prompt travels back");
    let page = app
        .get_with_cookie("/settings", &cookies(&[Some(session.clone()), Some(echo)]))
        .await;
    assert!(
        page.body.contains("formaction=\"/auth/oidc/test/confirm\""),
        "{}",
        page.body
    );
    // Another identity of the provider does not confirm her.
    let confirm = app
        .post_form("/auth/oidc/test/confirm", &[], Some(&session))
        .await;
    assert_eq!(confirm.status, 303);
    let trip = confirm.cookie("oidc").unwrap();
    let authorize = confirm.header("location").unwrap().to_owned();
    let back = issuer.approve(&authorize, Person::new("someone-else", "eve@example.com"));
    let refused = app
        .get_with_cookie(&back, &cookies(&[Some(trip), Some(session.clone())]))
        .await;
    assert_eq!(failure_of(&refused), "not-linked");
    // Her own does: her session is renewed, in sudo mode.
    let confirm = app
        .post_form("/auth/oidc/test/confirm", &[], Some(&session))
        .await;
    let trip = confirm.cookie("oidc").unwrap();
    let authorize = confirm.header("location").unwrap().to_owned();
    let back = issuer.approve(&authorize, Person::new("nia-1", "nia@example.com"));
    let confirmed = app
        .get_with_cookie(&back, &cookies(&[Some(trip), Some(session.clone())]))
        .await;
    assert_eq!(
        confirmed.header("location"),
        Some("/settings?identity=confirmed")
    );
    let renewed = confirmed.cookie("session").expect("a renewed session");
    assert_ne!(renewed, session);
    let me = app.post_form("/api/auth/me", &[], Some(&session)).await;
    assert_eq!(me.body, "null", "the old token stopped working");
    let started = app
        .post_form("/api/account/identities/link", &link, Some(&renewed))
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let page = app
        .get_with_cookie("/settings?identity=confirmed", &renewed)
        .await;
    assert!(page.body.contains("You confirmed it is you"));
    // Anonymous: to the log-in page.
    let anonymous = app.post_form("/auth/oidc/test/confirm", &[], None).await;
    assert_eq!(anonymous.header("location"), Some("/login?next=/settings"));
}

#[tokio::test]
async fn an_identity_of_another_account_is_not_linked_from_settings() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    app.sign_up("ivy@example.com").await;
    made_through_provider(&app, &issuer, Person::new("shared-1", "jon@example.com")).await;
    let ivy = app
        .log_in("ivy@example.com", PASSWORD)
        .await
        .cookie("session")
        .unwrap();
    let started = app
        .post_form(
            "/api/account/identities/link",
            &[("provider", "test")],
            Some(&ivy),
        )
        .await;
    assert_eq!(
        started.status, 200,
        "fresh sessions are in sudo mode: {}",
        started.body
    );
    let authorize: String = serde_json::from_str(&started.body).unwrap();
    let trip = started.cookie("oidc").unwrap();
    let back = issuer.approve(&authorize, Person::new("shared-1", "jon@example.com"));
    let taken = app
        .get_with_cookie(&back, &cookies(&[Some(trip), Some(ivy)]))
        .await;
    assert_eq!(
        taken.header("location"),
        Some("/settings?identity=taken#sign-ins")
    );
}

/// The failure a callback lands on.
fn failure_of(reply: &Reply) -> &str {
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(reply.cookie("session").is_none());
    reply
        .header("location")
        .and_then(|location| location.strip_prefix("/external-sign-in?failed="))
        .unwrap_or_else(|| panic!("a failure, not {:?}", reply.header("location")))
}

#[tokio::test]
async fn each_failure_lands_on_its_page() {
    let issuer = Issuer::start().await;
    let settings = issuer.settings();
    // Many trips from one network: more than its burst of sign-ins.
    let app = TestApp::spawn_with(move |config| {
        config.external_providers = vec![settings];
        config.limits.ip_burst = 1000;
    })
    .await;
    let ada = || Person::new("ada-2", "ada@example.com");

    // The person says no, or the provider answers with an error.
    let (authorize, trip) = start(&app, "").await;
    let denied = app
        .get_with_cookie(&issuer.refuse(&authorize, "access_denied"), &trip)
        .await;
    assert_eq!(failure_of(&denied), "denied");
    let (authorize, trip) = start(&app, "").await;
    let error = app
        .get_with_cookie(&issuer.refuse(&authorize, "server_error"), &trip)
        .await;
    assert_eq!(failure_of(&error), "rejected");

    // Another browser (no trip cookie), a made-up state, a replay.
    let (authorize, trip) = start(&app, "").await;
    let back = issuer.approve(&authorize, ada());
    assert_eq!(failure_of(&app.get(&back).await), "expired");
    let forged = back.replace("state=", "state=A");
    assert_eq!(
        failure_of(&app.get_with_cookie(&forged, &trip).await),
        "expired"
    );
    let first = app.get_with_cookie(&back, &trip).await;
    assert_eq!(first.header("location"), Some("/external-sign-in"));
    assert_eq!(
        failure_of(&app.get_with_cookie(&back, &trip).await),
        "expired"
    );

    // A trip over 10 minutes old.
    let (authorize, trip) = start(&app, "").await;
    sqlx::query("UPDATE external_requests SET expires_at = $1")
        .bind(now() - 1)
        .execute(&app.db)
        .await
        .unwrap();
    let back = issuer.approve(&authorize, ada());
    assert_eq!(
        failure_of(&app.get_with_cookie(&back, &trip).await),
        "expired"
    );

    // ID tokens that fail a check.
    for how in [
        Misbehave::WrongNonce,
        Misbehave::WrongAudience,
        Misbehave::Expired,
        Misbehave::WrongIssuer,
        Misbehave::BadSignature,
    ] {
        issuer.misbehave(how);
        let reply = sign_in_as(&app, &issuer, ada(), "").await;
        assert_eq!(failure_of(&reply), "rejected", "{how:?}");
    }
    // The address only in the user info is read from there.
    issuer.misbehave(Misbehave::EmailOnlyInUserInfo);
    let reply = sign_in_as(&app, &issuer, Person::new("kim-1", "kim@example.com"), "").await;
    assert_eq!(reply.header("location"), Some("/external-sign-in"));
    issuer.misbehave(Misbehave::Nothing);
    // No address at all.
    let mut nameless = ada();
    nameless.email = None;
    assert_eq!(
        failure_of(&sign_in_as(&app, &issuer, nameless, "").await),
        "no-email"
    );
    // A code the provider no longer takes (used, or expired there).
    let (authorize, trip) = start(&app, "").await;
    let back = issuer.approve(&authorize, ada());
    let code = query_of(&back)["code"].clone();
    let stale = back.replace(&code, "a-code-the-provider-never-gave");
    assert_eq!(
        failure_of(&app.get_with_cookie(&stale, &trip).await),
        "rejected"
    );

    // Each failure's page says what happened, and offers the other ways in.
    for (reason, says) in [
        ("denied", "You did not allow the sign-in"),
        ("expired", "took too long"),
        ("rejected", "could not be accepted"),
        ("unavailable", "could not be reached"),
        ("no-email", "did not share an email address"),
        ("%3Cscript%3E", "Something went wrong on our side"),
    ] {
        let page = app.get(&format!("/external-sign-in?failed={reason}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(says), "{reason}");
        assert!(page.body.contains("href=\"/login-link\""));
        assert!(!page.body.contains("<script>\""));
    }

    // The provider goes down between the start and the callback.
    let (authorize, trip) = start(&app, "").await;
    let back = issuer.approve(&authorize, ada());
    issuer.go_down();
    assert_eq!(
        failure_of(&app.get_with_cookie(&back, &trip).await),
        "unavailable"
    );
    // No failure made an account or a row that outlives it.
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM external_requests").await,
        0
    );
}

#[tokio::test]
async fn a_provider_that_rotates_its_keys_is_read_again() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    issuer.misbehave(Misbehave::NewKey);
    let reply = sign_in_as(&app, &issuer, Person::new("lee-1", "lee@example.com"), "").await;
    assert_eq!(
        reply.header("location"),
        Some("/external-sign-in"),
        "{:?}",
        reply.header("location")
    );
    // The keys are read again at most once a minute: a token signed with a
    // key nobody lists is refused without another reading.
    issuer.misbehave(Misbehave::BadSignature);
    let reply = sign_in_as(&app, &issuer, Person::new("lee-1", "lee@example.com"), "").await;
    assert_eq!(failure_of(&reply), "rejected");
}

#[tokio::test]
async fn a_network_that_starts_too_many_trips_waits() {
    let issuer = Issuer::start().await;
    let app = app_with(&issuer).await;
    let mut last = None;
    for _ in 0..25 {
        let reply = app.post_form("/auth/oidc/test/start", &[], None).await;
        last = reply.header("location").map(str::to_owned);
    }
    assert_eq!(last.as_deref(), Some("/external-sign-in?failed=too-many"));
    let page = app.get("/external-sign-in?failed=too-many").await;
    assert!(page.body.contains("too many sign-ins from your network"));
}

#[tokio::test]
async fn a_provider_that_cannot_be_discovered_stops_the_start() {
    let issuer = Issuer::start().await;
    let mut settings = issuer.settings();
    issuer.go_down();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    settings.name = "down".to_owned();
    let error = leptos_accounts::accounts::external::Providers::discover(
        &[settings],
        "http://localhost:3000",
    )
    .await
    .err()
    .expect("discovery fails");
    assert!(
        error.contains("OpenID provider down: discovery at http://127.0.0.1:"),
        "{error}"
    );
    assert!(!error.contains("issuer test secret"));
}
