//! Server functions: the product's stable HTTP API. Each one parses its
//! input, authorises on its own (they are public endpoints), calls the
//! accounts domain and answers with data or an [`AppError`].
//!
//! They accept `application/x-www-form-urlencoded`, which is what a plain
//! HTML form posts, so every form works without JavaScript too: a plain
//! form post (one that accepts `text/html`) is answered with a 303 to the
//! next page, carrying any errors and the values typed in a short-lived
//! cookie instead of the JSON body.

pub mod account;
pub mod auth;
pub mod echo;
pub mod email;
pub mod external;
pub mod fields;
pub mod links;
pub mod login_link;
pub mod passkeys;
pub mod profile;
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod reply;
pub mod sign_ins;
pub mod two_factor;

use serde::{Deserialize, Serialize};

pub use echo::{FormEcho, FormId};

/// A signed-in user as the pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub email: String,
    pub display_name: String,
    /// The day the account was created, `YYYY-MM-DD` (UTC).
    pub member_since: String,
    /// Whether the user proved the address is theirs.
    pub email_verified: bool,
}

impl Profile {
    /// What to call the user: their display name, or their email without one.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.email
        } else {
            &self.display_name
        }
    }
}

/// How the pages show an account.
#[cfg(feature = "ssr")]
impl From<&crate::accounts::User> for Profile {
    fn from(user: &crate::accounts::User) -> Self {
        Self {
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            member_since: crate::time::utc_date(user.created_at),
            email_verified: user.email_verified_at.is_some(),
        }
    }
}

/// The signed-in user of this request as the pages show them, if any.
#[cfg(feature = "ssr")]
pub fn current_profile() -> Option<Profile> {
    crate::context::request::current_user().map(|user| Profile::from(&user))
}

/// One line of "Recent activity".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub at: String,
    pub what: String,
    pub ip: String,
    /// The browser's user agent, as it sent it.
    pub device: String,
}

/// One of the signed-in user's sessions, as `/api/account/sessions` lists
/// it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    /// Browser and operating system, such as "Firefox 133 on Linux".
    pub device: String,
    pub ip: String,
    /// When it signed in, RFC 3339 in UTC (`2026-11-24T09:30:00Z`).
    pub created: String,
    /// Its latest request, to the minute, RFC 3339 in UTC.
    pub last_seen: String,
    /// The session that asked: this browser.
    pub current: bool,
}

/// A change of address waiting for the link mailed to the new address, as
/// `/api/account/email/pending` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEmailChange {
    pub email: String,
    /// When the link stops working, RFC 3339 in UTC.
    pub expires: String,
}

/// Returns `next` if it is a clean path on this site (`/profile`,
/// `/profile?tab=1`), else `None`.
///
/// Resolved against the site's origin, a clean path stays on it and means
/// the same to the server, the browser and the in-app router: it starts
/// with one `/`, and has no empty, `.` or `..` segment (also not
/// percent-encoded), no backslash, no encoded slash and no control
/// character. So never another origin (`//evil.example`, `https://…`,
/// `/\evil`), and never a path the router cannot navigate to
/// (`/.//evil.example`).
pub fn safe_next(next: &str) -> Option<&str> {
    if next.len() > 512 || next.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let rest = path.strip_prefix('/')?;
    let lower = path.to_ascii_lowercase();
    let segments: Vec<&str> = rest.split('/').collect();
    // A trailing slash leaves one empty last segment; that one is fine.
    let (last, before) = segments.split_last()?;
    let clean = before
        .iter()
        .all(|segment| !matches!(*segment, "" | "." | ".."))
        && !matches!(*last, "." | "..")
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !lower.contains("%5c");
    clean.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_path_on_this_site() {
        assert_eq!(safe_next("/profile"), Some("/profile"));
        assert_eq!(safe_next("/profile?tab=1"), Some("/profile?tab=1"));
        assert_eq!(safe_next("/"), Some("/"));
        assert_eq!(safe_next("/profile?next=//x"), Some("/profile?next=//x"));
        for bad in [
            "",
            "profile",
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/pro\nfile",
            "/a\\b",
            "/.//evil.example",
            "/./profile",
            "/../profile",
            "/profile/..",
            "/a//b",
            "/%2e%2e/profile",
            "/%2F%2Fevil.example",
            "/%5cevil.example",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_profile_is_named_by_display_name_or_email() {
        let mut profile = Profile {
            email: "ada@example.com".into(),
            display_name: String::new(),
            member_since: "2026-11-22".into(),
            email_verified: false,
        };
        assert_eq!(profile.name(), "ada@example.com");
        profile.display_name = "Ada".into();
        assert_eq!(profile.name(), "Ada");
    }
}
