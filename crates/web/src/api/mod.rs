//! The REST API under `/api/v1`: JSON, Bearer tokens scoped to one workspace, the error body
//! of [`crate::error::ErrorBody`], keyset pagination with `before`, and an OpenAPI 3.1
//! document generated from these handlers at `/api/v1/openapi.json`. Every route is registered
//! through `OpenApiRouter`, so the document (and the isolation test that walks it) always
//! lists every route.

pub mod account;
pub mod campaigns;
pub mod contacts;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod json;
pub mod members;
pub mod messages;
pub mod messaging;
pub mod quiet_hours;
pub mod scans;
pub mod scores;
pub mod senders;
pub mod sms;
pub mod templates;
pub mod tokens;
pub mod whatsapp;

use crate::AppState;
use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Prospector API", description = "Find, score and reach businesses; turn replies into leads."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every API route with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::me))
        .routes(routes!(account::workspaces))
        .routes(routes!(account::workspace, account::update_workspace))
        .routes(routes!(account::audit))
        .routes(routes!(members::list))
        .routes(routes!(members::get, members::update, members::remove))
        .routes(routes!(members::invitations, members::invite))
        .routes(routes!(members::revoke_invitation))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::get, tokens::revoke))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::retry))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::export))
        .routes(routes!(contacts::bulk))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(contacts::erase))
        .routes(routes!(contacts::notes, contacts::add_note))
        .routes(routes!(contacts::timeline))
        .routes(routes!(contacts::list_companies, contacts::create_company))
        .routes(routes!(contacts::export_companies))
        .routes(routes!(contacts::bulk_companies))
        .routes(routes!(
            contacts::get_company,
            contacts::update_company,
            contacts::delete_company
        ))
        .routes(routes!(contacts::company_timeline))
        .routes(routes!(imports::list, imports::create))
        .routes(routes!(imports::get))
        .routes(routes!(imports::cancel))
        .routes(routes!(imports::errors))
        .routes(routes!(imports::errors_csv))
        .routes(routes!(scans::scan_company))
        .routes(routes!(scans::scan_companies))
        .routes(routes!(scans::company_facts))
        .routes(routes!(scans::get_scan))
        .routes(routes!(scans::promote))
        .routes(routes!(scans::verify_email))
        .routes(routes!(scans::verify_emails))
        .routes(routes!(scans::get_scan_settings, scans::put_scan_settings))
        .routes(routes!(
            quiet_hours::get_quiet_hours,
            quiet_hours::put_quiet_hours
        ))
        .routes(routes!(scores::get_score, scores::rescore))
        .routes(routes!(scores::get_analysis, scores::analyze))
        .routes(routes!(scores::get_icp, scores::put_icp))
        .routes(routes!(scores::rescore_all))
        .routes(routes!(scores::get_ai_settings, scores::put_ai_settings))
        .routes(routes!(scores::test_ai))
        .routes(routes!(scores::ai_usage))
        .routes(routes!(senders::list, senders::create))
        .routes(routes!(senders::get, senders::update, senders::delete))
        .routes(routes!(senders::test))
        .routes(routes!(senders::pause))
        .routes(routes!(senders::resume))
        .routes(routes!(senders::dkim))
        .routes(routes!(senders::mailbox, senders::set_mailbox))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::preview))
        .routes(routes!(
            templates::get,
            templates::update,
            templates::delete
        ))
        .routes(routes!(campaigns::list, campaigns::create))
        .routes(routes!(
            campaigns::get,
            campaigns::update,
            campaigns::delete
        ))
        .routes(routes!(campaigns::start))
        .routes(routes!(campaigns::pause))
        .routes(routes!(campaigns::resume))
        .routes(routes!(campaigns::stop))
        .routes(routes!(campaigns::enroll))
        .routes(routes!(campaigns::status))
        .routes(routes!(campaigns::messages))
        .routes(routes!(campaigns::review))
        .routes(routes!(campaigns::test_send))
        .routes(routes!(messages::get, messages::edit))
        .routes(routes!(messages::replied))
        .routes(routes!(messages::retry))
        .routes(routes!(messages::of_contact))
        .routes(routes!(inbound::leads))
        .routes(routes!(inbound::conversations))
        .routes(routes!(inbound::conversation))
        .routes(routes!(inbound::reply))
        .routes(routes!(inbound::notifications))
        .routes(routes!(inbound::read_notification))
        .routes(routes!(inbound::read_all))
        .routes(routes!(
            inbound::webhook,
            inbound::set_webhook,
            inbound::delete_webhook
        ))
        .routes(routes!(inbound::test_webhook))
        .routes(routes!(inbound::deliveries))
        .routes(routes!(inbound::delivery))
        .routes(routes!(
            inbound::inbound_endpoints,
            inbound::set_inbound_endpoint
        ));
    let r = r
        .routes(routes!(
            whatsapp::connection,
            whatsapp::connect,
            whatsapp::disconnect
        ))
        .routes(routes!(whatsapp::test))
        .routes(routes!(whatsapp::list_templates, whatsapp::create_template))
        .routes(routes!(whatsapp::sync_templates))
        .routes(routes!(whatsapp::get_template, whatsapp::delete_template))
        .routes(routes!(whatsapp::send_template))
        .routes(routes!(whatsapp::send_text))
        .routes(routes!(whatsapp::send_media))
        .routes(routes!(
            whatsapp::list_broadcasts,
            whatsapp::create_broadcast
        ))
        .routes(routes!(whatsapp::get_broadcast))
        .routes(routes!(sms::connection, sms::connect, sms::disconnect))
        .routes(routes!(sms::test))
        .routes(routes!(sms::send))
        .routes(routes!(messaging::get_message))
        .routes(routes!(messaging::log))
        .routes(routes!(messaging::log_csv))
        .routes(routes!(messaging::costs_list))
        .routes(routes!(messaging::rates, messaging::set_rate))
        .routes(routes!(messaging::delete_rate));
    let doc = r.get_openapi().clone();
    r.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { Json(doc) }
        }),
    )
}

/// A page of results with the cursor for the next one.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Keyset pagination parameters.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Return items with an id lower than this.
    pub before: Option<i64>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
}
