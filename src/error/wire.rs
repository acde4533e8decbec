//! Reading an [`AppError`] (and its [`Problem`]s) back from JSON: the
//! browser does it for every failed server function and every echoed form.
//!
//! The format is serde's externally tagged one, which the derived
//! `Serialize` writes: a unit variant is its name (`"NotSignedIn"`), any
//! other is a one-key object (`{"Invalid": [...]}`,
//! `{"Busy": {"retry_after": 3}}`). The derived reader handles every shape
//! a data format might give an enum, and was 8 KB of the browser bundle
//! after compression; these read serde's enum shapes by name, which both
//! JSON readers (`serde_json`, and the browser's in `crate::json`) give.

use std::fmt;

use serde::{
    de::{self, EnumAccess, VariantAccess, Visitor},
    Deserialize, Deserializer,
};

use super::AppError;
use crate::validation::Problem;

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_enum("AppError", &[], ErrorVisitor)
    }
}

/// The errors that are only a name.
const NAMED_ERRORS: [(&str, AppError); 10] = [
    ("InvalidCredentials", AppError::InvalidCredentials),
    ("NotSignedIn", AppError::NotSignedIn),
    ("Forbidden", AppError::Forbidden),
    ("SudoRequired", AppError::SudoRequired),
    ("SecondFactorRequired", AppError::SecondFactorRequired),
    ("NotFound", AppError::NotFound),
    ("LinkInvalid", AppError::LinkInvalid),
    ("BadRequest", AppError::BadRequest),
    ("TooLarge", AppError::TooLarge),
    ("Internal", AppError::Internal),
];

/// The fields of the variants that say how long to wait.
#[derive(Deserialize)]
struct Wait {
    retry_after: u64,
    #[serde(default)]
    capped: bool,
}

struct ErrorVisitor;

impl<'de> Visitor<'de> for ErrorVisitor {
    type Value = AppError;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an error: its name, or a one-key object")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<AppError, A::Error> {
        let (name, variant) = data.variant::<String>()?;
        if let Some((_, error)) = NAMED_ERRORS.iter().find(|(known, _)| *known == name) {
            variant.unit_variant()?;
            return Ok(error.clone());
        }
        match name.as_str() {
            "Invalid" => variant.newtype_variant().map(AppError::Invalid),
            "TooManyAttempts" => {
                let wait: Wait = variant.newtype_variant()?;
                Ok(AppError::TooManyAttempts {
                    retry_after: wait.retry_after,
                })
            }
            "LogInLocked" => {
                let wait: Wait = variant.newtype_variant()?;
                Ok(AppError::LogInLocked {
                    retry_after: wait.retry_after,
                    capped: wait.capped,
                })
            }
            "Busy" => {
                let wait: Wait = variant.newtype_variant()?;
                Ok(AppError::Busy {
                    retry_after: wait.retry_after,
                })
            }
            _ => Err(de::Error::custom("an error this version does not know")),
        }
    }
}

impl<'de> Deserialize<'de> for Problem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_enum("Problem", &[], ProblemVisitor)
    }
}

/// The problems that are only a name, as their derived `Serialize` writes
/// them (a unit test holds the two together).
const NAMED_PROBLEMS: [(&str, Problem); 37] = [
    ("EmailMissing", Problem::EmailMissing),
    ("EmailTooLong", Problem::EmailTooLong),
    ("EmailMalformed", Problem::EmailMalformed),
    (
        "EmailInvisibleCharacters",
        Problem::EmailInvisibleCharacters,
    ),
    ("EmailTaken", Problem::EmailTaken),
    ("PasswordMissing", Problem::PasswordMissing),
    ("PasswordTooLong", Problem::PasswordTooLong),
    ("PasswordCommon", Problem::PasswordCommon),
    ("PasswordRepetitive", Problem::PasswordRepetitive),
    ("PasswordSequence", Problem::PasswordSequence),
    ("PasswordKeyboardPattern", Problem::PasswordKeyboardPattern),
    ("PasswordDates", Problem::PasswordDates),
    ("PasswordGuessable", Problem::PasswordGuessable),
    ("PasswordContainsEmail", Problem::PasswordContainsEmail),
    (
        "PasswordContainsSiteName",
        Problem::PasswordContainsSiteName,
    ),
    ("PasswordsDiffer", Problem::PasswordsDiffer),
    (
        "DisplayNameControlCharacters",
        Problem::DisplayNameControlCharacters,
    ),
    ("CurrentPasswordMissing", Problem::CurrentPasswordMissing),
    (
        "CurrentPasswordIncorrect",
        Problem::CurrentPasswordIncorrect,
    ),
    ("PasswordUnchanged", Problem::PasswordUnchanged),
    ("EmailUnchanged", Problem::EmailUnchanged),
    ("ConfirmEmailDiffers", Problem::ConfirmEmailDiffers),
    ("SignUpPasswordMissing", Problem::SignUpPasswordMissing),
    ("SignUpPasswordIncorrect", Problem::SignUpPasswordIncorrect),
    ("CodeMissing", Problem::CodeMissing),
    ("CodeIncorrect", Problem::CodeIncorrect),
    ("RecoveryCodeMissing", Problem::RecoveryCodeMissing),
    ("RecoveryCodeIncorrect", Problem::RecoveryCodeIncorrect),
    ("LogInExpired", Problem::LogInExpired),
    ("TwoFactorNotStarted", Problem::TwoFactorNotStarted),
    ("TwoFactorAlreadyOn", Problem::TwoFactorAlreadyOn),
    ("PasskeyNameInvalid", Problem::PasskeyNameInvalid),
    ("PasskeyNotAccepted", Problem::PasskeyNotAccepted),
    ("PasskeyAlreadyAdded", Problem::PasskeyAlreadyAdded),
    ("NoPasskey", Problem::NoPasskey),
    ("IdentityTaken", Problem::IdentityTaken),
    ("LastWayToSignIn", Problem::LastWayToSignIn),
];

/// The field of the problems that count characters.
#[derive(Deserialize)]
struct Count {
    chars: usize,
}

struct ProblemVisitor;

impl<'de> Visitor<'de> for ProblemVisitor {
    type Value = Problem;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a problem: its name, or a one-key object")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Problem, A::Error> {
        let (name, variant) = data.variant::<String>()?;
        if let Some((_, problem)) = NAMED_PROBLEMS.iter().find(|(known, _)| *known == name) {
            variant.unit_variant()?;
            return Ok(*problem);
        }
        match name.as_str() {
            "PasswordTooShort" => Ok(Problem::PasswordTooShort {
                chars: variant.newtype_variant::<Count>()?.chars,
            }),
            "DisplayNameTooLong" => Ok(Problem::DisplayNameTooLong {
                chars: variant.newtype_variant::<Count>()?.chars,
            }),
            _ => Err(de::Error::custom("a problem this version does not know")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem, listed by a match without a wildcard: a new variant
    /// does not compile until it is added here (and to `NAMED_PROBLEMS`).
    fn every_problem() -> Vec<Problem> {
        let all: Vec<Problem> = NAMED_PROBLEMS
            .iter()
            .map(|(_, problem)| *problem)
            .chain([
                Problem::PasswordTooShort { chars: 9 },
                Problem::DisplayNameTooLong { chars: 51 },
            ])
            .collect();
        for problem in &all {
            match problem {
                Problem::EmailMissing
                | Problem::EmailTooLong
                | Problem::EmailMalformed
                | Problem::EmailInvisibleCharacters
                | Problem::EmailTaken
                | Problem::PasswordMissing
                | Problem::PasswordTooShort { .. }
                | Problem::PasswordTooLong
                | Problem::PasswordCommon
                | Problem::PasswordRepetitive
                | Problem::PasswordSequence
                | Problem::PasswordKeyboardPattern
                | Problem::PasswordDates
                | Problem::PasswordGuessable
                | Problem::PasswordContainsEmail
                | Problem::PasswordContainsSiteName
                | Problem::PasswordsDiffer
                | Problem::DisplayNameTooLong { .. }
                | Problem::DisplayNameControlCharacters
                | Problem::CurrentPasswordMissing
                | Problem::CurrentPasswordIncorrect
                | Problem::PasswordUnchanged
                | Problem::EmailUnchanged
                | Problem::ConfirmEmailDiffers
                | Problem::SignUpPasswordMissing
                | Problem::SignUpPasswordIncorrect
                | Problem::CodeMissing
                | Problem::CodeIncorrect
                | Problem::RecoveryCodeMissing
                | Problem::RecoveryCodeIncorrect
                | Problem::LogInExpired
                | Problem::TwoFactorNotStarted
                | Problem::TwoFactorAlreadyOn
                | Problem::PasskeyNameInvalid
                | Problem::PasskeyNotAccepted
                | Problem::PasskeyAlreadyAdded
                | Problem::NoPasskey
                | Problem::IdentityTaken
                | Problem::LastWayToSignIn => {}
            }
        }
        all
    }

    fn every_error() -> Vec<AppError> {
        let all = vec![
            AppError::Invalid(every_problem()),
            AppError::InvalidCredentials,
            AppError::NotSignedIn,
            AppError::Forbidden,
            AppError::SudoRequired,
            AppError::SecondFactorRequired,
            AppError::NotFound,
            AppError::TooManyAttempts { retry_after: 7 },
            AppError::LogInLocked {
                retry_after: 900,
                capped: false,
            },
            AppError::LogInLocked {
                retry_after: 0,
                capped: true,
            },
            AppError::Busy { retry_after: 2 },
            AppError::LinkInvalid,
            AppError::BadRequest,
            AppError::TooLarge,
            AppError::Internal,
        ];
        for error in &all {
            match error {
                AppError::Invalid(_)
                | AppError::InvalidCredentials
                | AppError::NotSignedIn
                | AppError::Forbidden
                | AppError::SudoRequired
                | AppError::SecondFactorRequired
                | AppError::NotFound
                | AppError::TooManyAttempts { .. }
                | AppError::LogInLocked { .. }
                | AppError::Busy { .. }
                | AppError::LinkInvalid
                | AppError::BadRequest
                | AppError::TooLarge
                | AppError::Internal => {}
            }
        }
        all
    }

    #[test]
    fn every_error_reads_back_as_it_was_written() {
        for error in every_error() {
            let json = serde_json::to_string(&error).expect("serialize");
            let read: AppError = serde_json::from_str(&json).expect(&json);
            assert_eq!(read, error, "{json}");
            assert_eq!(crate::json::read(json.as_bytes()), Ok(error), "{json}");
        }
        for (name, problem) in NAMED_PROBLEMS {
            assert_eq!(
                serde_json::to_string(&problem).unwrap(),
                format!("\"{name}\"")
            );
        }
        assert_eq!(every_problem().len(), 39);
    }

    #[test]
    fn the_documented_shapes_read_as_the_readme_gives_them() {
        // Both readers: the server's tests read with serde_json, the
        // browser with crate::json.
        let read = |json: &str| {
            let read = serde_json::from_str::<AppError>(json).ok();
            assert_eq!(read, crate::json::read(json.as_bytes()).ok(), "{json}");
            read.ok_or(json.to_owned())
        };
        assert_eq!(read(r#""NotSignedIn""#).unwrap(), AppError::NotSignedIn);
        assert_eq!(
            read(r#"{"Invalid":["EmailTaken",{"PasswordTooShort":{"chars":9}}]}"#).unwrap(),
            AppError::Invalid(vec![
                Problem::EmailTaken,
                Problem::PasswordTooShort { chars: 9 }
            ])
        );
        assert_eq!(
            read(r#"{"LogInLocked":{"retry_after":60,"capped":true}}"#).unwrap(),
            AppError::LogInLocked {
                retry_after: 60,
                capped: true
            }
        );
        assert_eq!(
            read(r#"{"Busy":{"retry_after":3}}"#).unwrap(),
            AppError::Busy { retry_after: 3 }
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for json in [
            r#""Teapot""#,
            r#"{"Teapot":null}"#,
            r#"{}"#,
            r#"{"Busy":{"retry_after":3},"Internal":null}"#,
            r#"{"Busy":{}}"#,
            r#"{"Invalid":["Teapot"]}"#,
            r#"{"Invalid":[{"PasswordTooShort":{}}]}"#,
            r#"{"Invalid":[{"EmailTaken":{"chars":1}}]}"#,
            r#"["NotSignedIn"]"#,
            "7",
            "null",
        ] {
            assert!(serde_json::from_str::<AppError>(json).is_err(), "{json}");
            assert!(
                crate::json::read::<AppError>(json.as_bytes()).is_err(),
                "{json}"
            );
        }
    }
}
