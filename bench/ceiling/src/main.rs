//! Serves one fixed HTML page of a given size at every path:
//! `ceiling <bytes> <addr>`, e.g. `ceiling 6000 127.0.0.1:0`. Prints
//! "listening on http://ADDR" once ready.

use axum::{response::Html, Router};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bytes: usize = args
        .next()
        .and_then(|value| value.parse().ok())
        .expect("usage: ceiling <bytes> <addr>");
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());

    let mut page = String::from("<!DOCTYPE html><html lang=\"en\"><body>");
    let tail = "</body></html>";
    while page.len() + tail.len() < bytes {
        page.push('x');
    }
    page.push_str(tail);
    let page: &'static str = Box::leak(page.into_boxed_str());

    let app = Router::new().fallback(move || async move { Html(page) });
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("address")
    );
    axum::serve(listener, app).await.expect("serve");
}
