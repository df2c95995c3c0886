//! Outbound (and later inbound) channel providers. A provider never touches the database:
//! it takes plain data from the app layer and returns what the provider said.

pub mod email;
pub mod sms;
pub mod webhooks;
pub mod whatsapp;
