//! The account's recovery codes in storage: a new set, how many are left,
//! and spending one. Only each code's SHA-256 is kept (see [`super::totp`]).

use sqlx::{AnyConnection, AnyPool};

use super::{sql::internal, totp};
use crate::error::AppError;

/// Replaces the account's recovery codes with new ones; returns them.
pub async fn replace(
    tx: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(|error| internal("retire recovery codes", error))?;
    let codes = totp::new_recovery_codes();
    for code in &codes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(totp::recovery_code_digest(code).unwrap_or_default())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|error| internal("store recovery code", error))?;
    }
    Ok(codes)
}

/// How many of the account's recovery codes are unused.
pub async fn left(db: &AnyPool, user_id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(db)
        .await
        .map_err(|error| internal("count recovery codes", error))
}

/// Marks `code` used, if it is one of the account's unused codes.
pub async fn spend(
    tx: &mut AnyConnection,
    user_id: i64,
    code: &str,
    now: i64,
) -> Result<bool, AppError> {
    let Some(digest) = totp::recovery_code_digest(code) else {
        return Ok(false);
    };
    let spent = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 \
         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(digest)
    .execute(&mut *tx)
    .await
    .map_err(|error| internal("spend recovery code", error))?;
    Ok(spent.rows_affected() == 1)
}
