//! Real processes for the mail tests: MailDev (an SMTP server that keeps
//! what it receives and lists it over HTTP, installed by `make test` from
//! npm) and the server binary itself.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
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
}

impl ServerProcess {
    pub fn start(database: &Path, settings: &[(&str, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leptos_accounts"));
        command
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", site_root())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped());
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start the server binary");
        let stdout = child.stdout.take().expect("server output");
        let (sender, address) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.split("listening on ").nth(1) {
                    let _ = sender.send(address.trim().to_owned());
                }
            }
        });
        let origin = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        Self { child, origin }
    }

    /// Stops it as a crash or `kill -9` would: no chance to tidy up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// POSTs a form as an API client; returns the status.
    pub fn post(&self, path: &str, body: &str) -> u16 {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(&format!("{}{path}", self.origin))
            .header("origin", &self.origin)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .send(body)
            .expect("answer")
            .status()
            .as_u16()
    }
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
