//! The password policy (NIST SP 800-63B-4 §3.1.1.2, ASVS 6.2.4 and
//! 6.2.12): length, not composition, and not guessable.
//!
//! A password is normalised with NFKC so that the same characters typed on
//! different keyboards give the same password, then checked for length (in
//! code points), against a shipped list of common and breached passwords,
//! for trivially repeated patterns, and for containing the user's email or
//! the site's name. Last, Dropbox's zxcvbn estimates how many guesses an
//! attacker would need, knowing the breached lists, dictionaries, names,
//! repeats, sequences, keyboard walks, years, dates and digit runs, and how
//! people combine them (`passwordpassword`, `password1234567`). Below
//! [`MIN_GUESSES_LOG10`] the password is refused, with zxcvbn's reason.
//! It is never truncated and its case is never changed.

use std::{collections::HashSet, sync::LazyLock};

use unicode_normalization::UnicodeNormalization;

use crate::validation::{Problem, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS};

/// The 30,000 most common passwords from public breach corpora, as
/// published with zxcvbn (MIT licence), one per line, lower case.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// Words that make a password guessable for this site in particular.
const SITE_WORDS: [&str; 2] = ["leptosaccounts", "leptos accounts"];

/// The least strength accepted: zxcvbn's score 3, an estimated 10^8
/// guesses or more ("safely unguessable: moderate protection from an
/// offline slow-hash scenario"). Online guessing is capped far below that
/// by the log-in limits, and the stored hashes are argon2id.
pub const MIN_GUESSES_LOG10: f64 = 10.0;

/// A password that passed the policy, NFKC-normalised: hash this.
pub struct AcceptedPassword(String);

impl AcceptedPassword {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Normalises a password for hashing or verification. The byte limit is
/// checked first so that a huge input costs nothing.
pub fn normalise(raw: &str) -> Result<String, Problem> {
    if raw.len() > PASSWORD_MAX_BYTES {
        return Err(Problem::PasswordTooLong);
    }
    Ok(raw.nfkc().collect())
}

/// Checks a new password for the account with `email`.
pub fn check_new(raw: &str, email: &str) -> Result<AcceptedPassword, Problem> {
    if raw.is_empty() {
        return Err(Problem::PasswordMissing);
    }
    let password = normalise(raw)?;
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(Problem::PasswordTooShort { chars });
    }

    let folded = password.to_lowercase();
    let squeezed: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    if COMMON_PASSWORDS.contains(folded.as_str()) || COMMON_PASSWORDS.contains(squeezed.as_str()) {
        return Err(Problem::PasswordCommon);
    }
    if is_repetitive(&squeezed) {
        return Err(Problem::PasswordRepetitive);
    }
    let email = email.trim().to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    if !email.is_empty() && (folded.contains(&email) || squeezed.contains(&email)) {
        return Err(Problem::PasswordContainsEmail);
    }
    // The local part alone counts too when it is long enough to be a real
    // guess ("ada.lovelace" in "ada.lovelace2024!!!"), not a short name.
    if local_part.chars().count() >= 5 && squeezed.contains(local_part) {
        return Err(Problem::PasswordContainsEmail);
    }
    if SITE_WORDS
        .iter()
        .any(|word| folded.contains(word) || squeezed.contains(word))
    {
        return Err(Problem::PasswordContainsSiteName);
    }
    check_strength(&password, &[&email, local_part, SITE_WORDS[0]])?;
    Ok(AcceptedPassword(password))
}

/// Refuses a password that zxcvbn estimates below [`MIN_GUESSES_LOG10`],
/// saying which kind of pattern makes it guessable. zxcvbn reads at most
/// the first 100 characters, so a long input costs bounded time.
fn check_strength(password: &str, user_inputs: &[&str]) -> Result<(), Problem> {
    use zxcvbn::feedback::Warning;

    // zxcvbn prices each year it finds cheaply but a chain of them
    // ("2019 2020 2021 2022") as if it were random digits.
    if is_chain_of_years(password) {
        return Err(Problem::PasswordDates);
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if estimate.guesses_log10() >= MIN_GUESSES_LOG10 {
        return Ok(());
    }
    let warning = estimate.feedback().and_then(|feedback| feedback.warning());
    Err(match warning {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword,
        ) => Problem::PasswordCommon,
        Some(
            Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => Problem::PasswordRepetitive,
        Some(Warning::SequencesLikeAbcAreEasyToGuess) => Problem::PasswordSequence,
        Some(
            Warning::StraightRowsOfKeysAreEasyToGuess
            | Warning::ShortKeyboardPatternsAreEasyToGuess,
        ) => Problem::PasswordKeyboardPattern,
        Some(Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess) => {
            Problem::PasswordDates
        }
        _ => Problem::PasswordGuessable,
    })
}

/// True when the password is nothing but years (1900–2099), with or
/// without separators: "19801981198219831984", "1999-2000-2001-2002".
fn is_chain_of_years(password: &str) -> bool {
    let digits: Vec<char> = password
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect();
    !digits.is_empty()
        && digits.len().is_multiple_of(4)
        && digits.chunks(4).all(|year| {
            year.iter().all(char::is_ascii_digit) && matches!(year[..2], ['1', '9'] | ['2', '0'])
        })
}

/// True when the password is one short unit repeated ("aaaa…", "abcabc…",
/// "12121212…") or a run of consecutive characters ("abcdefgh…", "98765…").
fn is_repetitive(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    let repeats_unit = (1..=4).any(|unit| {
        chars.len() >= unit * 3 && chars.iter().enumerate().all(|(i, &c)| c == chars[i % unit])
    });
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|pair| i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0])))
        .collect();
    let sequential = !steps.is_empty()
        && (steps.iter().all(|&step| step == 1) || steps.iter().all(|&step| step == -1));
    repeats_unit || sequential
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "ada@example.com";

    #[test]
    fn the_blocklist_is_shipped_and_large() {
        assert!(COMMON_PASSWORDS.len() >= 10_000);
        assert!(COMMON_PASSWORDS.contains("password"));
    }

    #[test]
    fn length_counts_code_points() {
        assert_eq!(
            check_new("short one", EMAIL).err(),
            Some(Problem::PasswordTooShort { chars: 9 })
        );
        // 15 code points, 30 bytes: long enough.
        assert!(check_new("ñandú piñata ñu", EMAIL).is_ok());
        // 14 code points of emoji are still too short, whatever their bytes.
        assert_eq!(
            check_new(&"🦀x".repeat(7), EMAIL).err(),
            Some(Problem::PasswordTooShort { chars: 14 })
        );
    }

    #[test]
    fn spaces_unicode_and_long_passwords_are_welcome() {
        assert!(check_new("correct horse battery staple", EMAIL).is_ok());
        assert!(check_new("пароль очень надёжный ключ", EMAIL).is_ok());
        let long = "a quite long passphrase with many words ".repeat(25);
        assert!(long.len() > 64 && long.len() <= PASSWORD_MAX_BYTES);
        assert!(check_new(&long, EMAIL).is_ok());
    }

    #[test]
    fn no_truncation_and_no_case_change() {
        let accepted = check_new("Tiger Lily Orbit Canoe", EMAIL).unwrap();
        assert_eq!(accepted.as_bytes(), "Tiger Lily Orbit Canoe".as_bytes());
    }

    #[test]
    fn nfkc_makes_equivalent_input_equal() {
        // Full-width letters and the "ﬁ" ligature normalise to plain ASCII.
        let accepted = check_new("ｆｕｌｌ ｗｉｄｔｈ ﬁsh tank", EMAIL).unwrap();
        assert_eq!(accepted.as_bytes(), b"full width fish tank");
        assert_eq!(normalise("ﬁ").unwrap(), "fi");
    }

    #[test]
    fn over_long_input_is_refused_before_any_work() {
        let huge = "x".repeat(PASSWORD_MAX_BYTES + 1);
        assert_eq!(
            check_new(&huge, EMAIL).err(),
            Some(Problem::PasswordTooLong)
        );
        assert_eq!(normalise(&huge).err(), Some(Problem::PasswordTooLong));
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in [
            "1qaz2wsx3edc4rfv",
            "Q1W2E3R4T5Y6U7I8",
            "qwertyuiop12345",
            "1234 qwer asdf zxcv",
        ] {
            assert_eq!(
                check_new(common, EMAIL).err(),
                Some(Problem::PasswordCommon),
                "{common}"
            );
        }
    }

    #[test]
    fn repeated_and_sequential_patterns_are_refused() {
        for pattern in [
            "zzzzzzzzzzzzzzzz",
            "xyzxyzxyzxyzxyzxyz",
            "7878787878787878",
            "klmnopqrstuvwxyz",
            "zyxwvutsrqponmlk",
        ] {
            assert_eq!(
                check_new(pattern, EMAIL).err(),
                Some(Problem::PasswordRepetitive),
                "{pattern}"
            );
        }
        // One changed character does not make a repeat strong.
        assert!(check_new("zzzzzzzzzzzzzzzzzzzzzzzy", EMAIL).is_err());
    }

    #[test]
    fn long_but_guessable_passwords_are_refused_with_the_reason() {
        use Problem::*;
        // Where two readings are equally cheap (a listed password or a
        // sequence), zxcvbn may give either reason.
        for (password, reasons) in [
            // Built from listed words, repeated or with digits added.
            ("password1234567", &[PasswordCommon][..]),
            ("johnsmith19851985", &[PasswordCommon]),
            ("bluebirdsunshine", &[PasswordCommon]),
            ("passwordpassword", &[PasswordRepetitive]),
            ("iloveyouiloveyou", &[PasswordRepetitive]),
            ("Dragon2024Dragon", &[PasswordGuessable]),
            ("Password2024!!!!", &[PasswordGuessable]),
            // Digit runs and sequences.
            ("123456789012345", &[PasswordSequence, PasswordCommon]),
            ("abcdefghijk12345", &[PasswordSequence, PasswordCommon]),
            // Keyboard walks.
            ("zxcvbnm,./asdfghjkl", &[PasswordKeyboardPattern]),
            // Years and dates.
            ("19801981198219831984", &[PasswordDates]),
            ("2019 2020 2021 2022", &[PasswordDates]),
            ("1999-2000-2001-2002", &[PasswordDates]),
        ] {
            let refused = check_new(password, EMAIL).err();
            assert!(
                refused.is_some_and(|problem| reasons.contains(&problem)),
                "{password}: {refused:?}"
            );
        }
    }

    #[test]
    fn ordinary_passphrases_pass_the_estimator() {
        for password in [
            "violet kettle marching north",
            "correct horse battery staple",
            "Tiger Lily Orbit Canoe",
            "my cat eats tomatoes on fridays",
            "пароль очень надёжный ключ",
        ] {
            assert!(check_new(password, EMAIL).is_ok(), "{password}");
        }
    }

    #[test]
    fn the_email_and_site_name_are_refused() {
        assert_eq!(
            check_new("my ada@example.com password", EMAIL).err(),
            Some(Problem::PasswordContainsEmail)
        );
        assert_eq!(
            check_new("ADA@EXAMPLE.COM is my login", EMAIL).err(),
            Some(Problem::PasswordContainsEmail)
        );
        assert_eq!(
            check_new("lovelace secret garden", "lovelace@example.com").err(),
            Some(Problem::PasswordContainsEmail)
        );
        // A short local part is too common a string to forbid.
        assert!(check_new("ada likes long walks", EMAIL).is_ok());
        assert_eq!(
            check_new("my Leptos Accounts pass", EMAIL).err(),
            Some(Problem::PasswordContainsSiteName)
        );
    }
}
