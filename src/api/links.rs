//! Whether a mailed one-time link is still live, for the page it opens:
//! checked by the server while it renders the page, and sent inside it.

use leptos::{prelude::OnceResource, server::codee::string::FromToStringCodec};

/// What a link a page was opened with is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// Choose a new password.
    Reset,
    /// Prove the address (or start a verify-first account).
    Verify,
    /// Make the address the account's new one.
    EmailChange,
    /// Cancel a pending change of the account's address.
    CancelEmailChange,
    /// Sign in without a password.
    LogIn,
    /// Link an external provider's identity to the account.
    LinkIdentity,
    /// Whether the link starts an account (a verify-first sign-up), whose
    /// page then asks for the password.
    StartsAccount,
}

/// Whether `token` is a live link of `kind`. In-app navigation (no server
/// render) assumes it is (and that it does not start an account); the
/// form's answer then says otherwise.
pub fn link_is_live(token: String, kind: LinkKind) -> OnceResource<bool, FromToStringCodec> {
    OnceResource::new_str(async move {
        #[cfg(feature = "ssr")]
        return server::link_is_live(&token, kind).await;
        #[cfg(not(feature = "ssr"))]
        {
            let _ = token;
            kind != LinkKind::StartsAccount
        }
    })
}

/// The account that asked for the change of address `token` (a live
/// email-change link) confirms, partly hidden (`a•••@example.com`); empty
/// when the link is not live, and on in-app navigation.
pub fn email_change_asker(token: String) -> OnceResource<String, FromToStringCodec> {
    OnceResource::new_str(async move {
        #[cfg(feature = "ssr")]
        return server::email_change_asker(&token).await;
        #[cfg(not(feature = "ssr"))]
        {
            let _ = token;
            String::new()
        }
    })
}

#[cfg(feature = "ssr")]
mod server {
    use super::LinkKind;
    use crate::{accounts::links::Purpose, context::request::accounts};

    /// An unreadable database counts as live (as not starting an account):
    /// the form's post then says what is wrong.
    pub async fn link_is_live(token: &str, kind: LinkKind) -> bool {
        let Ok(accounts) = accounts() else {
            return kind != LinkKind::StartsAccount;
        };
        let purpose = match kind {
            LinkKind::StartsAccount => {
                return accounts.link_starts_account(token).await.unwrap_or(false);
            }
            LinkKind::Reset => Purpose::Reset,
            LinkKind::EmailChange => Purpose::EmailChange,
            LinkKind::CancelEmailChange => Purpose::CancelEmailChange,
            LinkKind::Verify => Purpose::Verify,
            LinkKind::LogIn => Purpose::LogIn,
            LinkKind::LinkIdentity => Purpose::LinkIdentity,
        };
        accounts.link_is_live(token, purpose).await.unwrap_or(true)
    }

    pub async fn email_change_asker(token: &str) -> String {
        let Ok(accounts) = accounts() else {
            return String::new();
        };
        accounts
            .email_change_asker(token)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }
}
