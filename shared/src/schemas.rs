//! Schemas a derive cannot state, for the OpenAPI document (the `openapi` feature only).

use utoipa::openapi::{schema::Type, ArrayBuilder, ObjectBuilder};

/// Each item names a user: 1 to 256 characters, none of them a control character, once the
/// spaces around it are trimmed.
const USER_REF: &str = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]([^\\u0000-\\u001f\\u007f-\\u009f]{0,254}[^\\u0000-\\u001f\\u007f-\\u009f\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$";

/// `BulkRequest::users`: 1 to 5,000 object ids or user principal names.
pub fn bulk_users() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(USER_REF)),
        )
        .min_items(Some(1))
        .max_items(Some(5000))
        .description(Some(
            "1 to 5,000 users, each an object id or user principal name of at most 256 characters.",
        ))
}
