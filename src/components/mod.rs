//! Reusable view pieces shared by the pages.

pub mod account;
pub mod external;
pub mod field;
pub mod form;
pub mod head;
pub mod layout;
pub mod passkey;
