//! The product's name, as titles, the header and mail show it.

/// The product's name, as shown in titles and the header.
pub const SITE_NAME: &str = "Leptos Accounts";
