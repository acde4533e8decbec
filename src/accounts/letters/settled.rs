//! What the outbox keeps of a mail once it is delivered or given up: the
//! same text without the token of any one-time link in it.

/// What a one-time link's token reads as once its mail is settled.
pub const REMOVED_TOKEN: &str = "removed";

/// `body` with the token of every one-time link removed: what the outbox
/// keeps of a mail once it is delivered or given up, so that a copy of
/// the database or a backup holds no link that works.
pub fn without_link_tokens(body: &str) -> String {
    let mut kept = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("?token=") {
        let (before, after) = rest.split_at(at + "?token=".len());
        kept.push_str(before);
        let token_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        kept.push_str(REMOVED_TOKEN);
        rest = &after[token_len..];
    }
    kept.push_str(rest);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_goes() {
        assert_eq!(without_link_tokens("no link"), "no link");
        assert_eq!(without_link_tokens("x?token="), "x?token=removed");
        assert_eq!(
            without_link_tokens("a /p?token=Ab-_9 b /q?token=Z."),
            "a /p?token=removed b /q?token=removed."
        );
    }
}
