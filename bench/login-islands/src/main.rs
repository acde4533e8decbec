//! Serves the islands version of `/login` on `LEPTOS_SITE_ADDR`.

#[tokio::main]
async fn main() {
    use axum::Router;
    use leptos::prelude::*;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use login_islands::{server::shell, App};

    let conf = get_configuration(None).expect("Cargo.toml's leptos settings");
    let options = conf.leptos_options;
    let routes = generate_route_list(App);
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options.clone());
    let listener = tokio::net::TcpListener::bind(&options.site_addr)
        .await
        .expect("a free address");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("bound")
    );
    axum::serve(listener, app.into_make_service())
        .await
        .expect("serving");
}
