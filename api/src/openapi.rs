//! The OpenAPI 3.1 document, generated from the handlers and the shared DTOs. The same
//! document is committed at `openapi/openapi.json`; a test fails when they differ.

use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::routes;

pub mod problems;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenant Connect API",
        description = "The admin portal API for Microsoft Teams Direct Routing providers and their \
            customers. Every call under /api/v1 except sign-in needs `Authorization: Bearer <token>`: \
            a session token from `POST /api/v1/auth/login`, or an API token an admin created. \
            Everything is scoped to the caller's account. Errors are `application/problem+json` \
            (RFC 9457) with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(routes::health::healthz, routes::health::readyz),
    nest(
        (path = "/api/v1", api = V1),
        (path = "/api/v1", api = routes::webhooks::WebhooksApi),
        (path = "/api/v1", api = routes::voice_profiles::VoiceProfilesApi)
    ),
    components(
        schemas(shared::problem::Problem),
        responses(
            problems::BadRequest,
            problems::Unauthenticated,
            problems::Forbidden,
            problems::NotFound,
            problems::Conflict,
            problems::PayloadTooLarge,
            problems::UnsupportedMediaType,
            problems::Unprocessable,
            problems::TooManyRequests,
        )
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "Sign-in", description = "Sessions, who am I, and your own password."),
        (name = "Members", description = "The people of your account and their roles."),
        (name = "API tokens", description = "Tokens for integrators, shown once, revocable."),
        (name = "Tenant connection", description = "Connecting your Microsoft 365 tenant: the four setup steps, verification and health."),
        (name = "Users", description = "Your tenant's users, synced from Microsoft Graph."),
        (name = "Phone service", description = "Giving users a number in Teams and taking it away, one by one or in bulk."),
        (name = "Voice profiles", description = "What phone service gives a user besides a number: Teams voice policies by name, an emergency location, and where the numbers come from."),
        (name = "Numbers", description = "Your number inventory: blocks, numbers, capacity and disagreements with Teams."),
        (name = "Billing", description = "Billable users per month, derived from the ledger, with the discrepancies between the ledger and Teams."),
        (name = "Audit", description = "The ledger: every change, sign-in and connection event, with who did it. Append-only."),
        (name = "Webhooks", description = "Signed deliveries (Standard Webhooks) of events to your HTTPS endpoints, with their history."),
        (name = "Jobs", description = "Long work in the background: status, progress and outcome."),
        (name = "Operations", description = "Health and readiness for operators."),
    )
)]
pub struct ApiDoc;

/// Everything mounted under `/api/v1` (see `routes::configure`).
#[derive(OpenApi)]
#[openapi(
    components(schemas(
        routes::audit::AuditEventType,
        routes::numbers::OnErrorParam,
        shared::problem::ConflictCode
    )),
    paths(
        routes::auth::login,
        routes::auth::me,
        routes::auth::change_password,
        routes::auth::logout,
        routes::auth::logout_everywhere,
        routes::members::list,
        routes::members::invite,
        routes::members::update,
        routes::members::remove,
        routes::api_tokens::list,
        routes::api_tokens::create,
        routes::api_tokens::revoke,
        routes::tenant_connection::get_connection,
        routes::tenant_connection::setup,
        routes::tenant_connection::sign_in_callback,
        routes::tenant_connection::consent_callback,
        routes::tenant_connection::verify,
        routes::tenant_connection::disconnect,
        routes::jobs::get_job,
        routes::users::list,
        routes::users::sync_status,
        routes::users::start_sync,
        routes::users::get_user,
        routes::users::add_service,
        routes::users::remove_service,
        routes::phone_service::start_bulk,
        routes::phone_service::bulk_status,
        routes::phone_service::preview_changes,
        routes::phone_service::rollback_bulk,
        routes::numbers::load_numbers,
        routes::numbers::list_blocks,
        routes::numbers::list_numbers,
        routes::numbers::capacity,
        routes::billing::usage,
        routes::billing::get_settings,
        routes::billing::put_settings,
        routes::audit::list,
    )
)]
struct V1;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token (JWT) from /api/v1/auth/login, or an API token (tc_...).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn document() -> Result<String, serde_json::Error> {
    let mut json = serde_json::to_string_pretty(&ApiDoc::openapi())?;
    json.push('\n');
    Ok(json)
}
