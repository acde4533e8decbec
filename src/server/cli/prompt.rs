//! What a command asks the person at the terminal: who they are (for the
//! audit trail), a new account's password, and a yes before deleting.

use std::io::{BufRead, IsTerminal, Write};

use super::output::Failure;

/// Who runs the command, as the operating system calls them.
pub(super) fn login_name() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The new account's password: asked twice at a terminal without echo,
/// else the first line of stdin.
pub(super) fn read_password(email: &str) -> Result<String, Failure> {
    let unreadable =
        |error: std::io::Error| Failure(format!("could not read the password: {error}"));
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password(format!("Password for {email}: ")).map_err(unreadable)?;
        let again = rpassword::prompt_password("The same password again: ").map_err(unreadable)?;
        if first != again {
            return Err(Failure(
                "the two passwords differ; nothing was created".to_owned(),
            ));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(unreadable)?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

/// Asks at a terminal for the address again before a deletion; without a
/// terminal the operator must have said `--yes`.
pub(super) fn confirm_deletion(email: &str) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure(
            "deleting an account cannot be undone: add --yes to delete without being asked"
                .to_owned(),
        ));
    }
    eprint!("Deleting cannot be undone. Type the address again to delete {email}: ");
    let _ = std::io::stderr().flush();
    let mut typed = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut typed)
        .map_err(|error| Failure(format!("could not read the answer: {error}")))?;
    if typed.trim() != email.trim() {
        return Err(Failure(
            "the addresses differ; nothing was deleted".to_owned(),
        ));
    }
    Ok(())
}
