//! What an operator reads: Prometheus metrics on their own listener, and
//! logs (plain or JSON) that tie each line to a request id and never hold
//! a password, a token or a cookie. Each test runs the server binary, as
//! it is deployed, and reads what it wrote.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::IpAddr,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    mail_server::{free_port, MailDev, ServerProcess},
    support::{encode_form, send_blocking, Call, Reply, TestApp, PASSWORD},
};

const NEW_PASSWORD: &str = "copper lantern under seven hills";
const WRONG_PASSWORD: &str = "somebody guessing wrong";

fn sign_up_form(email: &str) -> String {
    encode_form(&[
        ("email", email),
        ("password", PASSWORD),
        ("display_name", ""),
    ])
}

fn log_in_form(email: &str, password: &str) -> String {
    encode_form(&[("email", email), ("password", password)])
}

// ---- Metrics ---------------------------------------------------------------

/// One scrape, as series (`name` and sorted labels) to value.
struct Scrape {
    text: String,
    series: BTreeMap<(String, BTreeMap<String, String>), f64>,
}

impl Scrape {
    fn read(url: &str) -> Self {
        let reply = send_blocking("GET", url, &[], None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|kind| kind.starts_with("text/plain")),
            "{:?}",
            reply.headers
        );
        let mut series = BTreeMap::new();
        for line in reply.body.lines().filter(|line| !line.starts_with('#')) {
            let Some((key, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, labels) = match key.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (key, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (label, value) = pair.split_once("=\"").expect("label=\"value\"");
                    (label.to_owned(), value.trim_end_matches('"').to_owned())
                })
                .collect();
            series.insert((name.to_owned(), labels), value);
        }
        Self {
            text: reply.body,
            series,
        }
    }

    /// The value of series `name{labels}`, if the scrape has it.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels = labels
            .iter()
            .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
            .collect();
        self.series.get(&(name.to_owned(), labels)).copied()
    }

    fn expect(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("{name}{labels:?} missing from\n{}", self.text))
    }

    /// Whether any series of family `name` is in the scrape.
    fn has_family(&self, name: &str) -> bool {
        self.series.keys().any(|(series, _)| series == name)
    }
}

#[test]
fn metrics_after_some_traffic_have_every_series_an_operator_watches() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: the sign-up's mail fails to go out.
    let refused = format!("smtp://127.0.0.1:{}", free_port());
    let server = ServerProcess::start(
        &dir.path().join("accounts.db"),
        &[
            ("METRICS_ADDR", "127.0.0.1:0".into()),
            ("SMTP_URL", refused),
            ("MAIL_RETRY_SECONDS", "3600".into()),
        ],
    );
    let metrics = server.metrics_url();

    // Before any traffic, the counters an alert watches already exist.
    let before = Scrape::read(&metrics);
    assert_eq!(
        before.expect("login_attempts_total", &[("outcome", "queue_full")]),
        0.0
    );
    assert_eq!(before.expect("sessions_created_total", &[]), 0.0);

    assert_eq!(server.get("/login", &[]).status, 200);
    assert_eq!(server.get("/no/such/page", &[]).status, 404);
    assert_eq!(
        server.post("/api/auth/signup", &sign_up_form("ada@example.com")),
        200
    );
    let login =
        |password| server.post("/api/auth/login", &log_in_form("ada@example.com", password));
    assert_eq!(login(WRONG_PASSWORD), 401);
    assert_eq!(login(PASSWORD), 200);

    // Never on the public port.
    let public = server.get("/metrics", &[]);
    assert_eq!(public.status, 404);
    assert!(!public.body.contains("http_requests_total"));

    // The verification mail's first attempt fails (and waits an hour).
    let deadline = Instant::now() + Duration::from_secs(20);
    let scrape = loop {
        let scrape = Scrape::read(&metrics);
        if scrape.value("mail_send_failures_total", &[("outcome", "retrying")]) == Some(1.0) {
            break scrape;
        }
        assert!(
            Instant::now() < deadline,
            "no failed delivery:\n{}",
            scrape.text
        );
        std::thread::sleep(Duration::from_millis(100));
    };

    // Requests by route pattern and status class, counted and timed.
    let route = |route: &'static str, status: &'static str| [("route", route), ("status", status)];
    assert_eq!(
        scrape.expect("http_requests_total", &route("/login", "2xx")),
        1.0
    );
    assert_eq!(
        scrape.expect("http_requests_total", &route("/api/auth/login", "4xx")),
        1.0
    );
    assert_eq!(
        scrape.expect("http_requests_total", &route("/api/auth/login", "2xx")),
        1.0
    );
    assert_eq!(
        scrape.expect("http_requests_total", &route("/api/auth/signup", "2xx")),
        1.0
    );
    assert!(scrape.expect("http_requests_total", &route("unmatched", "4xx")) >= 1.0);
    assert!(
        !scrape.text.contains("/no/such/page"),
        "a path no route matched is not a series of its own"
    );
    let [(_, login_route), (_, success)] = route("/api/auth/login", "2xx");
    assert_eq!(
        scrape.expect(
            "http_request_duration_seconds_bucket",
            &[("route", login_route), ("status", success), ("le", "+Inf")]
        ),
        1.0
    );
    assert_eq!(
        scrape.expect(
            "http_request_duration_seconds_count",
            &route("/api/auth/login", "2xx")
        ),
        1.0
    );
    assert!(
        scrape.expect(
            "http_request_duration_seconds_sum",
            &route("/api/auth/login", "2xx")
        ) > 0.0
    );

    // Log-ins by outcome.
    let outcome = |outcome| scrape.expect("login_attempts_total", &[("outcome", outcome)]);
    assert_eq!(outcome("success"), 1.0);
    assert_eq!(outcome("bad_credentials"), 1.0);
    assert_eq!(outcome("rate_limited"), 0.0);
    assert_eq!(outcome("queue_full"), 0.0);

    // Sessions: the sign-up's and the log-in's.
    assert_eq!(scrape.expect("sessions_created_total", &[]), 2.0);

    // The hashing queue: idle now, and how much may wait.
    assert_eq!(scrape.expect("password_hash_queue_depth", &[]), 0.0);
    assert!(scrape.expect("password_hash_queue_capacity", &[]) > 0.0);

    // The outbox: the verification mail waits; nothing given up on yet.
    assert_eq!(scrape.expect("mail_outbox_waiting", &[]), 1.0);
    assert_eq!(scrape.expect("mail_outbox_failed", &[]), 0.0);
    assert!(scrape.expect("mail_outbox_oldest_waiting_seconds", &[]) >= 0.0);
    assert_eq!(scrape.expect("mail_sent_total", &[]), 0.0);
    assert_eq!(
        scrape.expect("mail_send_failures_total", &[("outcome", "given_up")]),
        0.0
    );

    // The database pool.
    let in_use = scrape.expect("db_pool_connections", &[("state", "in_use")]);
    let idle = scrape.expect("db_pool_connections", &[("state", "idle")]);
    let max = scrape.expect("db_pool_max_connections", &[]);
    assert!(
        in_use + idle >= 1.0 && in_use + idle <= max,
        "{in_use} + {idle} of {max}"
    );

    // Every metric the sample Grafana dashboard charts is one the server
    // serves.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana-dashboard.json"),
        )
        .expect("deploy/grafana-dashboard.json"),
    )
    .expect("the dashboard is JSON");
    let charted = dashboard_metrics(&dashboard);
    assert!(charted.len() >= 10, "{charted:?}");
    for name in &charted {
        assert!(
            scrape.has_family(name),
            "the dashboard charts {name}, which is not served"
        );
    }
}

/// The metric names the dashboard's queries use.
fn dashboard_metrics(dashboard: &Value) -> BTreeSet<String> {
    const FAMILIES: [&str; 6] = [
        "http_",
        "login_",
        "sessions_",
        "password_hash_",
        "mail_",
        "db_pool_",
    ];
    let mut names = BTreeSet::new();
    let mut stack = vec![dashboard];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(expr)) = fields.get("expr") {
                    let words = expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
                    names.extend(
                        words
                            .filter(|word| FAMILIES.iter().any(|family| word.starts_with(family)))
                            .map(str::to_owned),
                    );
                }
                stack.extend(fields.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

#[test]
fn without_metrics_addr_no_metrics_listener_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&dir.path().join("accounts.db"), &[]);
    assert_eq!(server.get("/metrics", &[]).status, 404);
    assert!(
        !server.log().iter().any(|line| line.contains("metrics on")),
        "{:?}",
        server.log()
    );
}

// ---- Request ids -------------------------------------------------------------

fn is_new_request_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn get_with_request_id(app: &TestApp, id: &str) -> Reply {
    app.send(Call {
        method: "GET",
        path: "/login",
        headers: vec![("x-request-id", id.to_owned())],
        body: None,
    })
    .await
}

#[tokio::test]
async fn every_answer_carries_a_new_request_id() {
    let app = TestApp::spawn().await;
    let first = app.get("/login").await;
    let second = app.get("/api/auth/nothing-here").await;
    let first = first.header("x-request-id").expect("an id");
    let second = second.header("x-request-id").expect("an id, on errors too");
    assert!(is_new_request_id(first), "{first}");
    assert!(is_new_request_id(second), "{second}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_request_id_is_taken_only_from_a_trusted_proxy() {
    // From a client: its id could be anything, so it is not believed.
    let app = TestApp::spawn().await;
    let reply = get_with_request_id(&app, "planted-by-a-client").await;
    let id = reply.header("x-request-id").expect("an id");
    assert!(is_new_request_id(id), "{id}");

    // From the proxy (here everything comes from 127.0.0.1): its id is
    // used, so that its access log and ours share it; unless it is not a
    // plausible id.
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let behind_proxy = TestApp::spawn_with(|config| config.trusted_proxies = vec![loopback]).await;
    let reply = get_with_request_id(&behind_proxy, "9f1c2e7a0b3d4c5e6f708192a3b4c5d6").await;
    assert_eq!(
        reply.header("x-request-id"),
        Some("9f1c2e7a0b3d4c5e6f708192a3b4c5d6")
    );
    for odd in ["has space", "<script>", &"x".repeat(65)] {
        let reply = get_with_request_id(&behind_proxy, odd).await;
        let id = reply.header("x-request-id").expect("an id");
        assert!(is_new_request_id(id), "{odd:?} gave {id}");
    }
}

// ---- Logs --------------------------------------------------------------------

#[test]
fn json_logs_are_one_object_per_line_with_request_id_and_route_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &dir.path().join("accounts.db"),
        &[
            ("LOG_FORMAT", "json".into()),
            ("TRUSTED_PROXY", "127.0.0.1".into()),
        ],
    );
    let token = "QmF0dGVyeSBob3JzZSBzdGFwbGUgY29ycmVjdA";
    let page = server.get(&format!("/reset-password?token={token}"), &[]);
    assert_eq!(page.status, 200);
    let id = page
        .header("x-request-id")
        .expect("a request id")
        .to_owned();
    assert!(is_new_request_id(&id), "{id}");

    // The proxy's id (nginx's $request_id) is the one logged and returned.
    let proxied = server.get("/login", &[("x-request-id", "edge-7f3a9c")]);
    assert_eq!(proxied.header("x-request-id"), Some("edge-7f3a9c"));

    let request_line = |id: &str| {
        let id = id.to_owned();
        let line = server.wait_for_line(move |line| {
            line.contains(&format!("\"request_id\":\"{id}\"")) && line.contains("\"status\"")
        });
        serde_json::from_str::<Value>(&line).expect("JSON")
    };
    let reset = request_line(&id);
    assert_eq!(reset["route"], "/reset-password", "{reset}");
    assert_eq!(reset["method"], "GET");
    assert_eq!(reset["status"], 200);
    assert!(reset["ms"].as_f64().is_some(), "{reset}");
    assert_eq!(reset["level"], "INFO");
    assert!(reset["timestamp"].is_string(), "{reset}");
    assert_eq!(request_line("edge-7f3a9c")["route"], "/login");

    // What is logged while a request is served (here the audit trail's
    // sign-up event) carries the request's id too.
    let signed_up = server.post_form("/api/auth/signup", &sign_up_form("ada@example.com"), None);
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    let id = signed_up
        .header("x-request-id")
        .expect("a request id")
        .to_owned();
    let audit = server.wait_for_line(|line| line.contains("\"event\":\"sign_up\""));
    let audit: Value = serde_json::from_str(&audit).expect("JSON");
    assert_eq!(audit["target"], "audit", "{audit}");
    assert_eq!(audit["span"]["request_id"], id.as_str(), "{audit}");
    assert_eq!(request_line(&id)["route"], "/api/auth/signup");

    // Every line, the start-up ones too, is one JSON object.
    let log = server.log();
    assert!(log.len() >= 3, "{log:?}");
    for line in &log {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        for field in ["timestamp", "level", "target"] {
            assert!(object[field].is_string(), "no {field}: {line}");
        }
    }
    // The link's token is nowhere: the route pattern stands for the page.
    assert!(
        !log.iter().any(|line| line.contains(token)),
        "{}",
        log.join("\n")
    );
}

/// `value` as it may be written: raw, form-encoded or percent-encoded.
fn spellings(value: &str) -> Vec<String> {
    vec![
        value.to_owned(),
        value.replace(' ', "+"),
        value.replace(' ', "%20"),
        encode_form(&[("x", value)])
            .trim_start_matches("x=")
            .to_owned(),
    ]
}

/// The value of cookie `name` that `reply` sets.
fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    reply
        .cookie(name)
        .and_then(|cookie| cookie.split_once('=').map(|(_, value)| value.to_owned()))
}

/// The token of the link to `page` (`/verify-email?token=…`) in `text`.
fn token_in(text: &str, page: &str) -> String {
    let marker = format!("{page}?token=");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn no_password_token_or_cookie_is_ever_logged() {
    for format in ["text", "json"] {
        let maildev = MailDev::start();
        let dir = tempfile::tempdir().unwrap();
        let server = ServerProcess::start(
            &dir.path().join("accounts.db"),
            &[
                ("LOG_FORMAT", format.into()),
                // Everything the server and its libraries would say.
                ("RUST_LOG", "debug".into()),
                ("SMTP_URL", maildev.smtp_url()),
            ],
        );
        let mut secrets: Vec<String> =
            vec![PASSWORD.into(), NEW_PASSWORD.into(), WRONG_PASSWORD.into()];
        let email = "ada@example.com";

        let signed_up = server.post_form("/api/auth/signup", &sign_up_form(email), None);
        assert_eq!(signed_up.status, 200, "{}", signed_up.body);
        secrets.extend(cookie_value(&signed_up, "session"));
        secrets.extend(cookie_value(&signed_up, "device"));
        assert_eq!(
            server.post("/api/auth/login", &log_in_form(email, WRONG_PASSWORD)),
            401
        );
        let logged_in = server.post_form("/api/auth/login", &log_in_form(email, PASSWORD), None);
        assert_eq!(logged_in.status, 200, "{}", logged_in.body);
        let session = logged_in.cookie("session").expect("a session");
        secrets.extend(cookie_value(&logged_in, "session"));

        // The verification link, opened and confirmed.
        let verify = token_in(&maildev.wait_for(email, 1)[0].text, "/verify-email");
        secrets.push(verify.clone());
        assert_eq!(
            server
                .get(&format!("/verify-email?token={verify}"), &[])
                .status,
            200
        );
        let verified = server.post_form(
            "/api/auth/verify-email",
            &encode_form(&[("token", &verify)]),
            Some(&session),
        );
        assert_eq!(verified.status, 200, "{}", verified.body);

        // The password reset, from the mail to the new password.
        assert_eq!(
            server.post(
                "/api/auth/password-reset/request",
                &encode_form(&[("email", email)])
            ),
            200
        );
        let reset = token_in(&maildev.wait_for(email, 2)[1].text, "/reset-password");
        secrets.push(reset.clone());
        assert_eq!(
            server
                .get(&format!("/reset-password?token={reset}"), &[])
                .status,
            200
        );
        let confirmed = server.post_form(
            "/api/auth/password-reset/confirm",
            &encode_form(&[
                ("token", &reset),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ]),
            None,
        );
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        secrets.extend(cookie_value(&confirmed, "session"));
        secrets.extend(cookie_value(&confirmed, "device"));
        let me = server.post_form("/api/auth/me", "", confirmed.cookie("session").as_deref());
        assert!(me.body.contains(email), "{}", me.body);

        server.wait_for_line(|line| line.contains("/api/auth/me"));
        let log = server.log();
        server.stop();

        // The log did record the run: every route it went through.
        for route in [
            "/api/auth/signup",
            "/api/auth/login",
            "/verify-email",
            "/reset-password",
        ] {
            assert!(
                log.iter().any(|line| line.contains(route)),
                "{format}: {route} is not in the log:\n{}",
                log.join("\n")
            );
        }
        // And none of what would let someone in.
        assert!(secrets.len() >= 9, "{secrets:?}");
        for secret in &secrets {
            assert!(secret.len() >= 16, "{secret}");
            for spelling in spellings(secret) {
                if let Some(line) = log.iter().find(|line| line.contains(&spelling)) {
                    panic!("{format} log holds a secret ({spelling}): {line}");
                }
            }
        }
    }
}
