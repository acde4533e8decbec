//! The database is opened with the settings the product relies on, and the
//! migrations build the expected schema.

use leptos_accounts::server::db::{self, Backend};
use sqlx::Row;

use crate::support::{backend, fresh_database, TestApp};

#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    if backend() != Backend::Sqlite {
        return; // SQLite's per-connection settings
    }
    let app = TestApp::spawn().await;
    let mut conn = app.db.acquire().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
    let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(busy_timeout >= 1000, "busy timeout {busy_timeout} ms");
}

#[tokio::test]
async fn database_file_and_its_directory_are_created_on_first_start() {
    if backend() != Backend::Sqlite {
        return; // an SQLite file
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/data/accounts.db");
    let pool = db::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert!(file.exists());
    pool.close().await;
}

#[tokio::test]
async fn reopening_an_existing_database_keeps_its_rows() {
    let app = TestApp::spawn().await;
    sqlx::query("INSERT INTO users (email, email_key, password_hash) VALUES ('a@example.com', 'a@example.com', 'x')")
        .execute(&app.db)
        .await
        .unwrap();
    let again = db::connect(&app.database_url).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&again)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn users_table_has_the_account_columns() {
    let app = TestApp::spawn().await;
    let columns: Vec<String> = sqlx::query(match backend() {
        Backend::Sqlite => "SELECT name FROM pragma_table_info('users')",
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'users'"
        }
    })
    .fetch_all(&app.db)
    .await
    .unwrap()
    .iter()
    .map(|row| row.get("name"))
    .collect();
    for column in [
        "id",
        "email",
        "email_key",
        "password_hash",
        "display_name",
        "created_at",
        "updated_at",
    ] {
        assert!(columns.iter().any(|c| c == column), "missing {column}");
    }
}

#[tokio::test]
async fn email_key_is_unique_and_lower_case() {
    let app = TestApp::spawn().await;
    let insert = "INSERT INTO users (email, email_key, password_hash) VALUES ($1, $2, 'x')";
    sqlx::query(insert)
        .bind("Ada@Example.com")
        .bind("ada@example.com")
        .execute(&app.db)
        .await
        .unwrap();
    let duplicate = sqlx::query(insert)
        .bind("ADA@example.COM")
        .bind("ada@example.com")
        .execute(&app.db)
        .await
        .unwrap_err();
    assert!(
        duplicate
            .as_database_error()
            .is_some_and(|error| error.is_unique_violation()),
        "{duplicate}"
    );
    let upper_key = sqlx::query(insert)
        .bind("Bob@example.com")
        .bind("Bob@example.com")
        .execute(&app.db)
        .await;
    assert!(upper_key.is_err(), "an upper-case key must be refused");
}

#[tokio::test]
async fn accounts_made_under_the_old_email_rule_are_rekeyed_and_collisions_reported() {
    let app = TestApp::spawn().await;
    // Rows as the lower-casing rule (version 1) left them.
    for (email, key) in [
        ("Zo\u{00eb}@Example.com", "zo\u{00eb}@example.com"), // 1: NFC
        ("ZOE\u{0308}@example.com", "zoe\u{0308}@example.com"), // 2: NFD, same address
        ("STRASSE@Beispiel.de", "strasse@beispiel.de"),       // 3
        ("grace@EXÄMPLE.com", "grace@exämple.com"),           // 4: IDNA domain
    ] {
        sqlx::query(
            "INSERT INTO users (email, email_key, password_hash, email_key_version) VALUES ($1, $2, 'x', 1)",
        )
        .bind(email)
        .bind(key)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let collisions = db::rekey_emails(&app.db).await.unwrap();
    assert_eq!(
        collisions,
        [db::Collision {
            kept: 1,
            unchanged: 2
        }]
    );
    let rows: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, email, email_key, email_key_version FROM users ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (
                1,
                "Zo\u{00eb}@example.com".into(),
                "zo\u{00eb}@example.com".into(),
                2
            ),
            (
                2,
                "ZOE\u{0308}@example.com".into(),
                "zoe\u{0308}@example.com".into(),
                1
            ),
            (
                3,
                "STRASSE@beispiel.de".into(),
                "strasse@beispiel.de".into(),
                2
            ),
            (
                4,
                "grace@exämple.com".into(),
                "grace@xn--exmple-cua.com".into(),
                2
            ),
        ]
    );
    // Run again (every start does): the same collision, nothing else.
    assert_eq!(db::rekey_emails(&app.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn instances_starting_at_once_apply_the_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    // Four instances open the new, empty database at the same moment.
    let opened = futures_join_all((0..4).map(|_| {
        let url = url.clone();
        async move { db::connect(&url).await }
    }))
    .await;
    for pool in &opened {
        assert!(pool.is_ok(), "{:?}", pool.as_ref().err());
    }
    let pool = opened.into_iter().next().unwrap().unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    let expected = match backend() {
        Backend::Sqlite => db::SQLITE_MIGRATOR.iter().count(),
        Backend::Postgres => db::POSTGRES_MIGRATOR.iter().count(),
    };
    assert_eq!(applied, expected as i64);
}

/// Runs the futures at once and waits for all of them.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}
