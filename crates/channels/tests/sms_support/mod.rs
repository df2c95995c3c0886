//! Shared by the SMS test binaries: the protocols examples and the stand-in (the same
//! generic stand-in the WhatsApp tests use).

#![allow(dead_code)]

pub mod examples;
#[path = "../whatsapp_support/stub.rs"]
pub mod stub;
