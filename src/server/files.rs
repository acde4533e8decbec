//! Serving the site's static files (WASM, JS, CSS, favicon).
//!
//! A release build carries the whole built site inside the binary
//! ([`crate::context::assets`]): each file is served from memory with the
//! variant `Accept-Encoding` asks for, a strong `ETag` per variant
//! (`If-None-Match` gives 304), `HEAD`, and single byte ranges (`Range`,
//! `If-Range`) as a static file server answers them. A deploy is one file;
//! no site folder is read. Other builds (`cargo leptos watch`, tests) serve
//! `LEPTOS_SITE_ROOT` from disk.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::prelude::*;

use super::document::shell;
use crate::context::{
    assets::{embedded, embedded_file, EmbeddedFile},
    AppState,
};

/// Everything the router has no route for: an embedded file, else (without
/// an embedded site) a file from the site folder, else the not-found page.
pub async fn files_or_not_found(State(state): State<AppState>, request: Request) -> Response {
    if let Some(file) = embedded_file(request.uri().path()) {
        return serve(file, request.method(), request.headers());
    }
    if embedded() {
        let handler = leptos_axum::render_app_to_stream_in_order_with_context(
            move || provide_context(state.clone()),
            shell,
        );
        // No route matched: the app renders its not-found page.
        let mut response = handler(request).await;
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    } else {
        let handler = leptos_axum::file_and_error_handler::<AppState, _>(|_| shell());
        handler(request.uri().clone(), State(state), request).await
    }
}

/// An encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// The best variant the client accepts: Brotli, then gzip, else none.
fn negotiate(headers: &HeaderMap, file: &EmbeddedFile) -> (Encoding, &'static [u8]) {
    let accepted = |coding: &str| accepts(headers, coding);
    match (file.br, file.gzip) {
        (Some(body), _) if accepted("br") => (Encoding::Brotli, body),
        (_, Some(body)) if accepted("gzip") => (Encoding::Gzip, body),
        _ => (Encoding::Identity, file.identity),
    }
}

/// Whether `Accept-Encoding` accepts `coding` (by name or `*`), with a
/// weight above zero.
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            if name.eq_ignore_ascii_case(coding)
                || (coding == "gzip" && name.eq_ignore_ascii_case("x-gzip"))
            {
                named = Some(weight > 0.0);
            } else if name == "*" {
                any = Some(weight > 0.0);
            }
        }
    }
    named.or(any).unwrap_or(false)
}

/// Answers a request for an embedded file.
fn serve(file: &'static EmbeddedFile, method: &Method, headers: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let (encoding, body) = negotiate(headers, file);
    let etag = match encoding {
        Encoding::Brotli => format!("\"{}-br\"", file.etag),
        Encoding::Gzip => format!("\"{}-gz\"", file.etag),
        Encoding::Identity => format!("\"{}\"", file.etag),
    };
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    match encoding {
        Encoding::Brotli => {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Encoding::Gzip => {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Encoding::Identity => {}
    }
    if !file.path.starts_with("/pkg/") {
        // Not content-hashed (the favicon): revalidated by its ETag.
        response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }

    if if_none_match(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .filter(|_| if_range_holds(headers, &etag))
        .map(|value| byte_range(value, body.len()));
    let (status, body) = match range {
        Some(Some(Ok((start, end)))) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{}", body.len()))
            {
                response_headers.insert(header::CONTENT_RANGE, value);
            }
            (StatusCode::PARTIAL_CONTENT, &body[start..=end])
        }
        Some(Some(Err(Unsatisfiable))) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{}", body.len())) {
                response_headers.insert(header::CONTENT_RANGE, value);
            }
            return (StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response();
        }
        // No range, or one this server does not split (several ranges,
        // another unit): the whole file, as RFC 9110 allows.
        Some(None) | None => (StatusCode::OK, body),
    };
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    (status, response_headers, body).into_response()
}

/// Whether `If-None-Match` names this variant (or is `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// Whether a `Range` applies: no `If-Range`, or one naming this variant.
fn if_range_holds(headers: &HeaderMap, etag: &str) -> bool {
    match headers
        .get(header::IF_RANGE)
        .and_then(|value| value.to_str().ok())
    {
        None => true,
        Some(tag) => tag.trim() == etag,
    }
}

/// A range no byte of the file is in.
#[derive(Debug, PartialEq, Eq)]
struct Unsatisfiable;

/// The one byte range of a `Range` header over `len` bytes, as inclusive
/// first and last offsets; `None` when the header is not a single byte
/// range (the whole file is sent).
fn byte_range(value: &str, len: usize) -> Option<Result<(usize, usize), Unsatisfiable>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // The last `last` bytes.
        let suffix: usize = last.parse().ok()?;
        if suffix == 0 || len == 0 {
            return Some(Err(Unsatisfiable));
        }
        (len.saturating_sub(suffix), len - 1)
    } else {
        let start: usize = first.parse().ok()?;
        let end = if last.is_empty() {
            usize::MAX
        } else {
            last.parse().ok()?
        };
        if end < start {
            return None;
        }
        if start >= len {
            return Some(Err(Unsatisfiable));
        }
        (start, end.min(len - 1))
    };
    Some(Ok(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn encodings_are_chosen_by_accept_encoding_and_weight() {
        let accept =
            |value: &'static str, coding| accepts(&headers(&[("accept-encoding", value)]), coding);
        assert!(accept("gzip, deflate, br, zstd", "br"));
        assert!(accept("gzip", "gzip") && !accept("gzip", "br"));
        assert!(!accept("br;q=0, gzip", "br") && accept("br;q=0, gzip", "gzip"));
        assert!(accept("*", "br") && !accept("*, br;q=0", "br"));
        assert!(accept("x-gzip", "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn single_byte_ranges_are_read_as_a_static_server_reads_them() {
        assert_eq!(byte_range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(byte_range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(byte_range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(byte_range("bytes=-5000", 1000), Some(Ok((0, 999))));
        assert_eq!(byte_range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(byte_range("bytes=1000-", 1000), Some(Err(Unsatisfiable)));
        assert_eq!(byte_range("bytes=-0", 1000), Some(Err(Unsatisfiable)));
        // Not a single byte range: the whole file.
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(byte_range("items=0-1", 1000), None);
        assert_eq!(byte_range("bytes=5-1", 1000), None);
        assert_eq!(byte_range("bytes=a-b", 1000), None);
    }
}
