//! Outbound email: building messages, DKIM, and the providers that take them (SMTP,
//! SendGrid, Resend, and an in-memory sandbox), behind [`EmailTransport`].

pub mod dkim;
mod error;
pub mod events;
mod http;
pub mod imap;
pub mod message;
pub mod resend;
pub mod sandbox;
pub mod sendgrid;
pub mod smtp;
mod transport;

pub use dkim::{DkimError, DkimSigner, GeneratedDkimKey};
pub use error::{Accepted, SendError};
pub use events::{
    EmailEvent, EmailEventKind, EventError, EventProvider, SendGridVerifier, SvixHeaders,
    SvixVerifier, parse_resend, parse_sendgrid,
};
pub use imap::{
    Fetched, IdleOutcome, ImapClient, ImapConfig, ImapError, ImapUrlError, MailboxState, RawInbound,
};
pub use message::{ListUnsubscribe, MessageError, OutgoingEmail, build_message, build_message_at};
pub use resend::ResendSender;
pub use sandbox::{SandboxMessage, SandboxSender};
pub use sendgrid::SendGridSender;
pub use smtp::{SmtpConfig, SmtpCredentials, SmtpSender, SmtpUrlError, TlsMode};
pub use transport::EmailTransport;
