//! Real processes: MailDev (an SMTP server that keeps what it receives
//! and lists it over HTTP, installed by `make test` from npm) and the
//! server binary itself, with its log.

use crate::support::{send_blocking, Reply};
use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant},
};

/// A MailDev process on free loopback ports; stopped when dropped.
pub struct MailDev {
    child: Child,
    pub smtp_port: u16,
    web_port: u16,
}

/// One message MailDev received.
#[derive(Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

impl MailDev {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts MailDev with its SMTP server on `smtp_port`.
    pub fn start_on(smtp_port: u16) -> Self {
        let binary =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("end2end/node_modules/.bin/maildev");
        assert!(
            binary.exists(),
            "{} is missing: run `make test`, which installs it",
            binary.display()
        );
        let web_port = free_port();
        let child = Command::new(binary)
            .args([
                "--smtp",
                &smtp_port.to_string(),
                "--web",
                &web_port.to_string(),
                "--ip",
                "127.0.0.1",
                "--web-ip",
                "127.0.0.1",
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start MailDev");
        let maildev = Self {
            child,
            smtp_port,
            web_port,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&maildev.api("/email")).call().is_err() {
            assert!(Instant::now() < deadline, "MailDev did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        while std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "MailDev's SMTP port did not open"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        maildev
    }

    fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web_port)
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let body = ureq::get(&self.api("/email"))
            .call()
            .expect("MailDev answers")
            .body_mut()
            .read_to_string()
            .expect("MailDev's list");
        let list: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        list.as_array()
            .expect("a list")
            .iter()
            .map(|mail| Received {
                to: mail["to"]
                    .as_array()
                    .map(|to| {
                        to.iter()
                            .filter_map(|to| to["address"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                subject: mail["subject"].as_str().unwrap_or_default().to_owned(),
                text: mail["text"].as_str().unwrap_or_default().to_owned(),
                html: mail["html"].as_str().unwrap_or_default().to_owned(),
                message_id: mail["messageId"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Waits until `count` messages for `to` have arrived; returns them.
    pub fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mails: Vec<Received> = self
                .messages()
                .into_iter()
                .filter(|mail| mail.to.iter().any(|address| address == to))
                .collect();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "{count} mail(s) for {to} did not arrive within 30 s; got {mails:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MailDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary, started on a free port with the given settings.
pub struct ServerProcess {
    child: Child,
    pub origin: String,
    /// Every line the server wrote, to stdout and stderr, so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts it on SQLite file `database`; `settings` are environment
    /// variables that add to or override the defaults (`RUST_LOG=info`).
    pub fn start(database: &Path, settings: &[(&str, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leptos_accounts"));
        command
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", site_root())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the server binary");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sender, address) = mpsc::channel();
        let stdout = child.stdout.take().expect("server output");
        let stderr = child.stderr.take().expect("server errors");
        keep_lines(stdout, Arc::clone(&log), Some(sender));
        keep_lines(stderr, Arc::clone(&log), None);
        let origin = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        Self { child, origin, log }
    }

    /// Every line the server has written so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// Waits until a line of the log passes `test`; returns that line.
    pub fn wait_for_line(&self, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.log().into_iter().find(|line| test(line)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no such line in the server log:\n{}",
                self.log().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The metrics listener's URL, when `METRICS_ADDR` was set.
    pub fn metrics_url(&self) -> String {
        let line = self.wait_for_line(|line| line.contains("metrics on http://"));
        format!(
            "http://{}/metrics",
            address_after(&line, "metrics on http://")
        )
    }

    /// Stops it as a crash or `kill -9` would: no chance to tidy up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it as systemd does (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("send SIGTERM");
        assert!(stopped.success());
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "{status}");
    }

    /// POSTs a form as an API client; returns the status.
    pub fn post(&self, path: &str, body: &str) -> u16 {
        self.post_form(path, body, None).status
    }

    /// POSTs a form as an API client, with `cookie` if given.
    pub fn post_form(&self, path: &str, body: &str, cookie: Option<&str>) -> Reply {
        let mut headers = vec![
            ("origin".to_owned(), self.origin.clone()),
            ("accept".to_owned(), "application/json".to_owned()),
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        headers.extend(cookie.map(|cookie| ("cookie".to_owned(), cookie.to_owned())));
        self.send("POST", path, &headers, Some(body.as_bytes().to_vec()))
    }

    /// GETs `path` with `headers`.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.send("GET", path, &headers, None)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        send_blocking(method, &format!("{}{path}", self.origin), headers, body)
    }
}

/// Keeps the lines `output` writes in `log`; sends the origin the server
/// says it listens on to `started`.
fn keep_lines(
    output: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<Vec<String>>>,
    started: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if line.contains("listening on http://") {
                if let Some(started) = &started {
                    let address = address_after(&line, "listening on http://");
                    let _ = started.send(format!("http://{address}"));
                }
            }
            log.lock().expect("log").push(line);
        }
    });
}

/// The `host:port` that follows `marker` in a log line, plain or JSON.
fn address_after(line: &str, marker: &str) -> String {
    line.split(marker)
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':'))
        .collect()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn site_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site")
}
