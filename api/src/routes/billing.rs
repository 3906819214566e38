use actix_web::{get, http::header, put, web, HttpRequest, HttpResponse};
use shared::billing::{BillingSettings, UsageReport};

use crate::{
    domain::{billing, principal::Principal},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// `GET /billing/usage` query parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// The month, `YYYY-MM` (UTC), from 2000-01 on.
    #[param(pattern = "^[2-9][0-9]{3}-(0[1-9]|1[0-2])$")]
    pub month: String,
}

/// The month's billable users, derived from the ledger alone.
///
/// For each user with phone service in the month: the intervals of service and the billable
/// days (UTC days with service at any moment). The totals: users with service, user-days,
/// billable users under the account's rule (`any_day` or `pro_rata`), peak concurrent users;
/// and a count per day. A past month recomputes to the same figures; a running month counts to
/// now (`complete` is false); a month not yet begun is empty. `discrepancies` compares the
/// ledger with Teams as of the last user sync (`teams_checked_at`).
///
/// With `Accept: text/csv`: one row per user, with a header row and each user's share of the
/// bill.
///
/// Problems: 422: `month` is missing or not `YYYY-MM`.
#[utoipa::path(
    operation_id = "get_billing_usage",
    tag = "Billing",
    security(("bearer" = [])),
    params(UsageQuery),
    responses(
        (status = 200, description = "The report", content(
            (UsageReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/billing/usage")]
pub async fn usage(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let month = query.into_inner().month;
    let report = state
        .db
        .run(move |conn| billing::usage_report(conn, &caller, &month))
        .await?;
    if wants_csv(&req) {
        let body = billing::to_csv(&report)?;
        let name = format!("attachment; filename=\"usage-{}.csv\"", report.month);
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, name))
            .insert_header((header::VARY, "Accept"))
            .body(body));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .json(report))
}

/// Whether the caller asked for CSV rather than JSON.
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("text/csv") && !v.trim_start().starts_with("application/json")
        })
}

/// The account's billing rule.
#[utoipa::path(
    operation_id = "get_billing_settings",
    tag = "Billing",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = BillingSettings),
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/billing/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<BillingSettings>, ApiError> {
    let settings = state
        .db
        .run(move |conn| billing::settings(conn, &caller))
        .await?;
    Ok(web::Json(settings))
}

/// Sets the account's billing rule (admins), from the running month on: a month is billed
/// under the rule in force at its end, so past months keep their answer.
///
/// Problems: 403: Not an admin; 422: Not a rule.
#[utoipa::path(
    operation_id = "put_billing_settings",
    tag = "Billing",
    security(("bearer" = [])),
    request_body = BillingSettings,
    responses(
        (status = 200, description = "The settings", body = BillingSettings),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[put("/billing/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    caller: Principal,
    body: super::extract::JsonObject<BillingSettings>,
) -> Result<web::Json<BillingSettings>, ApiError> {
    let wanted = body.into_inner();
    let settings = state
        .db
        .run(move |conn| billing::set_settings(conn, &caller, &wanted))
        .await?;
    Ok(web::Json(settings))
}
