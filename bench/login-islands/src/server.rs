//! The page's HTML document.

use leptos::prelude::*;

use crate::App;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Log in · Leptos Accounts"</title>
                <link rel="stylesheet" href="/pkg/login_islands.css"/>
                <HydrationScripts options islands=true islands_router=true/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
