//! The problem responses (RFC 9457, `application/problem+json`), declared once as response
//! components and referenced by every operation (`response = problems::NotFound`). What a
//! particular operation's `code` values mean is said in that operation's description.

use utoipa::openapi::{
    header::HeaderBuilder, ContentBuilder, Ref, RefOr, Response, ResponseBuilder,
};

macro_rules! problem {
    ($name:ident, $description:literal) => {
        #[doc = $description]
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), problem($description).build().into())
            }
        }
    };
}

problem!(
    BadRequest,
    "Malformed JSON, a malformed path or query parameter, or a field out of bounds (`invalid_input`, `out_of_bounds`). Nothing was changed."
);
problem!(
    Unauthenticated,
    "Not signed in, or the session or token is no longer valid (`unauthenticated`)."
);
problem!(
    Forbidden,
    "The caller's role, or its kind (an API token where a person is needed), does not allow this (`forbidden`); the detail says which."
);
problem!(
    NotFound,
    "No such resource in your account (`not_found`): another account's resources answer the same."
);
problem!(
    Conflict,
    "The request conflicts with the current state; the operation's description lists its `code` values. Nothing was changed."
);
problem!(
    PayloadTooLarge,
    "The request body is larger than the server accepts (`payload_too_large`). Nothing was changed."
);
problem!(
    UnsupportedMediaType,
    "The body is missing, or not sent as a type this operation takes (`unsupported_media_type`): JSON, or CSV where the operation says so. Nothing was changed."
);
problem!(
    Unprocessable,
    "A field or query parameter is missing, unknown or not valid (`invalid_input`). Nothing was changed."
);

/// 429, with the `Retry-After` header.
pub struct TooManyRequests;

impl<'r> utoipa::ToResponse<'r> for TooManyRequests {
    fn response() -> (&'r str, RefOr<Response>) {
        let retry_after = HeaderBuilder::new()
            .schema(Some(
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer),
            ))
            .description(Some("Seconds to wait before trying again"))
            .build();
        (
            "TooManyRequests",
            problem("Too many requests (`too_many_requests`): wait for `Retry-After` seconds.")
                .header("Retry-After", retry_after)
                .build()
                .into(),
        )
    }
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}
