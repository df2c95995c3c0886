//! The one thing the app calls to send an email, whichever provider the sender uses.
//!
//! An enum rather than a trait object: the set of providers is closed and known here, the
//! app stores one per sender, and matching keeps provider-specific steps (DKIM for SMTP) in
//! one visible place.

use std::sync::Arc;

use tracing::Instrument;

use super::dkim::DkimSigner;
use super::error::{Accepted, SendError};
use super::message::{OutgoingEmail, build_message};
use super::resend::ResendSender;
use super::sandbox::SandboxSender;
use super::sendgrid::SendGridSender;
use super::smtp::SmtpSender;

#[derive(Debug, Clone)]
pub enum EmailTransport {
    /// SMTP; when `dkim` is set, every message is signed before it is sent.
    Smtp {
        sender: SmtpSender,
        dkim: Option<Arc<DkimSigner>>,
    },
    /// SendGrid signs with the account's authenticated domain itself.
    SendGrid(SendGridSender),
    /// Resend signs with the verified domain itself.
    Resend(ResendSender),
    Sandbox(SandboxSender),
}

impl EmailTransport {
    pub fn smtp(sender: SmtpSender, dkim: Option<DkimSigner>) -> Self {
        EmailTransport::Smtp {
            sender,
            dkim: dkim.map(Arc::new),
        }
    }

    /// A short provider name for logs, metrics and the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            EmailTransport::Smtp { .. } => "smtp",
            EmailTransport::SendGrid(_) => "sendgrid",
            EmailTransport::Resend(_) => "resend",
            EmailTransport::Sandbox(_) => "sandbox",
        }
    }

    /// Sends one email. The envelope sender for SMTP is the From address.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<Accepted, SendError> {
        let span = tracing::debug_span!("email_send", provider = self.kind(), message_id = %email.message_id);
        self.send_inner(email).instrument(span).await
    }

    async fn send_inner(&self, email: &OutgoingEmail) -> Result<Accepted, SendError> {
        match self {
            EmailTransport::Smtp { sender, dkim } => {
                let raw = build_message(email)?;
                let raw = match dkim {
                    Some(signer) => signer.sign(&raw)?,
                    None => raw,
                };
                sender.send(&email.from_email, &email.to_email, &raw).await
            }
            EmailTransport::SendGrid(s) => s.send(email).await,
            EmailTransport::Resend(s) => s.send(email).await,
            EmailTransport::Sandbox(s) => s.send(email).await,
        }
    }

    /// A cheap check that the account works (the "test connection" action).
    pub async fn test_connection(&self) -> Result<String, SendError> {
        match self {
            EmailTransport::Smtp { sender, dkim } => {
                let mut report = sender.test_connection().await?;
                if let Some(d) = dkim {
                    report.push_str(&format!(
                        "; DKIM signing as {} (selector {})",
                        d.domain(),
                        d.selector()
                    ));
                }
                Ok(report)
            }
            EmailTransport::SendGrid(s) => s.test_connection().await,
            EmailTransport::Resend(s) => s.test_connection().await,
            EmailTransport::Sandbox(s) => s.test_connection().await,
        }
    }
}
