use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use shared::members::{InviteMemberRequest, InvitedMember, Member, UpdateMemberRequest};
use shared::paging::Page;
use uuid::Uuid;

use crate::{
    domain::{
        members,
        paging::{self, Order, PageQuery, PageRequest},
        principal::Principal,
    },
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// The members of your account.
///
/// Problems: 400: `limit` out of 1-500, or a cursor this list did not give out; 422: An unknown
/// query parameter.
#[utoipa::path(
    operation_id = "list_members",
    params(
        super::listing::PageParams,
    ),
    tag = "Members",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members, oldest first", body = Page<Member>),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/members")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<Member>>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let address = super::listing::address(&req);
    let all = state
        .db
        .run(move |conn| members::list(conn, &caller))
        .await?;
    Ok(web::Json(paging::page_in_memory(
        all,
        &request,
        &address,
        Order::Ascending,
        |item| {
            vec![
                item.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                item.id.to_string(),
            ]
        },
    )))
}

/// Invite a person with a role (admins signed in to the portal; not API tokens).
///
/// The answer carries a one-time password to pass on; it is never shown again. The person is
/// listed as `invited` until they first sign in with it, which makes them a member; unused, it
/// expires (`invitation_expires_at`). The answer is the same for any address: whether it has a
/// sign-in in another account is not said (such a person keeps signing in to their own
/// account, and the invitation expires unused). Inviting an address again replaces the
/// earlier invitation.
///
/// Problems: 400: The email is over 254 characters or has control characters (`out_of_bounds`);
/// 403: Not an admin, or an API token; 409: Already a member of your account (`email_taken`);
/// 422: Not a valid email or role; 429: Too many invitations from your account this hour, or
/// too many writes (`too_many_requests`).
#[utoipa::path(
    operation_id = "invite_member",
    tag = "Members",
    security(("bearer" = [])),
    request_body = InviteMemberRequest,
    responses(
        (status = 201, description = "Invited", body = InvitedMember),
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
#[post("/members")]
pub async fn invite(
    state: web::Data<AppState>,
    caller: Principal,
    body: super::extract::JsonObject<InviteMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let config = &state.config;
    let (limits, ttl) = (config.rate_limits(), config.rate_limits().invitation_ttl);
    let invited = members::invite(&state.db, &limits, ttl, &caller, &body).await?;
    Ok(HttpResponse::Created().json(invited))
}

/// Change a member's role (admins signed in to the portal; not API tokens).
///
/// Problems: 400: Malformed JSON; 403: Not an admin, or an API token; 404: No such member in
/// your account; 409: That would leave the account without an admin (`last_admin`); 413: A body
/// over the server's limit; 415: Not JSON; 422: Not a valid role.
#[utoipa::path(
    operation_id = "update_member",
    tag = "Members",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member's id")),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "Changed", body = Member),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[patch("/members/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
    body: super::extract::JsonObject<UpdateMemberRequest>,
) -> Result<web::Json<Member>, ApiError> {
    let id = id.into_inner();
    let role = body.role;
    let member = state
        .db
        .run(move |conn| members::change_role(conn, &caller, id, role))
        .await?;
    Ok(web::Json(member))
}

/// Remove a member (admins signed in to the portal; not API tokens), or withdraw an
/// invitation. The API tokens the member created are revoked with them. The last admin cannot
/// be removed.
///
/// Problems: 403: Not an admin, or an API token; 404: No such member in your account; 409: The
/// last admin (`last_admin`).
#[utoipa::path(
    operation_id = "remove_member",
    tag = "Members",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[delete("/members/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .run(move |conn| members::remove(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
