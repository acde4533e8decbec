//! Email addresses as the product stores and compares them.
//!
//! The same address can be typed in many ways: `Zoë@Example.com` with `ë`
//! as one code point (NFC) or as `e` plus a combining diaeresis (NFD),
//! `STRASSE@example.com` or `straße@example.com`, `exämple.com` or its
//! IDNA form `xn--exmple-cua.com`. All of them must reach one account,
//! and none may make a second, look-alike one. So:
//!
//! - what we store and show ([`Normalised::email`]) is the address in NFC
//!   with its domain mapped by UTS #46 (lower case, Unicode form);
//! - what uniqueness and log-in compare ([`Normalised::key`]) is the local
//!   part in NFC after full Unicode case folding, `@`, and the domain in
//!   its ASCII (IDNA) form;
//! - invisible characters (Unicode's format category: zero-width spaces
//!   and joiners, direction marks and overrides, soft hyphens) are refused:
//!   they make addresses that look the same and are not.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use sqlx::AnyPool;

use crate::validation::{check_email, Problem};

/// An address in the two forms the product uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalised {
    /// For display and for mail.
    pub email: String,
    /// For comparison: unique among accounts.
    pub key: String,
}

/// Checks the shape of `raw` and normalises it, or says what is wrong.
pub fn normalise(raw: &str) -> Result<Normalised, Problem> {
    let email = check_email(raw)?;
    if email.chars().any(is_invisible) {
        return Err(Problem::EmailInvisibleCharacters);
    }
    let email: String = email.nfc().collect();
    let (local, domain) = email.rsplit_once('@').ok_or(Problem::EmailMalformed)?;
    let (ascii_domain, unicode_domain) = map_domain(domain)?;
    let folded: String = caseless::default_case_fold_str(local).nfc().collect();
    Ok(Normalised {
        email: format!("{local}@{unicode_domain}"),
        key: format!("{folded}@{ascii_domain}"),
    })
}

/// The comparison key of whatever was typed into a log-in form, where a
/// malformed address is not an error of its own (it matches no account).
/// `None` when `raw` cannot be any account's address.
pub fn key_for_log_in(raw: &str) -> Option<String> {
    normalise(raw).ok().map(|normalised| normalised.key)
}

/// The rule that made a user's `email_key`: 2 is NFC, Unicode case
/// folding and IDNA domains (this module); 1 was lower-casing.
pub const EMAIL_KEY_VERSION: i64 = 2;

/// Two accounts whose addresses became the same under the current rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collision {
    /// The account that has the address under the current rule.
    pub kept: i64,
    /// The account left with its old key (and so reported at every start).
    pub unchanged: i64,
}

/// Brings the email addresses and keys of accounts made under an older
/// rule to the current one ([`EMAIL_KEY_VERSION`]), oldest account first,
/// and returns the accounts that would collide with another. Those keep
/// their old key and are reported: which of two look-alike accounts is
/// the real owner's is for a person to decide. Runs at every start; rows
/// already current cost nothing.
pub async fn rekey_emails(pool: &AnyPool) -> Result<Vec<Collision>, sqlx::Error> {
    let stale: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, email FROM users WHERE email_key_version < $1 ORDER BY id")
            .bind(EMAIL_KEY_VERSION)
            .fetch_all(pool)
            .await?;
    let mut collisions = Vec::new();
    for (id, stored) in stale {
        let Ok(normalised) = normalise(&stored) else {
            tracing::warn!(
                "account {id}: its stored email address does not pass today's rules; \
                 its old key is kept"
            );
            continue;
        };
        let updated = sqlx::query(
            "UPDATE users SET email = $1, email_key = $2, email_key_version = $3 WHERE id = $4",
        )
        .bind(&normalised.email)
        .bind(&normalised.key)
        .bind(EMAIL_KEY_VERSION)
        .bind(id)
        .execute(pool)
        .await;
        match updated {
            Ok(_) => {}
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                let kept: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email_key = $1")
                    .bind(&normalised.key)
                    .fetch_one(pool)
                    .await?;
                collisions.push(Collision {
                    kept,
                    unchanged: id,
                });
            }
            Err(error) => return Err(error),
        }
    }
    Ok(collisions)
}

/// A domain in its ASCII (IDNA) and Unicode forms, both lower case.
fn map_domain(domain: &str) -> Result<(String, String), Problem> {
    let ascii = idna::domain_to_ascii(domain).map_err(|_| Problem::EmailMalformed)?;
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    if result.is_err() || ascii.is_empty() || ascii.split('.').any(str::is_empty) {
        return Err(Problem::EmailMalformed);
    }
    Ok((ascii, unicode))
}

/// Characters that render as nothing or reorder text: Unicode's format
/// category (Cf), which covers zero-width spaces and joiners, the bidi
/// controls, the byte-order mark and the soft hyphen.
fn is_invisible(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// An address with most of its local part hidden: `ada@example.org`
/// becomes `a•••@example.org`.
pub fn mask_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_address_shows_its_first_letter_and_domain() {
        assert_eq!(mask_address("ada@example.org"), "a•••@example.org");
        assert_eq!(mask_address("zoë@exämple.com"), "z•••@exämple.com");
        assert_eq!(mask_address("no-at-sign"), "•••");
    }

    fn key(raw: &str) -> String {
        normalise(raw).unwrap().key
    }

    #[test]
    fn nfc_and_nfd_spellings_are_one_address() {
        let nfc = "zo\u{00eb}@example.com";
        let nfd = "zoe\u{0308}@example.com";
        assert_ne!(nfc, nfd);
        assert_eq!(key(nfc), key(nfd));
        assert_eq!(normalise(nfd).unwrap().email, nfc, "stored in NFC");
    }

    #[test]
    fn case_is_folded_fully_not_just_lowered() {
        assert_eq!(key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(key("ÉLODIE@exemple.fr"), key("élodie@exemple.fr"));
        // Lower-casing leaves "ß" alone; case folding makes it "ss".
        assert_eq!(key("STRASSE@example.com"), key("straße@example.com"));
        assert_eq!(key("ΣΊΣΥΦΟΣ@example.gr"), key("σίσυφος@example.gr"));
    }

    #[test]
    fn domains_are_lower_cased_and_compared_in_idna_form() {
        let typed = normalise("zoë@EXÄMPLE.com").unwrap();
        assert_eq!(typed.email, "zoë@exämple.com");
        assert_eq!(typed.key, "zoë@xn--exmple-cua.com");
        assert_eq!(key("zoë@xn--exmple-cua.com"), typed.key);
        // The local part keeps its case for display; only the key folds it.
        assert_eq!(
            normalise("Ada@EXAMPLE.COM").unwrap().email,
            "Ada@example.com"
        );
    }

    #[test]
    fn invisible_characters_are_refused() {
        for raw in [
            "ada\u{200b}@example.com", // zero-width space
            "ada\u{200d}@example.com", // zero-width joiner
            "ada@exa\u{00ad}mple.com", // soft hyphen
            "\u{202e}ada@example.com", // right-to-left override
            "ada\u{2066}@example.com", // left-to-right isolate
            "ada\u{feff}@example.com", // byte-order mark
        ] {
            assert_eq!(
                normalise(raw),
                Err(Problem::EmailInvisibleCharacters),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn shape_problems_still_come_first() {
        assert_eq!(normalise(""), Err(Problem::EmailMissing));
        assert_eq!(normalise("ada"), Err(Problem::EmailMalformed));
        assert_eq!(normalise("ada@exa_mple..com"), Err(Problem::EmailMalformed));
        assert_eq!(key_for_log_in("not an address"), None);
    }
}
