//! Shared by the WhatsApp test binaries: the protocols examples and the stand-in.

#![allow(dead_code)]

pub mod examples;
pub mod stub;
