//! Where a list request was made: `next` links repeat its path and query.

use actix_web::HttpRequest;

use crate::domain::paging::ListAddress;

pub fn address(req: &HttpRequest) -> ListAddress {
    ListAddress {
        path: req.path().to_owned(),
        query: url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    }
}

/// The request's `Idempotency-Key` header, if it sent one readable as text.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, crate::error::ApiError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.to_owned())).map_err(|_| {
            crate::error::ApiError::OutOfBounds(
                "Idempotency-Key must be visible ASCII characters.".into(),
            )
        }),
    }
}

/// Whether the body is sent as CSV (`text/csv`).
pub fn is_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/csv"))
}

/// A JSON body read from raw bytes, with the same problems as actix's JSON extractor, and one
/// more: the body must be a JSON object. (serde also reads a struct from an array of its fields
/// in order, so `[null, null]` would pass for a body whose fields are all optional.)
pub fn json_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, crate::error::ApiError> {
    require_json(req)?;
    json_object(body)
}

/// 415 unless the body is sent as JSON (`application/json` or `application/...+json`).
pub fn require_json(req: &HttpRequest) -> Result<(), crate::error::ApiError> {
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim_start().to_ascii_lowercase();
            v.starts_with("application/json")
                || (v.starts_with("application/") && v.contains("+json"))
        });
    if json {
        Ok(())
    } else {
        Err(crate::error::ApiError::UnsupportedMediaType)
    }
}

/// The JSON object of a body whose content type was checked ([`require_json`]).
pub fn json_object<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, crate::error::ApiError> {
    use crate::error::ApiError;
    let first = body
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.is_some_and(|b| *b != b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => ApiError::InvalidInput("The request body must be a JSON object.".into()),
                Err(e) => {
                    ApiError::MalformedBody(format!("The request body is not valid JSON: {e}."))
                }
            },
        );
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::InvalidInput(format!(
                "The request body does not have the expected fields: {e}."
            ))
        } else {
            ApiError::MalformedBody(format!("The request body is not valid JSON: {e}."))
        }
    })
}

/// The most an upload of numbers (JSON or CSV) may carry: 10,000 numbers with a location each
/// fit within it. Other bodies keep `MAX_BODY_BYTES`.
pub const UPLOAD_MAX_BYTES: usize = 1024 * 1024;

/// The most a bulk request (JSON or CSV) may carry: 5,000 users at about 100 bytes each (an
/// object id is 36 characters, most user principal names far fewer than 100).
pub const BULK_UPLOAD_MAX_BYTES: usize = 512 * 1024;

/// Parses an upload on the blocking pool. Reading up to a MiB of CSV or JSON takes long enough
/// that, on an async worker, it would hold up every other request that worker serves.
pub async fn parse_off_worker<T, F>(parse: F) -> Result<T, crate::error::ApiError>
where
    F: FnOnce() -> Result<T, crate::error::ApiError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(parse)
        .await
        .map_err(|e| crate::error::ApiError::internal(anyhow::anyhow!("parsing an upload: {e}")))?
}

/// Uploads this process reads and parses at once. Each may hold up to a MiB, and every person
/// and token may send hundreds of writes a minute: without a bound, a burst of uploads would
/// take memory and the blocking pool from everyone.
const UPLOADS_AT_ONCE: usize = 8;
/// How long an upload waits for its turn before it is refused (429).
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A turn to read and parse an upload; hold it until the upload is parsed.
pub async fn upload_slot() -> Result<tokio::sync::SemaphorePermit<'static>, crate::error::ApiError>
{
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| tokio::sync::Semaphore::new(UPLOADS_AT_ONCE));
    match tokio::time::timeout(UPLOAD_WAIT, slots.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(crate::error::ApiError::Throttled {
            detail: "Too many uploads are being read right now; try again in a moment.".into(),
            retry_after: 1,
        }),
    }
}

/// Reads a request body of at most `limit` bytes; a larger one is refused as 413 before the
/// rest is read.
pub async fn read_body(
    mut payload: actix_web::web::Payload,
    limit: usize,
) -> Result<actix_web::web::Bytes, crate::error::ApiError> {
    use futures_util::StreamExt as _;
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            crate::error::ApiError::MalformedBody(format!(
                "The request body could not be read: {e}."
            ))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(crate::error::ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `limit` and `cursor`, as every list takes them: the document's side of
/// `domain::paging::PageQuery`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by the document only.
pub struct PageParams {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Opaque: the `cursor` of a `next` this list gave out (any other is refused, 400).
    #[param(min_length = 1, max_length = 1024, pattern = "^[A-Za-z0-9_-]+$")]
    cursor: Option<String>,
}
