//! What a page puts in the document's `<head>`.

use leptos::prelude::*;

use crate::brand::SITE_NAME;

/// The page's title, shown as "{title} · Leptos Accounts", and its meta
/// description.
///
/// The server writes both into the head of the page it renders (through
/// leptos_meta). In the browser only the title can change as people move
/// between pages, so setting `document.title` is all the bundle needs: it
/// carries no head-management code.
///
/// In place, both sides leave the same single empty marker: the browser's
/// side is `()`, which hydrates one, so the server's side renders one after
/// its (invisible) head tags.
#[component]
pub fn PageHead(
    title: &'static str,
    description: &'static str,
    /// Asks search engines to leave the page out of their index.
    #[prop(optional)]
    noindex: bool,
) -> impl IntoView {
    let full_title = format!("{title} · {SITE_NAME}");
    #[cfg(feature = "ssr")]
    {
        use leptos_meta::{Meta, Title};
        let robots = if noindex { "noindex" } else { "index, follow" };
        let tags = view! {
            <Title text=full_title/>
            <Meta name="description" content=description/>
            <Meta name="robots" content=robots/>
        };
        (tags, ())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (description, noindex);
        document().set_title(&full_title);
    }
}
