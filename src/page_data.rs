//! Values the server works out while rendering a page and sends inside it,
//! so the browser hydrates with the same answer instead of asking again.

use std::future::Future;

use leptos::prelude::*;
use leptos::server::SharedValue;
use serde::{de::DeserializeOwned, Serialize};

use crate::json::Json;

/// A value that travels inside the page (Leptos's `SharedValue`): `value`
/// runs while the server renders the page and its result is written into
/// the page as JSON; the browser, hydrating that page, reads it instead of
/// running `value`. On later in-app navigation the browser runs `value`.
pub fn page_data<T>(value: impl FnOnce() -> T) -> T
where
    T: Serialize + DeserializeOwned,
{
    SharedValue::<T, Json>::new_with_encoding(value).into_inner()
}

/// A resource (Leptos's `Resource::new`) whose value the page carries as
/// [`Json`], the encoding of the server functions' answers, so that the
/// browser reads both with one reader.
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
