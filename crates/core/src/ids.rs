//! Typed ids. A `WorkspaceId` can only be obtained from an authenticated membership or a
//! trusted lookup, and every tenant query in `store` takes one, so an unscoped tenant query
//! does not compile.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database value.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A tenant: one customer business. Required by every tenant query.
    WorkspaceId
);
id_type!(
    /// A person who can log in.
    UserId
);
id_type!(
    /// A queued unit of background work.
    JobId
);
id_type!(
    /// An API token row (never the secret itself).
    TokenId
);
id_type!(
    /// A business being prospected.
    CompanyId
);
id_type!(
    /// A person or generic inbox, at a company or standing alone.
    ContactId
);
id_type!(
    /// One CSV import run.
    ImportId
);
