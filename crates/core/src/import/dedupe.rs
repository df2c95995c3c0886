//! De-duplication keys and the in-file de-duplicator.
//!
//! A row is a duplicate of an earlier one when its **contact** shares an email or phone
//! (WhatsApp numbers count as phones) with an earlier row; a row without a contact key is a
//! duplicate when its **company** shares a (non-platform) website domain or company phone.
//! Two people at the same company are therefore two contacts of one company, not duplicates.
//! A contact with a name but no email or phone is keyed by name within its company, so that
//! importing the same file twice creates nothing new.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::row::ImportRow;

/// A value that identifies a contact or company across rows and against the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DedupeKey {
    /// Canonical email of the contact.
    Email(String),
    /// E.164 phone or WhatsApp of the contact.
    Phone(String),
    /// Registrable domain of the company website.
    Domain(String),
    /// E.164 phone of a company (business listings without a person).
    CompanyPhone(String),
    /// Lower-cased "company|full name" for contacts with no email or phone.
    Person(String),
}

impl DedupeKey {
    /// True for keys that identify the contact (as opposed to its company).
    pub fn is_contact_key(&self) -> bool {
        matches!(
            self,
            DedupeKey::Email(_) | DedupeKey::Phone(_) | DedupeKey::Person(_)
        )
    }

    /// The key's value ("a@b.com", "+4930...", "acme.com").
    pub fn value(&self) -> &str {
        match self {
            DedupeKey::Email(v)
            | DedupeKey::Phone(v)
            | DedupeKey::Domain(v)
            | DedupeKey::CompanyPhone(v)
            | DedupeKey::Person(v) => v,
        }
    }

    /// A 64-bit fingerprint used by [`Deduper`] (stable within one process).
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        std::mem::discriminant(self).hash(&mut h);
        self.value().hash(&mut h);
        h.finish()
    }
}

/// Every key of a row: contact keys first, then company keys.
pub fn dedupe_keys(row: &ImportRow) -> Vec<DedupeKey> {
    let mut keys = Vec::new();
    if let Some(c) = &row.contact {
        if let Some(e) = &c.email {
            keys.push(DedupeKey::Email(e.as_str().to_string()));
        }
        for p in [&c.phone, &c.whatsapp].into_iter().flatten() {
            let k = DedupeKey::Phone(p.as_str().to_string());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if keys.is_empty()
            && let Some(name) = &c.full_name
        {
            let company = row
                .company
                .as_ref()
                .and_then(|co| {
                    co.website
                        .as_ref()
                        .map(|w| w.domain().to_string())
                        .or_else(|| co.name.as_ref().map(|n| n.to_lowercase()))
                })
                .unwrap_or_default();
            keys.push(DedupeKey::Person(format!(
                "{company}|{}",
                name.to_lowercase()
            )));
        }
    }
    if let Some(co) = &row.company {
        if let Some(w) = co.website.as_ref().filter(|w| !w.is_shared_host()) {
            keys.push(DedupeKey::Domain(w.domain().to_string()));
        }
        if let Some(p) = &co.phone {
            keys.push(DedupeKey::CompanyPhone(p.as_str().to_string()));
        }
    }
    keys
}

/// Keys are already hashes: hash them with the identity.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Remembers the keys seen in one file as 64-bit fingerprints: about 20 bytes per key, so a
/// million rows with two keys each take roughly 40 MB at worst. A fingerprint collision
/// (probability ~1e-7 at that size) would report a false duplicate.
#[derive(Default)]
pub struct Deduper {
    seen: HashSet<u64, BuildHasherDefault<IdentityHasher>>,
}

impl Deduper {
    /// An empty de-duplicator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pre-sizes for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Deduper {
            seen: HashSet::with_capacity_and_hasher(rows.saturating_mul(2), Default::default()),
        }
    }

    /// Records the row's keys and returns the key that makes it a duplicate of an earlier
    /// row, if any (see the module doc for which keys count).
    pub fn observe(&mut self, row: &ImportRow) -> Option<DedupeKey> {
        let dup = self.duplicate_of(row);
        self.remember(row);
        dup
    }

    /// The key that makes `row` a duplicate of a remembered row, without remembering it.
    pub fn duplicate_of(&self, row: &ImportRow) -> Option<DedupeKey> {
        let keys = dedupe_keys(row);
        let has_contact_key = keys.iter().any(DedupeKey::is_contact_key);
        keys.iter()
            .filter(|k| k.is_contact_key() == has_contact_key)
            .find(|k| self.seen.contains(&k.fingerprint()))
            .cloned()
    }

    /// Remember the row's keys.
    pub fn remember(&mut self, row: &ImportRow) {
        for k in dedupe_keys(row) {
            self.seen.insert(k.fingerprint());
        }
    }

    /// Number of distinct keys remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing was observed.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}
