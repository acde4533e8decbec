//! The notices that an account's second factor changed: each tells the
//! owner what happened and what to do if it was not them.

use super::{Kind, Letters, Mail};
use crate::brand::SITE_NAME;

/// What happened to the second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactorChange<'a> {
    Enabled,
    Disabled,
    CodesRegenerated,
    /// A recovery code signed in; so many are left.
    CodeUsed {
        left: i64,
    },
    /// The site's operator removed it.
    Reset,
    /// A passkey with this name was added.
    PasskeyAdded(&'a str),
    /// The passkey with this name was removed.
    PasskeyRemoved(&'a str),
    /// Signing in through the external provider with this label was
    /// linked to the account.
    IdentityLinked(&'a str),
    /// Signing in through the external provider with this label no longer
    /// opens the account.
    IdentityUnlinked(&'a str),
    /// Whether signing in through a linked provider asks for the code.
    ProviderSecondFactor {
        ask: bool,
    },
}

impl Letters {
    /// The notice of `change` to the account at `to`, made at `at`.
    pub fn second_factor_changed(
        &self,
        to: &str,
        change: SecondFactorChange<'_>,
        at: &str,
    ) -> Mail {
        let (subject, what) = match change {
            SecondFactorChange::Enabled => (
                "Two-step log-in is on",
                format!("An authenticator app was set up for your {SITE_NAME} account ({to}) on {at}: log-ins now ask for its code."),
            ),
            SecondFactorChange::Disabled => (
                "Two-step log-in is off",
                format!("The authenticator app of your {SITE_NAME} account ({to}) was turned off on {at}: log-ins no longer ask for a code."),
            ),
            SecondFactorChange::CodesRegenerated => (
                "New recovery codes",
                format!("New recovery codes were made for your {SITE_NAME} account ({to}) on {at}. The old ones no longer work."),
            ),
            SecondFactorChange::CodeUsed { left } => (
                "A recovery code was used",
                format!("A recovery code was used to log in to your {SITE_NAME} account ({to}) on {at}. {left} of your recovery codes are left; make new ones in your settings when they run low."),
            ),
            SecondFactorChange::Reset => (
                "Two-step log-in was removed",
                format!("The site's operator removed the authenticator app and recovery codes of your {SITE_NAME} account ({to}) on {at}, as you asked. Log-ins now need only your password; set up an app again in your settings."),
            ),
            SecondFactorChange::PasskeyAdded(name) => (
                "A passkey was added",
                format!("A passkey named \"{name}\" was added to your {SITE_NAME} account ({to}) on {at}: it can now log in without your password."),
            ),
            SecondFactorChange::PasskeyRemoved(name) => (
                "A passkey was removed",
                format!("The passkey named \"{name}\" was removed from your {SITE_NAME} account ({to}) on {at}: it no longer logs in."),
            ),
            SecondFactorChange::IdentityLinked(label) => (
                "A way to sign in was linked",
                format!("Signing in with {label} was linked to your {SITE_NAME} account ({to}) on {at}: it now signs in to this account. If you did not link it, unlink it at {}/settings#sign-ins as well.", self.origin),
            ),
            SecondFactorChange::ProviderSecondFactor { ask: false } => (
                "Provider sign-ins no longer ask for your code",
                format!("On {at}, your {SITE_NAME} account ({to}) was set to trust a linked provider's sign-in for both steps: signing in there no longer asks for your authenticator app's code. Your password still asks for it."),
            ),
            SecondFactorChange::ProviderSecondFactor { ask: true } => (
                "Provider sign-ins ask for your code again",
                format!("On {at}, your {SITE_NAME} account ({to}) was set to ask for your authenticator app's code after signing in with a linked provider, as after your password."),
            ),
            SecondFactorChange::IdentityUnlinked(label) => (
                "A way to sign in was removed",
                format!("Signing in with {label} was unlinked from your {SITE_NAME} account ({to}) on {at}: it no longer signs in to this account."),
            ),
        };
        let after = format!(
            "If this was you, there is nothing to do. If it was not, reset your password now at \
             {}/forgot-password and check the recent activity on your profile.",
            self.origin
        );
        self.letter(
            Kind::SecondFactorChanged,
            to,
            format!("{SITE_NAME}: {subject}"),
            &[what],
            None,
            &after,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notice_says_what_changed_and_what_to_do() {
        let letters = Letters::new("https://accounts.example.com");
        let used = letters.second_factor_changed(
            "ada@example.com",
            SecondFactorChange::CodeUsed { left: 9 },
            "2026-12-04 10:00 UTC",
        );
        assert_eq!(used.kind, Kind::SecondFactorChanged);
        assert!(used.text.contains("9 of your recovery codes are left"));
        assert!(used
            .text
            .contains("https://accounts.example.com/forgot-password"));
        for change in [
            SecondFactorChange::Enabled,
            SecondFactorChange::Disabled,
            SecondFactorChange::CodesRegenerated,
            SecondFactorChange::Reset,
            SecondFactorChange::IdentityLinked("Acme ID"),
            SecondFactorChange::IdentityUnlinked("Acme ID"),
            SecondFactorChange::ProviderSecondFactor { ask: false },
            SecondFactorChange::ProviderSecondFactor { ask: true },
        ] {
            let mail = letters.second_factor_changed("ada@example.com", change, "today");
            assert!(mail.text.contains("ada@example.com"), "{change:?}");
            assert!(mail.subject.starts_with(SITE_NAME));
        }
    }
}
