//! Outbound email: building messages, DKIM, and the providers that take them (SMTP,
//! SendGrid, Resend, and an in-memory sandbox), behind [`EmailTransport`].

pub mod dkim;
mod error;
mod http;
pub mod message;
pub mod resend;
pub mod sandbox;
pub mod sendgrid;
pub mod smtp;
mod transport;

pub use dkim::{DkimError, DkimSigner, GeneratedDkimKey};
pub use error::{Accepted, SendError};
pub use message::{ListUnsubscribe, MessageError, OutgoingEmail, build_message, build_message_at};
pub use resend::ResendSender;
pub use sandbox::{SandboxMessage, SandboxSender};
pub use sendgrid::SendGridSender;
pub use smtp::{SmtpConfig, SmtpCredentials, SmtpSender, SmtpUrlError, TlsMode};
pub use transport::EmailTransport;
