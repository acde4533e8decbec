//! `GET /healthz` tells whether the database answers.

use crate::support::TestApp;

#[tokio::test]
async fn healthy_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.trim(), "ok");
}

#[tokio::test]
async fn unavailable_when_the_database_does_not_answer() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, 503);
    assert!(!reply.body.contains("sqlx"), "no internals: {}", reply.body);
}
