//! `/api/profile/*`: the signed-in user's own account.

use leptos::prelude::*;

use crate::json::JsonAnswer;

use super::{Activity, Profile};
use crate::{
    api::fields::{Fields, FromFields},
    error::AppError,
    validation::Field,
};

/// `POST /api/profile/display-name` with `display_name`: changes the
/// signed-in user's display name (empty removes it). 401 when not signed
/// in; 422 when the name breaks the rules.
#[server(prefix = "/api/profile", endpoint = "display-name", output = JsonAnswer)]
pub async fn update_display_name(display_name: String) -> Result<Profile, AppError> {
    use crate::{api::reply::FormReply, context::request};

    let reply = FormReply::new(
        super::FormId::DisplayName,
        "/profile",
        vec![(Field::DisplayName, display_name.clone())],
    );
    let Some(user) = request::current_user() else {
        return Err(reply.failure(AppError::NotSignedIn));
    };
    match request::accounts()?
        .update_display_name(user.id, &display_name, &request::client())
        .await
    {
        Ok(user) => {
            reply.success("/profile");
            Ok(Profile::from(&user))
        }
        Err(error) => Err(reply.failure(error)),
    }
}

impl FromFields for UpdateDisplayName {
    fn from_fields(fields: &Fields) -> Self {
        Self {
            display_name: fields.text(Field::DisplayName.name()),
        }
    }
}

/// `POST /api/profile/activity`: the signed-in user's last ten security
/// events (log-ins, failed attempts, changes), newest first. 401 when not
/// signed in.
#[server(prefix = "/api/profile", endpoint = "activity", output = JsonAnswer)]
pub async fn recent_activity() -> Result<Vec<Activity>, AppError> {
    use crate::accounts::{audit::Actor, Event};
    use crate::context::request;

    let user = request::current_user().ok_or(AppError::NotSignedIn)?;
    let entries = match request::activity_alongside() {
        Some(entries) => entries,
        None => request::accounts()?.recent_activity(user.id).await?,
    };
    Ok(entries
        .into_iter()
        .map(|entry| {
            // The operator's own login and command are not the user's to see.
            let by_operator = entry.actor == Actor::Operator.code();
            Activity {
                at: crate::time::utc_date_time(entry.at),
                what: Event::describe(&entry.kind).to_owned(),
                ip: if by_operator {
                    "by the site's operator".to_owned()
                } else {
                    entry.ip
                },
                device: if by_operator {
                    String::new()
                } else {
                    entry.user_agent
                },
            }
        })
        .collect())
}
