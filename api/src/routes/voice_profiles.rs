//! Voice profiles: what phone service gives a user besides a number (admins manage them, any
//! member reads them), and the choices Teams offers for them.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use shared::voice_profiles::{
    EmergencyLocation, NewVoiceProfile, NumberSource, PolicyChoice, PolicyType, ProfileChoices,
    ProfilePolicy, SeenLocation, SeenPolicy, VoiceProfile, VoiceProfilePatch,
};
use utoipa::OpenApi;
use uuid::Uuid;

use crate::{
    domain::{principal::Principal, voice_profiles},
    error::ApiError,
    openapi::problems,
    state::AppState,
};

/// Mounts the voice profile routes inside `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // `{id}` takes only GUID-like segments, so that any method on `/voice-profiles/choices`
    // other than GET reaches the default service (405 with its own `Allow`).
    cfg.service(choices)
        .service(list)
        .service(create)
        .service(get_profile)
        .service(update)
        .service(remove);
}

/// The voice profile operations, nested under `/api/v1` in the document.
#[derive(OpenApi)]
#[openapi(
    paths(list, create, choices, get_profile, update, remove),
    components(schemas(
        PolicyType,
        NumberSource,
        PolicyChoice,
        ProfilePolicy,
        EmergencyLocation,
        VoiceProfile,
        NewVoiceProfile,
        VoiceProfilePatch,
        SeenPolicy,
        SeenLocation,
        ProfileChoices,
    ))
)]
pub struct VoiceProfilesApi;

/// Your account's voice profiles, by name (any member).
///
/// Each says which Teams policies and emergency location phone service gives, where its
/// numbers come from, whether it is the account's default or a number block's, how many users
/// have service from it, and what admins must do by hand (`warnings`).
#[utoipa::path(
    operation_id = "list_voice_profiles",
    tag = "Voice profiles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profiles", body = Vec<VoiceProfile>),
        (status = 401, response = problems::Unauthenticated),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/voice-profiles")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<Vec<VoiceProfile>>, ApiError> {
    let profiles = state
        .db
        .run(move |conn| voice_profiles::list(conn, &caller))
        .await?;
    Ok(web::Json(profiles))
}

/// Create a voice profile (admins).
///
/// Each policy is named as in the Teams admin center, at most one per type; a type left out
/// keeps the org-wide default (Global). The names are looked up in your tenant now
/// (`getPolicyId`), which needs a connected tenant. `is_default` makes it the account's
/// default (the previous default stops being one); `default_for_blocks` makes it the default
/// of those number blocks.
///
/// Problems: 400: The name over 100 characters, control characters (`out_of_bounds`);
/// 403: Not an admin; 409: Another profile has the name (`profile_name_taken`), the tenant is
/// not connected (`tenant_not_connected`) or lacks TeamsPolicyUserAssign.ReadWrite.All
/// (`missing_permission`); 422: No name, two policies of one type, an emergency location that
/// is not a GUID, a block that is not your account's, or a policy Teams does not have ("Teams
/// has no OnlineVoiceRoutingPolicy named 'US-Route'."); 503: Teams did not answer. Nothing was
/// saved.
#[utoipa::path(
    operation_id = "create_voice_profile",
    tag = "Voice profiles",
    security(("bearer" = [])),
    request_body = NewVoiceProfile,
    responses(
        (status = 201, description = "Created", body = VoiceProfile),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
        (status = 503, description = "Teams did not answer the policy lookup (`unavailable`); try again", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/voice-profiles")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Principal,
    body: super::extract::JsonObject<NewVoiceProfile>,
) -> Result<HttpResponse, ApiError> {
    let created = voice_profiles::create(
        &state.db,
        state.connections.client(),
        caller,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Choices for a profile, read from your tenant now (admins): the policies in effect on your
/// users (directly or through a group; Global left out), with how many users have each, and
/// the emergency locations on your numbers. Teams can have others: any name may be typed.
///
/// Problems: 403: Not an admin; 409: The tenant is not connected (`tenant_not_connected`),
/// or the app may not read users' Teams configuration or numbers (`missing_permission`);
/// 503: Teams did not answer.
#[utoipa::path(
    operation_id = "voice_profile_choices",
    tag = "Voice profiles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Policies and locations seen in your tenant", body = ProfileChoices),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
        (status = 503, description = "Teams did not answer (`unavailable`); try again", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/voice-profiles/choices")]
pub async fn choices(
    state: web::Data<AppState>,
    caller: Principal,
) -> Result<web::Json<ProfileChoices>, ApiError> {
    let choices = voice_profiles::choices(&state.db, state.connections.client(), caller).await?;
    Ok(web::Json(choices))
}

/// One voice profile (any member).
///
/// Problems: 404: No such profile in your account.
#[utoipa::path(
    operation_id = "get_voice_profile",
    path = "/voice-profiles/{id}",
    tag = "Voice profiles",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The profile's id")),
    responses(
        (status = 200, description = "The profile", body = VoiceProfile),
        (status = 401, response = problems::Unauthenticated),
        (status = 404, response = problems::NotFound),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[get("/voice-profiles/{id:[0-9a-fA-F-]+}")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<web::Json<VoiceProfile>, ApiError> {
    let id = id.into_inner();
    let profile = state
        .db
        .run(move |conn| voice_profiles::get(conn, &caller, id))
        .await?;
    Ok(web::Json(profile))
}

/// Change a voice profile (admins).
///
/// Fields left out stay as they are; `policies` replaces them all (their names are looked up
/// in your tenant again); `emergency_location: null` removes it; `default_for_blocks`
/// replaces the blocks it is the default of. Users who have service keep what they were
/// given: a change applies to later changes of users.
///
/// Problems: 400: Out of bounds (`out_of_bounds`); 403: Not an admin; 404: No such profile
/// in your account; 409: `profile_name_taken`, `tenant_not_connected`, `missing_permission`;
/// 422: As at creation; 503: Teams did not answer. Nothing was changed.
#[utoipa::path(
    operation_id = "update_voice_profile",
    path = "/voice-profiles/{id}",
    tag = "Voice profiles",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The profile's id")),
    request_body = VoiceProfilePatch,
    responses(
        (status = 200, description = "Changed", body = VoiceProfile),
        (status = 400, response = problems::BadRequest),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 413, response = problems::PayloadTooLarge),
        (status = 415, response = problems::UnsupportedMediaType),
        (status = 422, response = problems::Unprocessable),
        (status = 429, response = problems::TooManyRequests),
        (status = 503, description = "Teams did not answer the policy lookup (`unavailable`); try again", body = shared::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/voice-profiles/{id:[0-9a-fA-F-]+}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
    body: super::extract::JsonObject<VoiceProfilePatch>,
) -> Result<web::Json<VoiceProfile>, ApiError> {
    let profile = voice_profiles::update(
        &state.db,
        state.connections.client(),
        caller,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(web::Json(profile))
}

/// Delete a voice profile (admins); blocks that defaulted to it default to none.
///
/// Problems: 403: Not an admin; 404: No such profile in your account; 409: Users have
/// service from it (`profile_in_use`): give them another profile or remove their service
/// first.
#[utoipa::path(
    operation_id = "delete_voice_profile",
    path = "/voice-profiles/{id}",
    tag = "Voice profiles",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The profile's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = problems::Unauthenticated),
        (status = 403, response = problems::Forbidden),
        (status = 404, response = problems::NotFound),
        (status = 409, response = problems::Conflict),
        (status = 429, response = problems::TooManyRequests),
    )
)]
#[delete("/voice-profiles/{id:[0-9a-fA-F-]+}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .run(move |conn| voice_profiles::delete(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
