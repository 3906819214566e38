use actix_web::{get, web, HttpResponse};
use chrono::Utc;
use shared::auth::Health;

use crate::state::AppState;

/// Alive: the process answers.
#[utoipa::path(
    operation_id = "healthz",
    tag = "Operations",
    responses((status = 200, description = "Alive", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".to_owned(),
        checked_at: Utc::now(),
    })
}

/// Ready: the database answers.
#[utoipa::path(
    operation_id = "readyz",
    tag = "Operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let reachable = state
        .db
        .run(|conn| crate::db::ping(conn).map_err(Into::into))
        .await;
    let (mut response, status) = match reachable {
        Ok(()) => (HttpResponse::Ok(), "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (HttpResponse::ServiceUnavailable(), "unavailable")
        }
    };
    response.json(Health {
        status: status.to_owned(),
        checked_at: Utc::now(),
    })
}
