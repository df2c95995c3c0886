//! Parse-don't-validate types for the values that arrive from outside (CSV, forms, APIs):
//! each `parse` returns a canonical value or a typed error whose `Display` is a short human
//! reason prefixed with the field ("email: missing @", "phone: too short for DE").
//!
//! Everything here is pure and never panics on any input.

pub mod country;
pub mod email;
pub mod name;
pub mod phone;
pub mod tags;
pub mod text;
pub mod website;

pub use country::{CountryCode, CountryError, to_iso2};
pub use email::{Email, EmailError};
pub use name::{normalize_name, split_full_name};
pub use phone::{PhoneE164, PhoneError};
pub use tags::split_tags;
pub use website::{Website, WebsiteError};
