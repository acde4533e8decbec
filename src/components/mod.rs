//! Reusable view pieces shared by the pages.

pub mod field;
pub mod layout;
