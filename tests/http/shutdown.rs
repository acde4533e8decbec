//! Stopping the server (SIGTERM, as systemd or a container runtime sends
//! it) lets a request already in flight finish, and takes no new ones.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

#[tokio::test]
async fn a_stopping_server_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = Command::new(env!("CARGO_BIN_EXE_leptos_accounts"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/accounts.db", dir.path().display()),
        )
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", dir.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server binary");

    // The server logs the address it listens on (port 0: any free port).
    let stdout = server.stdout.take().expect("server output");
    let (address_sender, address) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.split("listening on http://").nth(1) {
                let _ = address_sender.send(address.trim().to_owned());
            }
        }
    });
    let address = address
        .recv_timeout(Duration::from_secs(30))
        .expect("the server starts");

    // A log-in whose body is still arriving when the server is told to stop.
    let body = "email=ada%40example.com&password=violet+kettle+marching+north";
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream
        .write_all(&body.as_bytes()[..10])
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(stopped.success());

    // No new connections once it is stopping.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting connections");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The request in flight still gets its whole answer: unknown account.
    stream
        .write_all(&body.as_bytes()[10..])
        .await
        .expect("send the rest");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer))
        .await
        .expect("the answer arrives")
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("\"InvalidCredentials\""), "{answer}");

    // Then the server exits cleanly.
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.try_wait().expect("server status") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
}
