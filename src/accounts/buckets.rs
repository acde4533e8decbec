//! Token buckets, kept in the database so that every instance spends from
//! the same ones: per client network on the authentication endpoints, per
//! account on profile changes, per recipient on mail. A bucket is read,
//! refilled and spent in one statement, so parallel requests cannot take
//! more than it holds.

use std::net::{IpAddr, Ipv6Addr};

use sqlx::AnyPool;

use super::{
    limits::{internal, LimitError, RateLimits, Refused},
    sql::Backend,
};

/// What a token bucket holds: its burst and its refill rate.
#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    pub burst: u32,
    pub per_minute: u32,
}

/// The bucket key of a client address: IPv4 (and IPv4-mapped IPv6) by
/// address, other IPv6 by /64 prefix.
pub fn network_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("ip:{}/64", Ipv6Addr::from(prefix))
            }
        },
    }
}

impl RateLimits {
    pub fn auth_bucket(&self) -> Bucket {
        Bucket {
            burst: self.ip_burst,
            per_minute: self.ip_per_minute,
        }
    }

    pub fn profile_bucket(&self) -> Bucket {
        Bucket {
            burst: self.profile_burst,
            per_minute: self.profile_per_minute,
        }
    }

    /// Takes one request from `key`'s bucket, or says how long to wait.
    /// One UPSERT, so concurrent requests cannot both take the last token.
    pub async fn take(
        &self,
        db: &AnyPool,
        key: &str,
        bucket: Bucket,
        now: f64,
    ) -> Result<(), LimitError> {
        let capacity = f64::from(bucket.burst.max(1));
        let per_second = f64::from(bucket.per_minute.max(1)) / 60.0;
        let (tokens, allowed, refusals) =
            take_token(db, Backend::of(db), key, capacity, per_second, now)
                .await
                .map_err(|error| LimitError::Internal(internal("rate limit", error)))?;
        if allowed {
            Ok(())
        } else {
            // Round up and never promise less than a second.
            let retry_after = ((1.0 - tokens) / per_second).ceil().max(1.0) as u64;
            Err(LimitError::Refused(Refused {
                retry_after,
                capped: false,
                first_in_window: refusals == 1,
            }))
        }
    }
}

/// Takes one token from `key`'s bucket (holding up to `capacity`, refilled
/// at `per_second`) in one UPSERT; returns the tokens left, whether one was
/// taken, and the refusals in a row. Runs on a pool or inside a
/// transaction.
pub(super) async fn take_token<'e, E>(
    db: E,
    backend: Backend,
    key: &str,
    capacity: f64,
    per_second: f64,
    now: f64,
) -> Result<(f64, bool, i64), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // The refilled bucket, min(capacity, tokens + elapsed × rate), in
    // each database's spelling of a two-argument minimum.
    macro_rules! take_sql {
        ($least:literal) => {
            concat!(
                "INSERT INTO rate_buckets (key, tokens, updated_at, last_allowed, refusals) \
                 VALUES ($1, $2 - 1, $3, 1, 0) \
                 ON CONFLICT (key) DO UPDATE SET \
                   tokens = CASE WHEN ",
                $least,
                "($2, rate_buckets.tokens + ($3 - rate_buckets.updated_at) * $4) >= 1 \
                                 THEN ",
                $least,
                "($2, rate_buckets.tokens + ($3 - rate_buckets.updated_at) * $4) - 1 \
                                 ELSE ",
                $least,
                "($2, rate_buckets.tokens + ($3 - rate_buckets.updated_at) * $4) END, \
                   last_allowed = CASE WHEN ",
                $least,
                "($2, rate_buckets.tokens + ($3 - rate_buckets.updated_at) * $4) >= 1 \
                                       THEN 1 ELSE 0 END, \
                   refusals = CASE WHEN ",
                $least,
                "($2, rate_buckets.tokens + ($3 - rate_buckets.updated_at) * $4) >= 1 \
                                   THEN 0 ELSE rate_buckets.refusals + 1 END, \
                   updated_at = $3 \
                 RETURNING tokens, last_allowed, refusals"
            )
        };
    }
    let sql = match backend {
        Backend::Sqlite => take_sql!("min"),
        Backend::Postgres => take_sql!("LEAST"),
    };
    let (tokens, allowed, refusals): (f64, i64, i64) = sqlx::query_as(sql)
        .bind(key)
        .bind(capacity)
        .bind(now)
        .bind(per_second)
        .fetch_one(db)
        .await?;
    Ok((tokens, allowed != 0, refusals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_prefix() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(network_key(ip("203.0.113.7")), "ip:203.0.113.7");
        assert_eq!(network_key(ip("::ffff:203.0.113.7")), "ip:203.0.113.7");
        assert_eq!(
            network_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "ip:2001:db8:1:2::/64"
        );
        assert_eq!(
            network_key(ip("2001:db8:1:2::1")),
            network_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            network_key(ip("2001:db8:1:2::1")),
            network_key(ip("2001:db8:1:3::1"))
        );
    }
}
