//! `/api/profile/*`: the signed-in user's own account.

use leptos::prelude::*;

use super::Profile;
use crate::error::AppError;

/// `POST /api/profile/display-name` with `display_name`: changes the
/// signed-in user's display name (empty removes it). 401 when not signed
/// in; 422 when the name breaks the rules.
#[server(prefix = "/api/profile", endpoint = "display-name")]
pub async fn update_display_name(display_name: String) -> Result<Profile, AppError> {
    use crate::server::web::{self, FormReply};
    use crate::validation::Field;

    let reply = FormReply::new(
        super::FormId::DisplayName,
        "/profile",
        vec![(Field::DisplayName, display_name.clone())],
    );
    let Some(user) = web::current_user() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match web::accounts()?
        .update_display_name(user.id, &display_name)
        .await
    {
        Ok(user) => {
            reply.success("/profile");
            Ok(web::profile(&user))
        }
        Err(error) => Err(reply.failure(error)),
    }
}
