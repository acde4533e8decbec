//! The database is opened with the settings the product relies on, and the
//! migrations build the expected schema.

use leptos_accounts::server::db;
use sqlx::Row;

use crate::support::TestApp;

#[tokio::test]
async fn connection_uses_wal_foreign_keys_and_a_busy_timeout() {
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
    let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('users')")
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
    let insert = "INSERT INTO users (email, email_key, password_hash) VALUES (?, ?, 'x')";
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
            "INSERT INTO users (email, email_key, password_hash, email_key_version) VALUES (?, ?, 'x', 1)",
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
