use actix_web::{get, post, web, HttpRequest, HttpResponse};
use shared::{
    numbers::{Capacity, LoadedNumbers, NewNumberBlock, NumberBlock, PhoneNumber},
    paging::Page,
};

use super::listing;
use crate::{
    domain::{
        numbers::{
            inventory,
            load::{self, OnError},
        },
        paging::PageQuery,
        principal::Principal,
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// How a load treats bad rows: `reject` refuses the load, `skip` loads the good rows
/// (the document's side of `load::OnError`).
#[derive(utoipa::ToSchema)]
#[schema(as = OnError, rename_all = "snake_case")]
#[allow(dead_code)] // Read by the document only.
pub enum OnErrorParam {
    Reject,
    Skip,
}

/// How a load treats bad rows, and the block's label and location for a CSV upload.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoadOptions {
    /// `reject` (default): any bad row refuses the load; `skip`: load the good rows.
    #[serde(default)]
    #[param(value_type = Option<OnErrorParam>)]
    pub on_error: OnError,
    /// The block's label (CSV uploads; JSON loads carry it in the body).
    pub label: Option<String>,
    /// The numbers' location where a CSV row names none.
    pub location: Option<String>,
}

/// Load numbers into your inventory as a new block (admins).
///
/// JSON: `{"start": "+14255550100", "count": 100}` (a contiguous range) or
/// `{"numbers": [...]}`. Or a CSV upload (`Content-Type: text/csv`) with a header row naming a
/// `number` column and optionally `location`. Numbers are normalised to E.164; each gets its
/// country. Blocks may not overlap.
///
/// An account may hold at most `NUMBER_QUOTA` numbers (default 100,000) and load at most
/// `NUMBER_LOADS_PER_WINDOW` times (default 20) per `NUMBER_LOAD_WINDOW_SECONDS` (default an
/// hour); a load past either is refused whole.
///
/// Problems: 400: Out of bounds; 403: Not an admin; 409: Numbers already in your inventory
/// (`numbers_overlap`), or the load would take the inventory past the account's quota
/// (`number_quota_exceeded`); 413: A body over 1 MiB; 415: Neither JSON nor CSV; 422: Bad rows
/// (`rejected_rows`: the first 100, each with its `line`, in `rejected`, how many in
/// `rejected_count`; nothing was loaded), more than 10,000 rows, or a request of neither shape;
/// 429: The account's loads of the window are made (`Retry-After`).
#[utoipa::path(
    operation_id = "load_numbers",
    tag = "Numbers",
    security(("bearer" = [])),
    params(LoadOptions),
    request_body(content = NewNumberBlock, description = "JSON, or text/csv"),
    responses(
        (status = 201, description = "Loaded", body = LoadedNumbers),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[post("/number-blocks")]
pub async fn load_numbers(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    options: web::Query<LoadOptions>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limits = state.config.load_limits();
    // Refused before the upload is read when the account made its loads of the window (the
    // load checks again, under the account's lock).
    let check = (caller.clone(), limits);
    state
        .db
        .run(move |conn| inventory::may_load(conn, &check.0, &check.1))
        .await?;
    let csv = listing::is_csv(&req);
    if !csv {
        listing::require_json(&req)?;
    }
    let _slot = listing::upload_slot().await?;
    let body = listing::read_body(payload, listing::UPLOAD_MAX_BYTES).await?;
    let LoadOptions {
        on_error,
        label,
        location,
    } = options.into_inner();
    let parsed = listing::parse_off_worker(move || {
        if csv {
            load::from_csv(&body, label.as_deref(), location.as_deref())
        } else {
            load::from_request(&listing::json_object::<NewNumberBlock>(&body)?)
        }
    })
    .await?;
    let loaded = state
        .db
        .run(move |conn| inventory::load(conn, &caller, parsed, on_error, &limits))
        .await?;
    Ok(HttpResponse::Created().json(loaded))
}

/// The blocks of your inventory, oldest first.
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 422: An unknown
/// query parameter.
#[utoipa::path(
    operation_id = "list_number_blocks",
    tag = "Numbers",
    security(("bearer" = [])),
    params(
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of blocks", body = Page<NumberBlock>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/number-blocks")]
pub async fn list_blocks(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<NumberBlock>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| inventory::blocks(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}

/// The numbers of your inventory, in order, with their status, holder and any disagreement
/// with Teams (`conflict`).
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 422: A filter
/// of the wrong type.
#[utoipa::path(
    operation_id = "list_numbers",
    tag = "Numbers",
    security(("bearer" = [])),
    params(
        ("status" = Option<shared::numbers::NumberStatus>, Query, description = "Status"),
        ("country" = Option<String>, Query, pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*([A-Za-z]{2})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "Two-letter country"),
        ("location" = Option<String>, Query, max_length = 100, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$", description = "Location"),
        ("block_id" = Option<uuid::Uuid>, Query, description = "Block"),
        ("q" = Option<String>, Query, max_length = 40, pattern = "^([\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*|[\\s\\S]*[0-9][\\s\\S]*)$", description = "Digits of the number (at least one digit, at most 40 bytes)"),
        ("conflict" = Option<bool>, Query, description = "Only numbers Teams disagrees about"),
        super::listing::PageParams,
    ),
    responses(
        (status = 200, description = "A page of numbers", body = Page<PhoneNumber>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/numbers")]
pub async fn list_numbers(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<inventory::NumberQuery>,
) -> Result<web::Json<Page<PhoneNumber>>, ApiError> {
    let address = listing::address(&req);
    let page = state
        .db
        .run(move |conn| inventory::list(conn, &caller, &query, &address))
        .await?;
    Ok(web::Json(page))
}

/// Capacity per block, country and location: counts by status, utilisation, the last 30
/// days' assignments, the days until none is available at that rate, and low-stock flags.
#[utoipa::path(
    operation_id = "number_capacity",
    tag = "Numbers",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Capacity", body = Capacity),
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/numbers/capacity")]
pub async fn capacity(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<Capacity>, ApiError> {
    let threshold = state.config.low_stock_threshold;
    let capacity = state
        .db
        .run(move |conn| inventory::capacity(conn, &caller, threshold))
        .await?;
    Ok(web::Json(capacity))
}
