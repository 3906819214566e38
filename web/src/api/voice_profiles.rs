//! Voice profiles: what phone service gives a user besides a number (Teams voice policies, an
//! emergency location), and the choices Teams offers for them.

use gloo_net::http::Method;
use shared::voice_profiles::{NewVoiceProfile, ProfileChoices, VoiceProfile, VoiceProfilePatch};
use uuid::Uuid;

use super::{request, ApiError};

/// GET /voice-profiles: every profile of the account.
pub async fn list_voice_profiles(token: &str) -> Result<Vec<VoiceProfile>, ApiError> {
    request::<(), _>(Method::GET, "/voice-profiles", Some(token), None).await
}

/// GET /voice-profiles/choices: the policies in effect on the tenant's users and the emergency
/// locations on its numbers, as Teams reports them (any other name may still be typed).
pub async fn profile_choices(token: &str) -> Result<ProfileChoices, ApiError> {
    request::<(), _>(Method::GET, "/voice-profiles/choices", Some(token), None).await
}

/// POST /voice-profiles (admins). Teams is asked about each policy name: an unknown one is a
/// 422 that names it.
pub async fn create_voice_profile(
    token: &str,
    body: &NewVoiceProfile,
) -> Result<VoiceProfile, ApiError> {
    request(Method::POST, "/voice-profiles", Some(token), Some(body)).await
}

/// PATCH /voice-profiles/{id} (admins).
pub async fn update_voice_profile(
    token: &str,
    id: Uuid,
    body: &VoiceProfilePatch,
) -> Result<VoiceProfile, ApiError> {
    let path = format!("/voice-profiles/{id}");
    request(Method::PATCH, &path, Some(token), Some(body)).await
}

/// DELETE /voice-profiles/{id} (admins): 409 `profile_in_use` while it gives users service.
pub async fn delete_voice_profile(token: &str, id: Uuid) -> Result<(), ApiError> {
    let path = format!("/voice-profiles/{id}");
    request::<(), _>(Method::DELETE, &path, Some(token), None).await
}
