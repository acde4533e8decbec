//! Black-box tests over HTTP: each test starts the real router on a free
//! loopback port with its own throwaway SQLite file.

mod support;

mod abuse;
mod accounts;
mod admin;
mod database;
mod deployment;
mod email;
mod health;
mod limits;
mod mail_server;
mod operating;
mod pages;
mod plain_forms;
mod security;
mod settings;
mod shutdown;
