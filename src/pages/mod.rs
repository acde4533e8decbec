//! One module per route.

pub mod cancel_email_change;
pub mod confirm_email;
pub mod external_sign_in;
pub mod forgot_password;
pub mod home;
pub mod login;
pub mod login_code;
pub mod login_link;
pub mod not_found;
pub mod profile;
pub mod reset_password;
pub mod settings;
pub mod signup;
pub mod verify_email;
