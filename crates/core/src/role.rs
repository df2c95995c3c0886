//! Workspace roles and what each may do, decided in one place.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in a workspace, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

/// What an action needs. Routes declare one of these; `Role::allows` is the only check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read anything in the workspace.
    Read,
    /// Create and change prospecting data (contacts, campaigns, messages).
    Write,
    /// Change workspace settings, members, invitations and tokens.
    Manage,
    /// Delete the workspace or transfer ownership.
    Own,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// Whether this role may perform an action needing `p`.
    pub fn allows(self, p: Permission) -> bool {
        let needed = match p {
            Permission::Read => 0,
            Permission::Write => 1,
            Permission::Manage => 2,
            Permission::Own => 3,
        };
        self.rank() >= needed
    }

    /// Whether a member with this role may grant `other` (nobody grants above themselves).
    pub fn can_grant(self, other: Role) -> bool {
        self.allows(Permission::Manage) && self.rank() >= other.rank()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of owner, admin, member, viewer.
#[derive(Debug, thiserror::Error)]
#[error("unknown role '{0}': expected owner, admin, member or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_reads_only() {
        assert!(Role::Viewer.allows(Permission::Read));
        assert!(!Role::Viewer.allows(Permission::Write));
        assert!(!Role::Viewer.allows(Permission::Manage));
    }

    #[test]
    fn admin_manages_but_does_not_own() {
        assert!(Role::Admin.allows(Permission::Manage));
        assert!(!Role::Admin.allows(Permission::Own));
        assert!(Role::Owner.allows(Permission::Own));
    }

    #[test]
    fn grants_never_exceed_own_role() {
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::Member.can_grant(Role::Viewer));
    }

    #[test]
    fn parses_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().ok(), Some(r));
        }
        assert!("boss".parse::<Role>().is_err());
    }
}
