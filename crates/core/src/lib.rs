//! Pure domain logic for Prospector: typed ids, roles, parsed domain values, normalisation,
//! CSV import planning, scoring and backoff. No I/O, no async, no database.

pub mod backoff;
pub mod ids;
pub mod import;
pub mod messaging;
pub mod normalize;
pub mod outreach;
pub mod role;
pub mod scoring;
pub mod search;
pub mod slug;
pub mod template;
pub mod time;
