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
    let (mut response, status) = if database_answers(&state).await {
        (HttpResponse::Ok(), "ok")
    } else {
        (HttpResponse::ServiceUnavailable(), "unavailable")
    };
    response.json(Health {
        status: status.to_owned(),
        checked_at: Utc::now(),
    })
}

/// `HEAD /healthz`: load balancers and uptime monitors often probe with HEAD. The GET's
/// status, no body.
pub async fn healthz_head() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// `HEAD /readyz`: the GET's status, no body.
pub async fn readyz_head(state: web::Data<AppState>) -> HttpResponse {
    if database_answers(&state).await {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::ServiceUnavailable().finish()
    }
}

async fn database_answers(state: &AppState) -> bool {
    let reachable = state
        .db
        .run(|conn| crate::db::ping(conn).map_err(Into::into))
        .await;
    if let Err(e) = &reachable {
        tracing::warn!(error = %e, "readiness check failed");
    }
    reachable.is_ok()
}
