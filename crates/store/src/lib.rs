//! The database. One `Db` handle over SQLite (embedded default) and PostgreSQL (scale-out),
//! the same SQL text for both, one module per aggregate. Every query that reads or writes
//! tenant data takes a [`WorkspaceId`]. No business rules live here.

pub mod ai_usage;
pub mod audit;
pub mod campaigns;
pub mod companies;
pub mod contacts;
pub mod conversations;
pub mod db;
pub mod enrollments;
pub mod error;
pub mod facts;
pub mod imports;
pub mod inbound;
pub mod invitations;
pub mod jobs;
pub mod login_attempts;
pub mod memberships;
pub mod messages;
pub mod messaging;
pub mod notifications;
pub mod query;
pub mod scores;
pub mod senders;
pub mod sessions;
pub mod settings;
pub mod suppressions;
pub mod tags;
pub mod templates;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod workspaces;

pub use db::{Backend, Db};
pub use error::StoreError;
pub use prospector_core::ids::{
    CompanyId, ContactId, ImportId, JobId, TokenId, UserId, WorkspaceId,
};

/// Result of a store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Typed ids of the outreach aggregates, like those of `prospector_core::ids`.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database value.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An email account or API that sends (SMTP, SendGrid, Resend, sandbox).
    SenderId
);
id_type!(
    /// A reusable subject and body.
    TemplateId
);
id_type!(
    /// An outreach campaign (`outreach_campaigns`).
    CampaignId
);
id_type!(
    /// One step of a campaign's sequence.
    StepId
);
id_type!(
    /// An A/B variant of a step.
    VariantId
);
id_type!(
    /// A contact in a campaign.
    EnrollmentId
);
id_type!(
    /// One row of the outbox (`messages`), not the RFC 5322 Message-ID header.
    MessageId
);
