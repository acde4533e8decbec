//! Browser-facing defences: the CSRF check on every state-changing request,
//! security headers on every response, the per-request Content Security
//! Policy, and caching rules for personal data.

use axum::{
    extract::{Request, State},
    http::{
        header::{self, HeaderName},
        HeaderMap, HeaderValue, Method, StatusCode,
    },
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::AppState;
use crate::{
    context::request::{read_cookie, session_cookie_name},
    error::AppError,
};

/// Refuses state-changing requests that another site made the browser send.
///
/// Browsers label every request with `Sec-Fetch-Site`; we accept only
/// `same-origin` (our own pages) and `none` (the user acting directly). For
/// clients that send no fetch metadata, the `Origin` header (else
/// `Referer`) must name our public origin. Everything else gets 403 and
/// changes nothing. GET, HEAD and OPTIONS never change state here.
pub async fn reject_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let allowed = safe_method || same_origin(request.headers(), &state.config.public_origin);
    let mut response = if allowed {
        next.run(request).await
    } else {
        tracing::warn!(
            "refused cross-site {} {} (sec-fetch-site: {:?}, origin: {:?})",
            request.method(),
            request.uri().path(),
            request.headers().get("sec-fetch-site"),
            request.headers().get(header::ORIGIN)
        );
        error_response(&AppError::Forbidden)
    };
    if !safe_method {
        // The answer depends on these request headers: caches must key on them.
        response.headers_mut().append(
            header::VARY,
            HeaderValue::from_static("Sec-Fetch-Site, Origin"),
        );
    }
    response
}

fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    // A site on this machine (`http://localhost:PORT`, the default) is
    // the same site at `http://127.0.0.1:PORT`.
    let loopback = public_origin
        .strip_prefix("http://localhost:")
        .map(|port| format!("http://127.0.0.1:{port}"));
    let ours = |origin: &str| origin == public_origin || loopback.as_deref() == Some(origin);
    match text("sec-fetch-site") {
        Some("same-origin" | "none") => true,
        Some(_) => false,
        None => match (text("origin"), text("referer")) {
            (Some(origin), _) => ours(origin),
            (None, Some(referer)) => [Some(public_origin), loopback.as_deref()]
                .into_iter()
                .flatten()
                .filter_map(|origin| referer.strip_prefix(origin))
                .any(|rest| rest.is_empty() || rest.starts_with('/')),
            (None, None) => false,
        },
    }
}

/// A server-function-shaped error response, so that our own pages can show
/// the message whichever layer refused the request.
pub fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(error).unwrap_or_default();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                HeaderName::from_static(leptos::server_fn::error::SERVER_FN_ERROR_HEADER),
                "middleware",
            ),
        ],
        body,
    )
        .into_response()
}

/// Features the product does not use, denied to every page.
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()";

/// The pages mailed links lead to, `?token=…` in their address.
pub const LINK_PAGES: [&str; 6] = [
    "/reset-password",
    "/login-link",
    "/external-sign-in",
    "/verify-email",
    "/confirm-email",
    "/cancel-email-change",
];

/// Headers every response carries, and the caching rule: anything for a
/// signed-in browser, any server-function answer and any personal page is
/// `no-store`; other pages may be cached but must be revalidated.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Pages whose address holds a one-time link's secret, and the local
    // mailbox that shows them: never cached, never sent on as a referrer.
    let secret_in_address = LINK_PAGES.contains(&request.uri().path())
        || request.uri().path().starts_with("/dev/mailbox")
        || request.uri().path().starts_with("/auth/oidc/");
    let personal = request.uri().path().starts_with("/api/")
        || secret_in_address
        || super::middleware::PERSONAL_PAGES.contains(&request.uri().path())
        || read_cookie(
            request.headers(),
            session_cookie_name(state.config.secure_cookies()),
        )
        .is_some();
    let hashed_asset = state.leptos_options.hash_files && request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let response_ok = response.status().is_success();
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Policies for documents. The hashed scripts, styles and WASM are not
    // documents: browsers ignore these on them (the referrer policy would
    // only govern requests a stylesheet makes, and ours makes none), so
    // they are left off the first download's every response.
    if !hashed_asset {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static(if secret_in_address {
                "no-referrer"
            } else {
                "strict-origin-when-cross-origin"
            }),
        );
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        );
    }
    if state.config.secure_cookies() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if personal {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if hashed_asset && response_ok {
        // The name changes whenever the content does.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        // Never revalidated, so a date to revalidate against is noise.
        headers.remove(header::LAST_MODIFIED);
        // Served as .br, .gz or plain by Accept-Encoding: caches must key on it.
        if !headers.contains_key(header::VARY) {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    } else if is_html && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// The Content Security Policy of a page rendered with `nonce`: only our
/// own files and the inline scripts Leptos marks with the nonce may run;
/// the WASM may be compiled; nothing may frame the page. Forms post only
/// here, and on to `providers` (the origins of the external providers'
/// authorization endpoints, space-separated): a form that starts a
/// provider's sign-in is answered with a redirect there.
pub fn content_security_policy(nonce: &str, providers: &str) -> String {
    let providers = if providers.is_empty() {
        String::new()
    } else {
        format!(" {providers}")
    };
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'{providers}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://accounts.example";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ORIGIN
        ));
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")]), ORIGIN));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ORIGIN
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ORIGIN
        ));
        // A matching Origin does not rescue a cross-site label.
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", ORIGIN)]),
            ORIGIN
        ));
    }

    #[test]
    fn without_fetch_metadata_origin_then_referer_must_match() {
        assert!(same_origin(
            &headers(&[("origin", "https://accounts.example")]),
            ORIGIN
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            ORIGIN
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), ORIGIN));
        assert!(same_origin(
            &headers(&[("referer", "https://accounts.example/login")]),
            ORIGIN
        ));
        assert!(!same_origin(
            &headers(&[("referer", "https://accounts.example.evil.example/")]),
            ORIGIN
        ));
        assert!(!same_origin(&headers(&[]), ORIGIN));
    }

    #[test]
    fn the_policy_carries_the_nonce_and_the_lockdowns() {
        assert!(content_security_policy("n", "https://id.example")
            .ends_with("form-action 'self' https://id.example"));
        let policy = content_security_policy("abc123", "");
        assert!(policy.contains("script-src 'nonce-abc123' 'strict-dynamic' 'wasm-unsafe-eval'"));
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{directive}");
        }
    }
}
