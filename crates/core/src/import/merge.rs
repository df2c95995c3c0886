//! What to do when an incoming row matches an existing company or contact.

use std::fmt;
use std::str::FromStr;

use super::row::{CompanyDraft, ContactDraft, ImportRow, Location};

/// The per-import duplicate policy (`--on-duplicate skip|fill|overwrite`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Keep the existing record untouched.
    #[default]
    Skip,
    /// Set only the fields the existing record lacks.
    Fill,
    /// Replace fields with every non-empty incoming value (empty incoming values never erase).
    Overwrite,
}

impl OnDuplicate {
    /// "skip", "fill" or "overwrite".
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Skip => "skip",
            OnDuplicate::Fill => "fill",
            OnDuplicate::Overwrite => "overwrite",
        }
    }
}

impl fmt::Display for OnDuplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown `--on-duplicate` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--on-duplicate: expected skip, fill or overwrite, got '{0}'")]
pub struct OnDuplicateError(pub String);

impl FromStr for OnDuplicate {
    type Err = OnDuplicateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "skip" => Ok(OnDuplicate::Skip),
            "fill" => Ok(OnDuplicate::Fill),
            "overwrite" => Ok(OnDuplicate::Overwrite),
            _ => Err(OnDuplicateError(s.to_string())),
        }
    }
}

/// Field-wise merging of drafts under a policy.
pub trait Merge: Clone {
    /// Merges `incoming` into `self`; returns true when something changed.
    fn merge_from(&mut self, incoming: &Self, mode: OnDuplicate) -> bool;
}

/// Returns `existing` merged with `incoming` under `mode` (pure).
pub fn merge<T: Merge>(existing: &T, incoming: &T, mode: OnDuplicate) -> T {
    let mut out = existing.clone();
    out.merge_from(incoming, mode);
    out
}

/// Merge one optional value under `mode`; returns true when `dst` changed. An empty
/// incoming value never erases.
pub fn field<T: Clone + PartialEq>(
    dst: &mut Option<T>,
    src: &Option<T>,
    mode: OnDuplicate,
) -> bool {
    let Some(v) = src else { return false };
    let take = match mode {
        OnDuplicate::Skip => false,
        OnDuplicate::Fill => dst.is_none(),
        OnDuplicate::Overwrite => dst.as_ref() != Some(v),
    };
    if take {
        *dst = Some(v.clone());
    }
    take
}

impl Merge for Location {
    fn merge_from(&mut self, i: &Self, mode: OnDuplicate) -> bool {
        let mut c = field(&mut self.address, &i.address, mode);
        c |= field(&mut self.city, &i.city, mode);
        c |= field(&mut self.region, &i.region, mode);
        c |= field(&mut self.postal_code, &i.postal_code, mode);
        c |= field(&mut self.country, &i.country, mode);
        c
    }
}

impl Merge for CompanyDraft {
    fn merge_from(&mut self, i: &Self, mode: OnDuplicate) -> bool {
        let mut c = field(&mut self.name, &i.name, mode);
        c |= field(&mut self.website, &i.website, mode);
        c |= field(&mut self.phone, &i.phone, mode);
        c |= field(&mut self.category, &i.category, mode);
        c |= field(&mut self.rating_tenths, &i.rating_tenths, mode);
        c |= field(&mut self.review_count, &i.review_count, mode);
        c |= self.location.merge_from(&i.location, mode);
        c
    }
}

impl Merge for ContactDraft {
    fn merge_from(&mut self, i: &Self, mode: OnDuplicate) -> bool {
        let mut c = field(&mut self.email, &i.email, mode);
        c |= field(&mut self.phone, &i.phone, mode);
        c |= field(&mut self.whatsapp, &i.whatsapp, mode);
        c |= field(&mut self.first_name, &i.first_name, mode);
        c |= field(&mut self.last_name, &i.last_name, mode);
        c |= field(&mut self.full_name, &i.full_name, mode);
        c |= field(&mut self.job_title, &i.job_title, mode);
        c |= self.location.merge_from(&i.location, mode);
        c
    }
}

impl<T: Merge> Merge for Option<T> {
    fn merge_from(&mut self, i: &Self, mode: OnDuplicate) -> bool {
        match (self.as_mut(), i) {
            (_, None) => false,
            (Some(d), Some(s)) => d.merge_from(s, mode),
            (None, Some(s)) if mode != OnDuplicate::Skip => {
                *self = Some(s.clone());
                true
            }
            (None, Some(_)) => false,
        }
    }
}

impl Merge for ImportRow {
    /// Drafts merge field by field; tags are unioned (fill and overwrite), custom fields
    /// follow the policy per key, notes are filled or replaced like any field.
    fn merge_from(&mut self, i: &Self, mode: OnDuplicate) -> bool {
        if mode == OnDuplicate::Skip {
            return false;
        }
        let mut c = self.company.merge_from(&i.company, mode);
        c |= self.contact.merge_from(&i.contact, mode);
        for (k, v) in &i.custom {
            let take = match self.custom.get(k) {
                None => true,
                Some(old) => mode == OnDuplicate::Overwrite && old != v,
            };
            if take {
                self.custom.insert(k.clone(), v.clone());
                c = true;
            }
        }
        let before = self.tags.len();
        crate::normalize::tags::merge_tags(&mut self.tags, &i.tags);
        c |= self.tags.len() != before;
        c |= field(&mut self.notes, &i.notes, mode);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(first: Option<&str>, title: Option<&str>) -> ContactDraft {
        ContactDraft {
            first_name: first.map(String::from),
            job_title: title.map(String::from),
            ..ContactDraft::default()
        }
    }

    #[test]
    fn policies() {
        let existing = contact(Some("Ann"), None);
        let incoming = contact(Some("Anna"), Some("CEO"));
        assert_eq!(merge(&existing, &incoming, OnDuplicate::Skip), existing);
        assert_eq!(
            merge(&existing, &incoming, OnDuplicate::Fill),
            contact(Some("Ann"), Some("CEO"))
        );
        assert_eq!(
            merge(&existing, &incoming, OnDuplicate::Overwrite),
            incoming
        );
        // Empty incoming values never erase.
        let sparse = contact(None, None);
        assert_eq!(merge(&incoming, &sparse, OnDuplicate::Overwrite), incoming);
    }

    #[test]
    fn parse_policy() {
        assert_eq!("Fill".parse::<OnDuplicate>(), Ok(OnDuplicate::Fill));
        assert_eq!(
            " overwrite ".parse::<OnDuplicate>(),
            Ok(OnDuplicate::Overwrite)
        );
        assert_eq!(
            "merge".parse::<OnDuplicate>().unwrap_err().to_string(),
            "--on-duplicate: expected skip, fill or overwrite, got 'merge'"
        );
    }
}
