//! Quiet hours for WhatsApp and SMS broadcasts: no marketing message lands on a phone at
//! night in the recipient's time zone (from the contact's country, region or number; the
//! workspace's zone when none is known). A broadcast message that would arrive inside them
//! is scheduled for the end of the quiet hours instead. Campaign steps follow their
//! campaign's own sending window; a one-off message a person sends from the page or the CLI
//! goes at once (they chose to send it now).

use crate::{App, AppError, AppResult, WsCtx};
use prospector_core::outreach::{SendWindow, Zone, next_allowed, timezone_for};
use prospector_core::role::Permission;
use prospector_store::WorkspaceId;
use prospector_store::contacts::Contact;
use serde::{Deserialize, Serialize};

/// The settings section key (`workspaces.settings` → `quiet_hours`).
const SECTION: &str = "quiet_hours";

/// When broadcasts hold messages back, local time of the recipient. On by default,
/// 21:00 to 08:00 (a common legal and courtesy limit for marketing messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QuietHours {
    pub enabled: bool,
    /// `HH:MM`: quiet from here...
    pub start: String,
    /// ...until here (may be the next morning).
    pub end: String,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            enabled: true,
            start: "21:00".into(),
            end: "08:00".into(),
        }
    }
}

impl QuietHours {
    /// The hours messages may go out, as a sending window (its start is the end of the
    /// quiet hours), in `zone`.
    fn window(&self, zone: &str) -> AppResult<SendWindow> {
        const ALL: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        SendWindow::parse(zone, ALL, &self.end, &self.start)
            .map_err(|e| AppError::invalid("quiet_hours", e.to_string()))
    }

    fn check(&self) -> AppResult<()> {
        crate::outreach::spec::parse_hhmm("start", &self.start)?;
        crate::outreach::spec::parse_hhmm("end", &self.end)?;
        if self.start.trim() == self.end.trim() {
            return Err(AppError::invalid(
                "end",
                "quiet hours need a different start and end",
            ));
        }
        self.window("UTC").map(|_| ())
    }
}

/// The workspace's quiet hours.
pub async fn of(app: &App, ws: WorkspaceId) -> AppResult<QuietHours> {
    let v = prospector_store::settings::get_section(app.db(), ws, SECTION).await?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// For members.
pub async fn get(app: &App, ctx: &WsCtx) -> AppResult<QuietHours> {
    of(app, ctx.ws).await
}

/// Change them (owners and admins), audited.
pub async fn update(app: &App, ctx: &WsCtx, q: QuietHours) -> AppResult<QuietHours> {
    ctx.require(Permission::Manage)?;
    let q = QuietHours {
        enabled: q.enabled,
        start: q.start.trim().to_string(),
        end: q.end.trim().to_string(),
    };
    q.check()?;
    let value = serde_json::to_value(&q).map_err(|e| AppError::Internal(e.to_string()))?;
    let before =
        prospector_store::settings::set_section(app.db(), ctx.ws, SECTION, Some(value.clone()))
            .await?;
    crate::audit::record(
        app,
        &ctx.actor,
        Some(ctx.ws),
        "messaging.quiet_hours_updated",
        "workspace",
        ctx.ws.0,
        before,
        Some(value),
    )
    .await?;
    Ok(q)
}

/// Plans broadcast send times for one workspace: the earliest time at or after `now` outside
/// the quiet hours in each recipient's zone.
pub struct Planner {
    window: Option<SendWindow>,
}

impl Planner {
    pub async fn load(app: &App, ws: WorkspaceId) -> AppResult<Planner> {
        let q = of(app, ws).await?;
        if !q.enabled {
            return Ok(Planner { window: None });
        }
        let zone = prospector_store::workspaces::get(app.db(), ws)
            .await?
            .time_zone;
        let window = q.window(&zone).or_else(|_| q.window("UTC"))?;
        Ok(Planner {
            window: Some(window),
        })
    }

    /// When a message to `contact` at `e164` may go out.
    pub fn send_at(&self, now: i64, contact: Option<&Contact>, e164: &str) -> i64 {
        let Some(w) = &self.window else {
            return now;
        };
        let zone = timezone_for(
            contact.and_then(|c| c.f.country.as_deref()),
            contact.and_then(|c| c.f.region.as_deref()),
            Some(e164),
        )
        .and_then(|z| Zone::parse(z).ok());
        next_allowed(now, w, zone.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn night_in_the_recipients_zone_waits_for_the_morning() {
        let p = Planner {
            window: Some(QuietHours::default().window("UTC").unwrap()),
        };
        // 2026-12-02 22:30 UTC: 23:30 in Berlin (quiet), 17:30 in New York (fine).
        let now = 1_796_250_600_000;
        let berlin = p.send_at(now, None, "+4930123456");
        let ny = p.send_at(now, None, "+12125550100");
        assert_eq!(ny, now);
        // 08:00 Berlin on 2026-12-03 is 07:00 UTC.
        assert_eq!(berlin, 1_796_281_200_000);
        let off = Planner { window: None };
        assert_eq!(off.send_at(now, None, "+4930123456"), now);
    }

    #[test]
    fn bad_hours_are_refused() {
        let q = QuietHours {
            start: "25:00".into(),
            ..Default::default()
        };
        assert!(q.check().is_err());
        let q = QuietHours {
            end: "21:00".into(),
            ..Default::default()
        };
        assert!(q.check().is_err());
        QuietHours::default().check().unwrap();
    }
}
