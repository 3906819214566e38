//! The tenant's users, their directory sync, their phone service (one by one or in bulk) and
//! the background jobs that carry those out.

use gloo_net::http::Method;
use shared::directory::{DirectoryUser, ServiceState, SyncStatus};
use shared::jobs::Job;
use shared::paging::Page;
use shared::phone_service::{
    BulkAccepted, BulkRequest, BulkStatus, PhoneServiceOutcome, PhoneServiceRequest, Preview,
    PreviewRequest,
};
use uuid::Uuid;

use super::{encode, non_blank, query_string, request, request_once, ApiError};

/// What the users list is narrowed to. Blank text means no filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserFilter {
    /// Searches name, user principal name and number.
    pub q: String,
    pub service: Option<ServiceState>,
    pub licensed: Option<bool>,
    /// ISO 3166 alpha-2, e.g. `US`.
    pub usage_location: String,
    /// Users per page; the server's default when `None`.
    pub limit: Option<u32>,
}

impl UserFilter {
    fn query(&self) -> String {
        query_string(&[
            ("q", non_blank(&self.q)),
            ("service", self.service.map(|s| s.as_str().to_owned())),
            ("licensed", self.licensed.map(|l| l.to_string())),
            (
                "usage_location",
                non_blank(&self.usage_location).map(|l| l.to_uppercase()),
            ),
            ("limit", self.limit.map(|l| l.to_string())),
        ])
    }
}

/// GET /users: the first page of users that match.
pub async fn list_users(token: &str, filter: &UserFilter) -> Result<Page<DirectoryUser>, ApiError> {
    let path = format!("/users{}", filter.query());
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// GET /users/{id}
pub async fn get_user(token: &str, id: &str) -> Result<DirectoryUser, ApiError> {
    let path = format!("/users/{}", encode(id));
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// GET /users/sync: when the directory was last synced, and the sync running now.
pub async fn sync_status(token: &str) -> Result<SyncStatus, ApiError> {
    request::<(), _>(Method::GET, "/users/sync", Some(token), None).await
}

/// POST /users/sync: starts a sync (409 when the tenant is not connected).
pub async fn start_sync(token: &str) -> Result<Job, ApiError> {
    request::<(), _>(Method::POST, "/users/sync", Some(token), None).await
}

/// GET /jobs/{id}
pub async fn job(token: &str, id: Uuid) -> Result<Job, ApiError> {
    request::<(), _>(Method::GET, &format!("/jobs/{id}"), Some(token), None).await
}

/// PUT /users/{id}/phone-service: gives the user a number (`None`: one chosen for them).
/// The answer is usually `pending`; follow the user until it settles.
pub async fn add_phone_service(
    token: &str,
    user_id: &str,
    idempotency_key: Uuid,
    body: &PhoneServiceRequest,
) -> Result<PhoneServiceOutcome, ApiError> {
    let path = format!("/users/{}/phone-service", encode(user_id));
    request_once(Method::PUT, &path, token, idempotency_key, Some(body)).await
}

/// DELETE /users/{id}/phone-service: takes the user's number away (`removing`, then `none`).
pub async fn remove_phone_service(
    token: &str,
    user_id: &str,
    idempotency_key: Uuid,
) -> Result<PhoneServiceOutcome, ApiError> {
    let path = format!("/users/{}/phone-service", encode(user_id));
    request_once::<(), _>(Method::DELETE, &path, token, idempotency_key, None).await
}

/// POST /phone-service/preview: what a change of these users (with a profile, and for one user
/// a named number) would do, row by row. Changes and reserves nothing.
pub async fn preview_phone_service(
    token: &str,
    body: &PreviewRequest,
) -> Result<Preview, ApiError> {
    request(
        Method::POST,
        "/phone-service/preview",
        Some(token),
        Some(body),
    )
    .await
}

/// POST /phone-service/bulk: gives phone service to many users (object ids or UPNs) as a job.
pub async fn start_bulk(token: &str, body: &BulkRequest) -> Result<BulkAccepted, ApiError> {
    request(Method::POST, "/phone-service/bulk", Some(token), Some(body)).await
}

/// GET /phone-service/bulk/{job_id}: the job and each user's outcome so far.
pub async fn bulk_status(token: &str, job_id: Uuid) -> Result<BulkStatus, ApiError> {
    let path = format!("/phone-service/bulk/{job_id}");
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// POST /phone-service/bulk/{job_id}/rollback (admins): undoes what that bulk job gave, as a
/// job of its own; follow its rows with [`bulk_status`] and the job id answered.
pub async fn roll_back_bulk(token: &str, job_id: Uuid) -> Result<BulkAccepted, ApiError> {
    let path = format!("/phone-service/bulk/{job_id}/rollback");
    request::<(), _>(Method::POST, &path, Some(token), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_asks_for_everything() {
        assert_eq!(UserFilter::default().query(), "");
    }

    #[test]
    fn every_filter_goes_into_the_query() {
        let filter = UserFilter {
            q: " +1425 ".into(),
            service: Some(ServiceState::Failed),
            licensed: Some(false),
            usage_location: "us".into(),
            limit: Some(20),
        };
        assert_eq!(
            filter.query(),
            "?q=%2B1425&service=failed&licensed=false&usage_location=US&limit=20"
        );
    }
}
