//! JSON as this product sends it: written by `serde_json` on the server,
//! read by `serde-json-core` wherever it is read back (the browser, and the
//! tests that check the two agree).
//!
//! Why a second reader: `serde_json`'s errors carry messages that name what
//! was found, and naming a number means formatting floats. That pulled
//! Rust's whole float formatter and a second float writer into the browser
//! bundle, about 20 KB before compression, for messages nobody reads (the
//! browser only needs to know that an answer could not be read).
//! `serde-json-core` reports errors as plain values.
//!
//! What it reads: everything `serde_json` writes for this product's types
//! (objects, arrays, strings, integers, booleans, `null`, and enums in
//! serde's external tagging), given a type to read into. It does not read
//! `\u` escapes of surrogate pairs, which `serde_json` never writes (it
//! writes such characters as UTF-8), nor self-describing values
//! (`deserialize_any`): the types read here say what they expect. Nor
//! maps: serde-json-core 0.7 reaches `unreachable!()` on a map's key, so a
//! `HashMap` or `BTreeMap` in a type the browser reads would stop the page
//! (a unit test below keeps this known). Use a list of pairs instead.

use std::fmt;

use leptos::server::codee::{Decoder, Encoder};
use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// The encoding of every server function's answer and error, and of the
/// data a page carries to the browser that hydrates it.
pub struct Json;

/// The answer of a server function: JSON in the body of a `POST`'s
/// response (as Leptos's own `Json`, read with [`read`]).
pub type JsonAnswer = Post<Json>;

/// JSON that could not be read into the type asked for, or a value that
/// could not be written (a map whose keys are not strings, say). Without
/// `serde_json`'s own messages, whose code the browser would carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

impl fmt::Display for Unreadable {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("not JSON of the type expected")
    }
}

impl std::error::Error for Unreadable {}

/// `value` as JSON.
pub fn write<T: Serialize + ?Sized>(value: &T) -> Result<String, Unreadable> {
    serde_json::to_string(value).map_err(|_| Unreadable)
}

/// Reads `json` into a `T`: the whole of it, and nothing but whitespace
/// after the value.
pub fn read<T: DeserializeOwned>(json: &[u8]) -> Result<T, Unreadable> {
    // Unescaped strings are never longer than their escaped form.
    let mut unescaped = vec![0; json.len()];
    serde_json_core::from_slice_escaped(json, &mut unescaped)
        .map(|(value, _read)| value)
        .map_err(|_| Unreadable)
}

impl ContentType for Json {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for Json {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for Json {
    type Error = Unreadable;

    fn encode(value: &T) -> Result<Bytes, Unreadable> {
        write(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Json {
    type Error = Unreadable;

    fn decode(bytes: Bytes) -> Result<T, Unreadable> {
        read(&bytes)
    }
}

impl<T: Serialize> Encoder<T> for Json {
    type Error = Unreadable;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Unreadable> {
        write(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = Unreadable;
    type Encoded = str;

    fn decode(json: &str) -> Result<T, Unreadable> {
        read(json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Point,
        Circle(u32),
        Box { wide: u32, high: u32 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        note: Option<String>,
        count: i64,
        big: u64,
        on: bool,
        tags: Vec<String>,
        shapes: Vec<Shape>,
        pair: (String, i32),
        nothing: (),
    }

    fn sample(name: &str) -> Sample {
        Sample {
            name: name.to_owned(),
            note: None,
            count: -42,
            big: u64::MAX,
            on: true,
            tags: vec![String::new(), "two".to_owned()],
            shapes: vec![
                Shape::Point,
                Shape::Circle(3),
                Shape::Box { wide: 2, high: 5 },
            ],
            pair: ("a".to_owned(), i32::MIN),
            nothing: (),
        }
    }

    #[test]
    fn reads_what_serde_json_writes() {
        for name in [
            "plain",
            "",
            "quote \" and backslash \\ and slash /",
            "controls \n \r \t \u{8} \u{c} \u{1} \u{1f}",
            "accents é ß and emoji 😀 and 中文",
            "<script>alert(1)</script>",
        ] {
            let value = sample(name);
            let json = serde_json::to_vec(&value).unwrap();
            assert_eq!(read::<Sample>(&json), Ok(value), "{name}");
        }
        assert_eq!(read::<()>(b"null"), Ok(()));
        assert_eq!(read::<Option<u8>>(b" null "), Ok(None));
        assert_eq!(read::<Vec<u8>>(b"[]"), Ok(vec![]));
    }

    #[test]
    fn reads_escapes_another_writer_may_use() {
        assert_eq!(
            read::<String>(br#""\u00e9\u4e2d\/""#),
            Ok("é中/".to_owned())
        );
    }

    /// See the module's notes: no maps in what the browser reads. If a
    /// later serde-json-core reads them, this fails and the note can go.
    #[test]
    #[should_panic]
    fn maps_are_not_read() {
        let _ = read::<std::collections::HashMap<String, u8>>(br#"{"a": 1}"#);
    }

    #[test]
    fn refuses_what_is_not_the_type_asked_for() {
        for json in [
            &b""[..],
            b"{",
            b"\"open",
            b"[1, 2] x",
            b"{\"name\": 1}",
            b"1.5",
            b"\"\\ud83d\\ude00\"",
        ] {
            assert_eq!(read::<String>(json), Err(Unreadable), "{json:?}");
        }
        assert_eq!(read::<u8>(b"256"), Err(Unreadable));
        assert_eq!(read::<Shape>(b"\"Square\""), Err(Unreadable));
        assert_eq!(read::<Shape>(b"{\"Circle\": \"3\"}"), Err(Unreadable));
    }
}
