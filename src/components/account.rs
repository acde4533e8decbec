//! Who is signed in, as every page and the nav see it.

use leptos::prelude::*;

use leptos_router::hooks::use_navigate;

use crate::{api::Profile, error::AppError};

/// Shared by the whole app: the signed-in user. The server knows it from
/// the session (resolved once per request) and sends it inside the page, so
/// the browser starts with the same answer without asking; after that the
/// account actions keep it current themselves.
#[derive(Clone, Copy)]
pub struct AccountState {
    pub user: RwSignal<Option<Profile>>,
}

impl AccountState {
    pub fn provide() -> Self {
        let user = crate::page_data::page_data(|| {
            #[cfg(feature = "ssr")]
            return crate::api::current_profile();
            #[cfg(not(feature = "ssr"))]
            None
        });
        let state = Self {
            user: RwSignal::new(user),
        };
        provide_context(state);
        state
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Call with the answer of a sign-up, log-in or profile change (the
    /// profile) or of a log-out (`None`): the nav and pages update at once,
    /// without a reload or another request.
    pub fn set_user(&self, profile: Option<Profile>) {
        self.user.set(profile);
    }

    /// One detail of the signed-in user (empty when nobody is), tracked.
    pub fn detail(&self, read: fn(&Profile) -> &str) -> String {
        self.user
            .with(|user| user.as_ref().map(|profile| read(profile).to_owned()))
            .unwrap_or_default()
    }
}

/// What a mailed link's form does with its answer when the link signs in
/// (a reset, a sign-in link, a provider's proof): on to the profile,
/// signed in, or to the code's page when the account has a second factor.
/// Errors stay on the form.
pub fn signed_in_to_profile() -> impl Fn(&Result<Profile, AppError>) + Send + Sync + 'static {
    let account = AccountState::expect();
    let navigate = use_navigate();
    move |answer| match answer {
        Ok(profile) => {
            account.set_user(Some(profile.clone()));
            navigate("/profile", Default::default());
        }
        Err(AppError::SecondFactorRequired) => {
            navigate("/login-code?next=/profile", Default::default())
        }
        Err(_) => {}
    }
}
