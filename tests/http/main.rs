//! Black-box tests over HTTP: each test starts the real router on a free
//! loopback port with its own throwaway SQLite file. `facade` drives the
//! `Accounts` domain directly, on the same kind of database.

mod support;

mod abuse;
mod accounts;
mod admin;
mod authenticator;
mod database;
mod deployment;
mod email;
mod external;
mod facade;
mod health;
mod issuer;
mod limits;
mod login_link;
mod mail_server;
mod operating;
mod pages;
mod passkeys;
mod plain_forms;
mod public_pages;
mod security;
mod settings;
mod shutdown;
mod two_factor;
