//! The second factor's rules, apart from storage: RFC 6238 codes as every
//! common authenticator app makes them (6 digits, 30 seconds, HMAC-SHA-1,
//! one step of clock drift either way), the `otpauth://` address and its
//! QR code, and recovery codes.
//!
//! A code is accepted once: [`check_code`] returns the 30-second step it
//! matched, and the caller accepts it only when that step is newer than the
//! last one accepted for the account (RFC 6238 section 5.2).
//!
//! Recovery codes are 24 characters from a 32-letter alphabet, 120 random
//! bits, so a plain SHA-256 is enough to store them (ASVS 5.0 6.5.2 asks for
//! a salted slow hash only below 112 bits). They are shown in groups of
//! four; case, spaces and dashes do not matter when one is typed.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};

use crate::brand::SITE_NAME;

/// Bytes of a new TOTP secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// How many recovery codes an account gets.
pub const RECOVERY_CODES: usize = 10;
/// Characters in a recovery code, without its dashes.
const RECOVERY_CODE_CHARS: usize = 24;
/// Lower-case letters and digits without 0, 1, l and o, which people misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Seconds a code stands for.
pub const STEP_SECONDS: u64 = 30;

/// A new random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0; SECRET_BYTES];
    getrandom::fill(&mut secret).expect("the operating system's random numbers");
    secret
}

fn totp(secret: &[u8], account: &str) -> Totp {
    // The otpauth label may not hold a colon; an address never needs one.
    let account = account.replace(':', "");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(SITE_NAME))
        .with_account_name(account)
        .build_noncompliant()
}

/// The secret as people type it into an app: base32, without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    totp(secret, "").secret().to_base32()
}

/// The `otpauth://totp/…` address an app reads from the QR code.
pub fn otpauth_uri(secret: &[u8], account: &str) -> String {
    totp(secret, account)
        .to_url()
        .unwrap_or_else(|_| format!("otpauth://totp/?secret={}", secret_base32(secret)))
}

/// The QR code of `uri` as an SVG element, for the server to put in a page.
pub fn qr_svg(uri: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000"))
        .light_color(qrcode::render::svg::Color("#fff"))
        .build();
    // Inside HTML the XML declaration has no place.
    match svg.find("<svg") {
        Some(start) => svg[start..].replacen(
            "<svg",
            "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"",
            1,
        ),
        None => String::new(),
    }
}

/// The step `code` matches at Unix time `now` (this step or the one
/// before or after), if any. Spaces in the code are ignored.
pub fn check_code(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now).ok()?;
    totp(secret, "")
        .check(&code, now)
        .and_then(|step| i64::try_from(step).ok())
}

/// The code for Unix time `now`, as an app shows it.
pub fn code_at(secret: &[u8], now: i64) -> String {
    totp(secret, "")
        .generate(u64::try_from(now).unwrap_or_default())
        .to_string()
}

/// A new set of recovery codes, as they are shown (`abcd-efgh-…`).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; RECOVERY_CODE_CHARS];
            getrandom::fill(&mut random).expect("the operating system's random numbers");
            let chars: Vec<char> = random
                .iter()
                .map(|byte| RECOVERY_ALPHABET[usize::from(byte % 32)] as char)
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: the SHA-256 of its characters,
/// lower case, without spaces and dashes. `None` when `typed` cannot be
/// one of ours.
pub fn recovery_code_digest(typed: &str) -> Option<Vec<u8>> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let ours = code.len() == RECOVERY_CODE_CHARS
        && code.bytes().all(|byte| RECOVERY_ALPHABET.contains(&byte));
    ours.then(|| Sha256::digest(code.as_bytes()).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret and its 8-digit values, of which
    /// a 6-digit code is the last six digits.
    #[test]
    fn codes_match_rfc_6238() {
        let secret = b"12345678901234567890";
        for (time, full) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(secret, time), full[2..], "{time}");
        }
    }

    #[test]
    fn one_step_of_drift_is_accepted_and_no_more() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let step = now / 30;
        assert_eq!(check_code(&secret, &code_at(&secret, now), now), Some(step));
        assert_eq!(
            check_code(&secret, &code_at(&secret, now - 30), now),
            Some(step - 1)
        );
        assert_eq!(
            check_code(&secret, &code_at(&secret, now + 30), now),
            Some(step + 1)
        );
        assert_eq!(check_code(&secret, &code_at(&secret, now - 60), now), None);
        assert_eq!(check_code(&secret, &code_at(&secret, now + 60), now), None);
    }

    #[test]
    fn codes_are_six_digits_and_spaces_do_not_matter() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(check_code(&secret, &spaced, now).is_some());
        for bad in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            assert_eq!(check_code(&secret, bad, now), None, "{bad}");
        }
    }

    #[test]
    fn the_app_reads_the_secret_from_the_address() {
        let secret = new_secret();
        let uri = otpauth_uri(&secret, "ada@example.com");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret_base32(&secret))));
        assert!(uri.contains("issuer=Leptos%20Accounts"), "{uri}");
        let svg = qr_svg(&uri);
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..40]);
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn recovery_codes_are_many_distinct_and_read_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 29, "{code}");
        let digest = recovery_code_digest(code).unwrap();
        let typed = format!(" {} ", code.replace('-', " ").to_uppercase());
        assert_eq!(recovery_code_digest(&typed), Some(digest));
        assert_eq!(recovery_code_digest("not-a-code"), None);
        assert_eq!(
            recovery_code_digest(&code.replace('a', "0")).is_some(),
            !code.contains('a')
        );
    }
}
