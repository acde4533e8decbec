//! Public pages, rendered once for visitors who bring nothing personal.
//!
//! A browser with no cookie asking for `/` or `/login` without a query
//! gets the same page every time, apart from the nonce that the Content
//! Security Policy allows its scripts by. So the first such render is
//! kept, cut at its nonce, and every later visitor gets it back whole with
//! a fresh nonce in the page and in the policy: each answer still carries
//! its own nonce, and no page is rendered again until the server restarts
//! (what these pages show comes from its configuration and build only).
//!
//! Anything personal passes by: a cookie of any kind (a session, a
//! remembered device, a pending sign-in), a query string (a mailed link's
//! token, `?next=`, a notice), any method but GET, and every other path.
//! An answer that is not a plain 200 page, or that sets a cookie, is never
//! kept.

use std::sync::OnceLock;

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{
        header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE},
        Extensions, HeaderMap, HeaderValue, Method, StatusCode,
    },
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore as _;

/// The pages that show the same thing to every visitor without cookies.
/// What they render for such a visitor may come only from their path and
/// the server's configuration and build: never from the database, the
/// clock or a request header (cookies and the query pass by the kept
/// render). Each page's module says so; `tests/http/public_pages.rs`
/// compares each kept page with a fresh render.
pub const PUBLIC_PAGES: [&str; 5] = ["/", "/login", "/signup", "/forgot-password", "/login-link"];

/// The rendered public pages, each kept after its first anonymous render.
#[derive(Default)]
pub struct PageCache {
    pages: [OnceLock<Kept>; PUBLIC_PAGES.len()],
}

/// A page as rendered, cut wherever its nonce stood.
struct Kept {
    headers: HeaderMap,
    /// What the router noted on the response (the route, for the log).
    extensions: Extensions,
    policy: Vec<Bytes>,
    body: Vec<Bytes>,
}

/// Largest page worth keeping; ours are a few kilobytes.
const MAX_KEPT_BYTES: usize = 256 * 1024;

impl PageCache {
    /// Answers an anonymous request for a public page from the kept
    /// render, or renders it and keeps it; passes every other request by.
    pub async fn serve(&self, request: Request, next: Next) -> Response {
        let Some(slot) = Self::slot_for(&request) else {
            return next.run(request).await;
        };
        if let Some(kept) = self.pages[slot].get() {
            return kept.answer();
        }
        // The first render is read whole before it is sent: these pages
        // are a few kilobytes, far below what would fail here.
        match Kept::from_response(next.run(request).await).await {
            // Two first renders at once keep one of them; both are the same.
            Ok(kept) => self.pages[slot].get_or_init(|| kept).answer(),
            Err(response) => response,
        }
    }

    /// Which kept page could answer `request`, if any.
    fn slot_for(request: &Request) -> Option<usize> {
        if request.method() != Method::GET
            || request.uri().query().is_some()
            || request.headers().contains_key(COOKIE)
        {
            return None;
        }
        PUBLIC_PAGES
            .iter()
            .position(|page| *page == request.uri().path())
    }
}

impl Kept {
    /// The page to keep from `response`, its body read whole, when it is a
    /// plain 200 page with a nonce that sets no cookie; else the response
    /// to send as it is (a 500 when its body could not be read).
    async fn from_response(response: Response) -> Result<Kept, Response> {
        let (mut parts, body) = response.into_parts();
        let Ok(body) = axum::body::to_bytes(body, MAX_KEPT_BYTES * 4).await else {
            tracing::error!("a public page's render could not be read");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let is_html = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let keep = parts.status == StatusCode::OK
            && is_html
            && !parts.headers.contains_key(SET_COOKIE)
            && body.len() <= MAX_KEPT_BYTES;
        let policy = keep
            .then(|| parts.headers.get(CONTENT_SECURITY_POLICY))
            .flatten()
            .and_then(|policy| {
                let nonce = nonce_of(policy.as_bytes())?;
                Some((cut(policy.as_bytes(), &nonce), nonce))
            });
        match policy {
            Some((policy, nonce)) => {
                parts.headers.remove(CONTENT_SECURITY_POLICY);
                Ok(Kept {
                    headers: parts.headers,
                    extensions: parts.extensions,
                    policy,
                    body: cut(&body, &nonce),
                })
            }
            None => Err(Response::from_parts(parts, Body::from(body))),
        }
    }

    /// The page with a fresh nonce in its body and its policy.
    fn answer(&self) -> Response {
        let nonce = fresh_nonce();
        let policy = join(&self.policy, nonce.as_bytes());
        let mut response = Response::new(Body::from(join(&self.body, nonce.as_bytes())));
        *response.headers_mut() = self.headers.clone();
        *response.extensions_mut() = self.extensions.clone();
        if let Ok(policy) = HeaderValue::from_bytes(&policy) {
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

/// The nonce a Content Security Policy allows scripts by.
fn nonce_of(policy: &[u8]) -> Option<Vec<u8>> {
    const MARK: &[u8] = b"'nonce-";
    let start = policy
        .windows(MARK.len())
        .position(|window| window == MARK)?
        + MARK.len();
    let length = policy[start..].iter().position(|byte| *byte == b'\'')?;
    (length >= 16).then(|| policy[start..start + length].to_vec())
}

/// `text` in pieces, without each occurrence of `nonce`.
fn cut(text: &[u8], nonce: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.windows(nonce.len()).position(|window| window == nonce) {
        pieces.push(Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + nonce.len()..];
    }
    pieces.push(Bytes::copy_from_slice(rest));
    pieces
}

/// The pieces joined again with `nonce` between them.
fn join(pieces: &[Bytes], nonce: &[u8]) -> Vec<u8> {
    let length = pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * pieces.len();
    let mut whole = Vec::with_capacity(length);
    for (index, piece) in pieces.iter().enumerate() {
        if index > 0 {
            whole.extend_from_slice(nonce);
        }
        whole.extend_from_slice(piece);
    }
    whole
}

/// A nonce as Leptos makes them: 128 random bits, base64url.
fn fresh_nonce() -> String {
    let mut bytes = [0; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        let policy =
            b"default-src 'self'; script-src 'nonce-AbCdEfGhIjKlMnOpQrStUv' 'strict-dynamic'";
        assert_eq!(
            nonce_of(policy).as_deref(),
            Some(&b"AbCdEfGhIjKlMnOpQrStUv"[..])
        );
        assert_eq!(nonce_of(b"default-src 'self'"), None);
        assert_eq!(
            nonce_of(b"script-src 'nonce-short'"),
            None,
            "too short to be ours"
        );
        assert_eq!(
            nonce_of(b"script-src 'nonce-AbCdEfGhIjKlMnOpQr"),
            None,
            "unterminated"
        );
    }

    #[test]
    fn a_page_cut_at_its_nonce_joins_again_with_another() {
        let nonce = b"AbCdEfGhIjKlMnOpQrStUv";
        let page = b"<script nonce=\"AbCdEfGhIjKlMnOpQrStUv\">a</script><link crossorigin=\"AbCdEfGhIjKlMnOpQrStUv\">";
        let pieces = cut(page, nonce);
        assert_eq!(pieces.len(), 3);
        assert_eq!(join(&pieces, nonce), page.to_vec());
        let fresh = fresh_nonce();
        assert_eq!(fresh.len(), 22, "128 bits in base64url");
        let joined = String::from_utf8(join(&pieces, fresh.as_bytes())).unwrap();
        assert_eq!(joined.matches(&fresh).count(), 2);
        assert!(!joined.contains("AbCdEf"));
        assert_eq!(
            join(&cut(b"no nonce here", nonce), nonce),
            b"no nonce here".to_vec()
        );
    }
}
