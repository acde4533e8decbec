//! Who is signed in, as every page and the nav see it.

use leptos::prelude::*;

use crate::{api::auth::current_user, api::Profile, error::AppError};

/// Shared by the whole app: the signed-in user, fetched on the server for
/// the first load (and carried into the browser with the page), then kept
/// current by the account actions themselves.
#[derive(Clone, Copy)]
pub struct AccountState {
    pub user: Resource<Result<Option<Profile>, AppError>>,
}

impl AccountState {
    pub fn provide() -> Self {
        let state = Self {
            user: Resource::new(|| (), |_| current_user()),
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
        self.user.set(Some(Ok(profile)));
    }
}
