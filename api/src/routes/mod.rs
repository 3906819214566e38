//! The HTTP surface: one module per resource, wired in [`configure`]. Handlers are thin:
//! extract, call the domain, map the result.

pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod billing;
mod extract;
pub mod health;
pub mod jobs;
mod listing;
pub mod members;
pub mod methods;
pub mod numbers;
pub mod phone_service;
pub mod tenant_connection;
pub mod users;
pub mod voice_profiles;
pub mod webhooks;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Mounts `/api/v1/...`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(auth::login)
            .service(auth::me)
            .service(auth::change_password)
            .service(auth::logout)
            .service(auth::logout_everywhere)
            .service(members::list)
            .service(members::invite)
            .service(members::update)
            .service(members::remove)
            .service(api_tokens::list)
            .service(api_tokens::create)
            .service(api_tokens::revoke)
            .service(tenant_connection::get_connection)
            .service(tenant_connection::setup)
            .service(tenant_connection::sign_in_callback)
            .service(tenant_connection::consent_callback)
            .service(tenant_connection::verify)
            .service(tenant_connection::disconnect)
            .service(jobs::get_job)
            // `/users/sync` before `/users/{id}`: the first route that matches answers.
            .service(users::sync_status)
            .service(users::start_sync)
            .service(users::list)
            .service(users::get_user)
            .service(users::add_service)
            .service(users::remove_service)
            .service(phone_service::start_bulk)
            .service(phone_service::bulk_status)
            .service(phone_service::preview_changes)
            .service(phone_service::rollback_bulk)
            .service(numbers::load_numbers)
            .service(numbers::list_blocks)
            .service(numbers::capacity)
            .service(numbers::list_numbers)
            .service(billing::usage)
            .service(billing::get_settings)
            .service(billing::put_settings)
            .service(audit::list)
            .configure(voice_profiles::configure)
            .configure(webhooks::configure)
            .default_service(web::to(unknown_endpoint)),
    );
}

/// A request no `/api/v1` handler took: 405 with `Allow` when the path is served with other
/// methods, 404 when it is not served at all.
async fn unknown_endpoint(
    req: HttpRequest,
    table: Option<web::Data<methods::AllowedMethods>>,
) -> Result<HttpResponse, ApiError> {
    methods::not_taken(
        &req,
        table,
        "There is no such API endpoint; see /docs for the ones there are.",
    )
}

/// The documented paths outside `/api/v1` (`/healthz`, `/readyz`), mounted after their
/// handlers: any other method answers 405 with `Allow`.
pub fn other_methods(cfg: &mut web::ServiceConfig, paths: Vec<String>) {
    if !paths.is_empty() {
        cfg.service(web::resource(paths).to(unknown_endpoint));
    }
}
