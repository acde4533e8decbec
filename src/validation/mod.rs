//! Input rules shared by the server and the browser, so that a form can
//! show the same message before and after a round trip. No server
//! dependencies here: this module is compiled into the WASM bundle.
//!
//! Problems are codes, not text: the text comes from [`Problem::message`],
//! so nothing a client sends back is ever shown verbatim.

use serde::Serialize;

/// Shortest password accepted (NIST SP 800-63B-4 for a single factor).
pub const PASSWORD_MIN_CHARS: usize = 15;
/// Longest password accepted, in bytes, checked before any hashing.
pub const PASSWORD_MAX_BYTES: usize = 1024;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest local part of an email address (RFC 5321).
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;
/// Longest display name.
pub const DISPLAY_NAME_MAX_CHARS: usize = 50;
/// The longest name a passkey can have.
pub const PASSKEY_NAME_MAX_CHARS: usize = 60;

mod field;
pub use field::Field;

/// What is wrong with a field, and so what the user should do. Serialized
/// by serde's derive; read back by `error::wire`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Problem {
    EmailMissing,
    EmailTooLong,
    EmailMalformed,
    EmailInvisibleCharacters,
    EmailTaken,
    PasswordMissing,
    PasswordTooShort { chars: usize },
    PasswordTooLong,
    PasswordCommon,
    PasswordRepetitive,
    PasswordSequence,
    PasswordKeyboardPattern,
    PasswordDates,
    PasswordGuessable,
    PasswordContainsEmail,
    PasswordContainsSiteName,
    PasswordsDiffer,
    DisplayNameTooLong { chars: usize },
    DisplayNameControlCharacters,
    CurrentPasswordMissing,
    CurrentPasswordIncorrect,
    PasswordUnchanged,
    EmailUnchanged,
    ConfirmEmailDiffers,
    SignUpPasswordMissing,
    SignUpPasswordIncorrect,
    CodeMissing,
    CodeIncorrect,
    RecoveryCodeMissing,
    RecoveryCodeIncorrect,
    LogInExpired,
    TwoFactorNotStarted,
    TwoFactorAlreadyOn,
    PasskeyNameInvalid,
    PasskeyNotAccepted,
    PasskeyAlreadyAdded,
    NoPasskey,
    IdentityTaken,
    LastWayToSignIn,
}

impl Problem {
    /// The field this problem belongs to.
    pub fn field(self) -> Field {
        match self {
            Self::EmailMissing
            | Self::EmailTooLong
            | Self::EmailMalformed
            | Self::EmailInvisibleCharacters
            | Self::EmailTaken
            | Self::EmailUnchanged => Field::Email,
            Self::PasswordMissing
            | Self::PasswordTooShort { .. }
            | Self::PasswordTooLong
            | Self::PasswordCommon
            | Self::PasswordRepetitive
            | Self::PasswordSequence
            | Self::PasswordKeyboardPattern
            | Self::PasswordDates
            | Self::PasswordGuessable
            | Self::PasswordContainsEmail
            | Self::PasswordContainsSiteName
            | Self::PasswordUnchanged
            | Self::SignUpPasswordMissing
            | Self::SignUpPasswordIncorrect => Field::Password,
            Self::PasswordsDiffer => Field::PasswordConfirm,
            Self::DisplayNameTooLong { .. } | Self::DisplayNameControlCharacters => {
                Field::DisplayName
            }
            Self::CurrentPasswordMissing | Self::CurrentPasswordIncorrect => Field::CurrentPassword,
            Self::ConfirmEmailDiffers => Field::ConfirmEmail,
            Self::CodeMissing
            | Self::CodeIncorrect
            | Self::LogInExpired
            | Self::TwoFactorNotStarted
            | Self::TwoFactorAlreadyOn => Field::Code,
            Self::RecoveryCodeMissing | Self::RecoveryCodeIncorrect => Field::RecoveryCode,
            Self::PasskeyNameInvalid => Field::PasskeyName,
            Self::PasskeyNotAccepted | Self::PasskeyAlreadyAdded | Self::NoPasskey => {
                Field::Passkey
            }
            Self::IdentityTaken | Self::LastWayToSignIn => Field::Identity,
        }
    }

    /// What to tell the user: what is wrong and how to fix it.
    pub fn message(self) -> String {
        match self {
            Self::EmailMissing => "Enter your email address.".into(),
            Self::EmailTooLong => {
                format!("Use an email address of at most {EMAIL_MAX_CHARS} characters.")
            }
            Self::EmailMalformed => {
                "Enter an email address in the form name@example.com.".into()
            }
            Self::EmailInvisibleCharacters => {
                "This email address contains invisible characters (such as zero-width spaces or \
                 direction marks). Type it again by hand."
                    .into()
            }
            Self::EmailTaken => {
                "An account with this email already exists. Log in instead, or use another email."
                    .into()
            }
            Self::PasswordMissing => "Enter a password.".into(),
            Self::PasswordTooShort { chars } => format!(
                "Use at least {PASSWORD_MIN_CHARS} characters (this one has {chars}). \
                 A few unrelated words make a strong, memorable password."
            ),
            Self::PasswordTooLong => format!(
                "Use a password of at most {PASSWORD_MAX_BYTES} bytes (about 250 characters or more)."
            ),
            Self::PasswordCommon => "This is a very common password pattern: it appears in \
                 lists of leaked passwords or is built from them. Choose another."
                .into(),
            Self::PasswordRepetitive => {
                "This password is a repeated pattern (like aaaa… or abcabc…). Choose another."
                    .into()
            }
            Self::PasswordSequence => "This password is mostly a sequence (like abcd… or \
                 12345…), which is among the first things guessed. Choose another."
                .into(),
            Self::PasswordKeyboardPattern => "This password is mostly a row or pattern of \
                 keys (like qwerty or 1qaz2wsx), which is among the first things guessed. \
                 Choose another."
                .into(),
            Self::PasswordDates => "This password is mostly years or dates, which are \
                 among the first things guessed. Choose another."
                .into(),
            Self::PasswordGuessable => "This password is too easy to guess: it is mostly \
                 common words, names or digits. Add a few more unrelated words."
                .into(),
            Self::PasswordContainsEmail => {
                "Your password must not contain your email address.".into()
            }
            Self::PasswordContainsSiteName => {
                "Your password must not contain the name of this site.".into()
            }
            Self::PasswordsDiffer => "The two passwords differ. Type the same one twice.".into(),
            Self::DisplayNameTooLong { chars } => format!(
                "Use at most {DISPLAY_NAME_MAX_CHARS} characters for your display name \
                 (this one has {chars})."
            ),
            Self::DisplayNameControlCharacters => {
                "Your display name cannot contain line breaks or other control characters.".into()
            }
            Self::CurrentPasswordMissing => "Enter your current password.".into(),
            Self::CurrentPasswordIncorrect => {
                "That is not your current password. Check it and try again.".into()
            }
            Self::PasswordUnchanged => {
                "Your new password is the one you have now. Choose a different one.".into()
            }
            Self::EmailUnchanged => "This is already your email address.".into(),
            Self::ConfirmEmailDiffers => {
                "Type your account's email address exactly as shown to confirm.".into()
            }
            Self::SignUpPasswordMissing => {
                "Enter the password you chose when you signed up.".into()
            }
            Self::SignUpPasswordIncorrect => {
                "That is not the password chosen at sign-up. If you did not sign up, ignore \
                 the mail: no account is made."
                    .into()
            }
            Self::CodeMissing => "Enter the code from your app.".into(),
            Self::CodeIncorrect => "That code is not right, or was used already.".into(),
            Self::RecoveryCodeMissing => "Enter a recovery code.".into(),
            Self::RecoveryCodeIncorrect => {
                "That recovery code is not right, or was used already.".into()
            }
            Self::LogInExpired => "This log-in took too long. Log in again.".into(),
            Self::TwoFactorNotStarted => "Start the set-up again.".into(),
            Self::TwoFactorAlreadyOn => "Your app is already on.".into(),
            Self::PasskeyNameInvalid => format!(
                "Name the passkey in 1 to {PASSKEY_NAME_MAX_CHARS} characters, on one line."
            ),
            Self::PasskeyNotAccepted => "The passkey was not accepted (it may have been \
                 removed, or the request took too long). Try again, or use your password."
                .into(),
            Self::PasskeyAlreadyAdded => "This passkey is already on an account here.".into(),
            Self::NoPasskey => "Your account has no passkey. Use your password.".into(),
            Self::IdentityTaken => {
                "That sign-in already belongs to another account here.".into()
            }
            Self::LastWayToSignIn => "This is the only way into your account: set a password \
                 or add a passkey before you unlink it."
                .into(),
        }
    }
}

/// Checks the shape of an email address and returns it trimmed.
///
/// Deliberately simple: one `@`, a non-empty local part, and a domain with
/// a dot and no empty labels. Whether the address receives mail is only
/// known by sending mail to it.
pub fn check_email(raw: &str) -> Result<String, Problem> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(Problem::EmailMissing);
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(Problem::EmailTooLong);
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(Problem::EmailMalformed);
    };
    let well_formed = !local.is_empty()
        && local.chars().count() <= EMAIL_LOCAL_MAX_CHARS
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && !local.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty());
    if well_formed {
        Ok(email.to_owned())
    } else {
        Err(Problem::EmailMalformed)
    }
}

/// Checks a display name and returns it trimmed; an empty name is allowed.
pub fn check_display_name(raw: &str) -> Result<String, Problem> {
    let name = raw.trim();
    if name.chars().any(char::is_control) {
        return Err(Problem::DisplayNameControlCharacters);
    }
    let chars = name.chars().count();
    if chars > DISPLAY_NAME_MAX_CHARS {
        return Err(Problem::DisplayNameTooLong { chars });
    }
    Ok(name.to_owned())
}

/// Checks the name of a passkey and returns it trimmed.
pub fn check_passkey_name(raw: &str) -> Result<String, Problem> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > PASSKEY_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(Problem::PasskeyNameInvalid);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkey_names_are_one_short_line() {
        assert_eq!(check_passkey_name("  Work laptop ").unwrap(), "Work laptop");
        assert_eq!(check_passkey_name("Téléphone 📱").unwrap(), "Téléphone 📱");
        for bad in [
            "",
            "   ",
            "two\nlines",
            &"x".repeat(PASSKEY_NAME_MAX_CHARS + 1),
        ] {
            assert_eq!(check_passkey_name(bad), Err(Problem::PasskeyNameInvalid));
        }
        assert!(check_passkey_name(&"é".repeat(PASSKEY_NAME_MAX_CHARS)).is_ok());
    }

    #[test]
    fn email_is_trimmed() {
        assert_eq!(
            check_email("  ada@example.com \n").unwrap(),
            "ada@example.com"
        );
    }

    #[test]
    fn email_rejections_say_what_is_wrong() {
        assert_eq!(check_email("   "), Err(Problem::EmailMissing));
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@example..com",
            "ada@.example.com",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@@example.com",
            "<ada@example.com>",
        ] {
            assert_eq!(check_email(bad), Err(Problem::EmailMalformed), "{bad}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(check_email(&long_local), Err(Problem::EmailMalformed));
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert_eq!(check_email(&long), Err(Problem::EmailTooLong));
    }

    #[test]
    fn email_accepts_unicode_and_plus_addressing() {
        assert!(check_email("ada+news@example.co.uk").is_ok());
        assert!(check_email("zoë@exämple.com").is_ok());
    }

    #[test]
    fn display_name_rules() {
        assert_eq!(check_display_name("  Ada  ").unwrap(), "Ada");
        assert_eq!(check_display_name("").unwrap(), "");
        assert_eq!(
            check_display_name(&"é".repeat(50)).unwrap().chars().count(),
            50
        );
        assert_eq!(
            check_display_name(&"é".repeat(51)),
            Err(Problem::DisplayNameTooLong { chars: 51 })
        );
        assert_eq!(
            check_display_name("Ada\nLovelace"),
            Err(Problem::DisplayNameControlCharacters)
        );
    }

    #[test]
    fn every_problem_names_its_field_and_has_a_message() {
        let problems = [
            Problem::EmailMissing,
            Problem::EmailTaken,
            Problem::PasswordTooShort { chars: 3 },
            Problem::PasswordCommon,
            Problem::DisplayNameTooLong { chars: 60 },
        ];
        for problem in problems {
            assert!(problem.message().ends_with('.'), "{problem:?}");
        }
        assert_eq!(Problem::PasswordCommon.field(), Field::Password);
        assert!(Problem::PasswordTooShort { chars: 3 }
            .message()
            .contains("this one has 3"));
    }
}
