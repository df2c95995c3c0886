//! The ideal customer profile (ICP): how one workspace weighs the five score factors, which
//! companies it targets, and where its tier cut-offs sit.
//!
//! A profile is plain data so the app can store it as JSON in the workspace settings and the
//! settings page can edit it; [`IcpProfile::validate`] is the single gate for user input.

use serde::{Deserialize, Serialize};

/// Largest weight one factor may carry. Weights are relative, so 100 is plenty and keeps the
/// integer arithmetic in [`super::score`] far away from overflow.
pub const MAX_WEIGHT: u8 = 100;

/// Relative weight of each factor. Only the ratios matter: a factor's maximum points are
/// `100 * weight / sum(weights)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// No website, a poor one, no TLS, not mobile-ready, stale.
    pub website_opportunity: u8,
    /// Rating and review count: an established, well-liked business can pay.
    pub reputation: u8,
    /// Can we reach a person: verified email, mobile/WhatsApp, socials, contact form.
    pub reachability: u8,
    /// Matches the profile's targets: category, location, size, minimum rating/reviews.
    pub fit: u8,
    /// Intent right now: new business, recent reviews, hiring, running ads.
    pub timing: u8,
}

impl Weights {
    /// Sum of all weights as `u32` (never overflows: five `u8`s).
    pub fn total(&self) -> u32 {
        u32::from(self.website_opportunity)
            + u32::from(self.reputation)
            + u32::from(self.reachability)
            + u32::from(self.fit)
            + u32::from(self.timing)
    }

    fn named(&self) -> [(&'static str, u8); 5] {
        [
            ("website_opportunity", self.website_opportunity),
            ("reputation", self.reputation),
            ("reachability", self.reachability),
            ("fit", self.fit),
            ("timing", self.timing),
        ]
    }
}

/// Which contact channel the workspace sells through; it shifts points inside the
/// reachability factor (a WhatsApp broadcaster cares about mobile numbers, not inboxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachChannel {
    Email,
    Phone,
    #[default]
    Any,
}

/// Who the workspace wants to sell to. Empty lists and `None` mean "no constraint".
/// Strings are compared case-insensitively after trimming; countries are ISO 3166 alpha-2
/// codes or names, whatever the company records carry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Targets {
    pub categories: Vec<String>,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub cities: Vec<String>,
    pub min_rating: Option<f32>,
    pub min_reviews: Option<u32>,
    pub min_employees: Option<u32>,
    pub max_employees: Option<u32>,
}

impl Targets {
    /// True when no target is set, i.e. every company fits.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.countries.is_empty()
            && self.regions.is_empty()
            && self.cities.is_empty()
            && self.min_rating.is_none()
            && self.min_reviews.is_none()
            && self.min_employees.is_none()
            && self.max_employees.is_none()
    }
}

/// Score thresholds: `value >= a` is tier A, `value >= b` is tier B, the rest is C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCutoffs {
    pub a: u8,
    pub b: u8,
}

/// One workspace's ideal customer profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcpProfile {
    /// Stable machine key: the preset it started from (`web_agency`, ...) or `custom`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// One or two sentences shown on the settings page.
    #[serde(default)]
    pub description: String,
    pub weights: Weights,
    #[serde(default)]
    pub targets: Targets,
    #[serde(default)]
    pub channel: ReachChannel,
    pub tiers: TierCutoffs,
}

/// Why a profile was refused. Messages are written for the settings page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IcpError {
    #[error("the profile needs a name")]
    EmptyName,
    #[error("weight for {factor} is {value}; weights go from 0 to {MAX_WEIGHT}")]
    WeightOutOfRange { factor: &'static str, value: u8 },
    #[error("at least one factor needs a weight above 0")]
    AllWeightsZero,
    #[error("tier cut-offs must be between 1 and 100 (got A {a}, B {b})")]
    CutoffOutOfRange { a: u8, b: u8 },
    #[error("tier A cut-off ({a}) must be higher than tier B cut-off ({b})")]
    CutoffOrder { a: u8, b: u8 },
    #[error("minimum rating must be between 0 and 5 (got {0})")]
    MinRating(f32),
    #[error("{field} contains an empty entry")]
    EmptyTarget { field: &'static str },
    #[error("minimum employees ({min}) is above maximum employees ({max})")]
    EmployeeRange { min: u32, max: u32 },
    #[error("invalid profile JSON: {0}")]
    Json(String),
}

impl IcpProfile {
    /// Checks every rule a stored profile must satisfy; returns the first problem found.
    pub fn validate(&self) -> Result<(), IcpError> {
        if self.name.trim().is_empty() || self.key.trim().is_empty() {
            return Err(IcpError::EmptyName);
        }
        for (factor, value) in self.weights.named() {
            if value > MAX_WEIGHT {
                return Err(IcpError::WeightOutOfRange { factor, value });
            }
        }
        if self.weights.total() == 0 {
            return Err(IcpError::AllWeightsZero);
        }
        let TierCutoffs { a, b } = self.tiers;
        if a == 0 || b == 0 || a > 100 || b > 100 {
            return Err(IcpError::CutoffOutOfRange { a, b });
        }
        if a <= b {
            return Err(IcpError::CutoffOrder { a, b });
        }
        let t = &self.targets;
        if let Some(r) = t.min_rating
            && !(r.is_finite() && (0.0..=5.0).contains(&r))
        {
            return Err(IcpError::MinRating(r));
        }
        for (field, list) in [
            ("categories", &t.categories),
            ("countries", &t.countries),
            ("regions", &t.regions),
            ("cities", &t.cities),
        ] {
            if list.iter().any(|s| s.trim().is_empty()) {
                return Err(IcpError::EmptyTarget { field });
            }
        }
        if let (Some(min), Some(max)) = (t.min_employees, t.max_employees)
            && min > max
        {
            return Err(IcpError::EmployeeRange { min, max });
        }
        Ok(())
    }

    /// Parses and validates a stored or submitted profile in one step.
    pub fn from_json(json: &str) -> Result<Self, IcpError> {
        let p: IcpProfile =
            serde_json::from_str(json).map_err(|e| IcpError::Json(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// Maximum points of each factor, in [`super::FACTOR_NAMES`] order: 100 split by weight
    /// with the largest-remainder method (ties to the earlier factor), so they sum to exactly
    /// 100 unless every weight is 0 (then all are 0).
    pub fn max_points(&self) -> [u8; 5] {
        let weights = self.weights.named().map(|(_, w)| u32::from(w));
        let total = self.weights.total();
        if total == 0 {
            return [0; 5];
        }
        let mut max = weights.map(|w| w * 100 / total);
        let mut order = [0usize, 1, 2, 3, 4];
        order.sort_by(|&i, &j| {
            ((weights[j] * 100) % total)
                .cmp(&((weights[i] * 100) % total))
                .then(i.cmp(&j))
        });
        let leftover = 100 - max.iter().sum::<u32>();
        for &i in order.iter().take(leftover as usize) {
            max[i] += 1;
        }
        max.map(|m| u8::try_from(m).unwrap_or(100))
    }

    /// The built-in starting points offered on the settings page and in onboarding.
    pub fn presets() -> Vec<IcpProfile> {
        vec![
            Self::preset_web_agency(),
            Self::preset_marketing_agency(),
            Self::preset_real_estate(),
            Self::preset_local_services(),
        ]
    }

    /// One preset by key (`web_agency`, `marketing_agency`, `real_estate`, `local_services`).
    pub fn preset(key: &str) -> Option<IcpProfile> {
        Self::presets().into_iter().find(|p| p.key == key)
    }

    fn preset_web_agency() -> IcpProfile {
        IcpProfile {
            key: "web_agency".into(),
            name: "Web agency".into(),
            description: "Sells websites and redesigns. Ranks first the well-reviewed businesses \
                          with no website or a weak, insecure or outdated one."
                .into(),
            weights: Weights {
                website_opportunity: 40,
                reputation: 20,
                reachability: 20,
                fit: 10,
                timing: 10,
            },
            targets: Targets::default(),
            channel: ReachChannel::Any,
            tiers: TierCutoffs { a: 70, b: 45 },
        }
    }

    fn preset_marketing_agency() -> IcpProfile {
        IcpProfile {
            key: "marketing_agency".into(),
            name: "Marketing agency".into(),
            description: "Sells ads, social media and campaigns. Favours businesses that are \
                          growing (hiring, new reviews, already paying for ads) and easy to reach."
                .into(),
            weights: Weights {
                website_opportunity: 15,
                reputation: 20,
                reachability: 25,
                fit: 15,
                timing: 25,
            },
            targets: Targets::default(),
            channel: ReachChannel::Any,
            tiers: TierCutoffs { a: 65, b: 40 },
        }
    }

    fn preset_real_estate() -> IcpProfile {
        IcpProfile {
            key: "real_estate".into(),
            name: "Real-estate office".into(),
            description: "Messages local owners by phone and WhatsApp. Location and a reachable \
                          mobile number matter most; the website hardly matters."
                .into(),
            weights: Weights {
                website_opportunity: 5,
                reputation: 15,
                reachability: 40,
                fit: 30,
                timing: 10,
            },
            targets: Targets::default(),
            channel: ReachChannel::Phone,
            tiers: TierCutoffs { a: 70, b: 45 },
        }
    }

    fn preset_local_services() -> IcpProfile {
        IcpProfile {
            key: "local_services".into(),
            name: "Local services".into(),
            description: "Sells a service to nearby businesses (cleaning, accounting, IT, \
                          supplies). Ranks by fit with your area and categories, then by how \
                          easy they are to reach."
                .into(),
            weights: Weights {
                website_opportunity: 10,
                reputation: 20,
                reachability: 30,
                fit: 30,
                timing: 10,
            },
            targets: Targets {
                min_reviews: Some(3),
                ..Targets::default()
            },
            channel: ReachChannel::Any,
            tiers: TierCutoffs { a: 65, b: 40 },
        }
    }
}

impl Default for IcpProfile {
    /// The web-agency preset: the most common user and a balanced default.
    fn default() -> Self {
        Self::preset_web_agency()
    }
}
