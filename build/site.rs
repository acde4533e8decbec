//! The built site as the release server embeds it (see `build.rs`).
//!
//! Shared by the build script and the crate's tests, so the rules that make
//! asset names reproducible are tested like any other code.

/// The `{ a, b, c, }` name lists of the wasm-split loader in a canonical
/// order. cargo-leptos writes them in a hash set's order, which differs
/// from build to build; the lists are destructuring patterns and object
/// literals, where order has no meaning, so sorting them changes nothing
/// but makes two builds of one commit byte-identical.
pub fn canonical_split_loader(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{ ") {
        let (before, after) = rest.split_at(start + 2);
        out.push_str(before);
        rest = after;
        let Some(end) = after.find(" }") else {
            continue;
        };
        let inner = &after[..end];
        if !is_name_list(inner) {
            continue;
        }
        let mut names: Vec<&str> = inner
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        names.sort_unstable();
        for name in names {
            out.push_str(name);
            out.push_str(", ");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Whether `text` is a list of two or more JavaScript names, `a, b, c, `.
fn is_name_list(text: &str) -> bool {
    text.contains(',')
        && text.split(',').map(str::trim).all(|name| {
            name.is_empty()
                || name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

/// The content-derived part of an asset name, as cargo-leptos makes it:
/// 128 bits of a digest, URL-safe base64 without padding.
pub fn name_hash(digest: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = &digest[..16];
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The media type the server sends for a site file, by its extension.
pub fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => return None,
    })
}
