//! What a user changes about how the product shows them.

use super::{audit, sql::internal, Accounts, Client, Event, User};
use crate::{error::AppError, time::now, validation::check_display_name};

impl Accounts {
    /// Changes what the user is called across the product.
    pub async fn update_display_name(
        &self,
        user_id: i64,
        display_name: &str,
        client: &Client,
    ) -> Result<User, AppError> {
        let display_name = check_display_name(display_name).map_err(AppError::invalid)?;
        let bucket = self.limits.profile_bucket();
        self.take(&format!("profile:{user_id}"), bucket, Some(user_id), client)
            .await?;
        let user = sqlx::query_as::<_, User>(
            "UPDATE users SET display_name = $1, updated_at = $3 \
             WHERE id = $2 RETURNING id, email, display_name, created_at, email_verified_at",
        )
        .bind(display_name)
        .bind(user_id)
        .bind(now())
        .fetch_optional(&self.db)
        .await
        .map_err(|error| internal("update display name", error))?
        .ok_or(AppError::NotSignedIn)?;
        audit::record(&self.db, Event::ProfileChanged, Some(user_id), client).await;
        Ok(user)
    }
}
