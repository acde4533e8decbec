//! Values the server works out while rendering a page and sends inside it,
//! so the browser hydrates with the same answer instead of asking again.

use leptos::server::{
    codee::{Decoder, Encoder},
    SharedValue,
};
use serde::{de::DeserializeOwned, Serialize};

/// A value that travels inside the page (Leptos's `SharedValue`): `value`
/// runs while the server renders the page and its result is written into
/// the page as JSON; the browser, hydrating that page, reads it instead of
/// running `value`. On later in-app navigation the browser runs `value`.
pub fn page_data<T>(value: impl FnOnce() -> T) -> T
where
    T: Serialize + DeserializeOwned,
{
    SharedValue::<T, PageJson>::new_with_encoding(value).into_inner()
}

/// JSON, read with the same parser as the server functions' answers
/// (from bytes): Leptos's default codec reads from a `str`, which put a
/// second copy of the JSON reader into the browser bundle.
pub struct PageJson;

impl<T: Serialize> Encoder<T> for PageJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for PageJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(json.as_bytes())
    }
}
