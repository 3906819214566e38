//! PLACEHOLDER until the voice-profiles branch lands: reads profiles for the saga.
use shared::voice_profiles::{PolicyType, VoiceProfile};
use uuid::Uuid;

use crate::{db::DbConn, domain::ids::AccountId, error::ApiError};

pub fn find(_: &mut DbConn, _: &AccountId, _: Uuid) -> Result<Option<VoiceProfile>, ApiError> {
    Ok(None)
}
pub fn default_of_account(_: &mut DbConn, _: &AccountId) -> Result<Option<VoiceProfile>, ApiError> {
    Ok(None)
}
pub fn default_of_block(
    _: &mut DbConn,
    _: &AccountId,
    _: &str,
) -> Result<Option<VoiceProfile>, ApiError> {
    Ok(None)
}
pub fn mark_manual(_: &mut DbConn, _: &AccountId, _: PolicyType) -> Result<(), ApiError> {
    Ok(())
}
