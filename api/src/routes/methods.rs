//! A method a served path does not take answers `405 Method Not Allowed` with `Allow` (RFC 9110
//! §15.5.6), not the 404 of a path we do not serve.
//!
//! The handlers are mounted one method at a time (`#[get("/members")]`, `#[post("/members")]`),
//! so a request no handler takes reaches the scope's default service knowing nothing of the
//! methods its path does take. Those come from the OpenAPI document's paths: the document holds
//! exactly the routed operations (`tests/api/openapi.rs` compares it with what the server
//! answers), so it is the table of what each path takes.

use actix_web::{dev::ResourceDef, http::Method, web, HttpRequest, HttpResponse};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Each documented path (as an actix pattern: `/api/v1/members/{id}`) and the methods it takes.
#[derive(Debug, Default)]
pub struct AllowedMethods {
    paths: Vec<(ResourceDef, Vec<Method>)>,
}

impl AllowedMethods {
    pub fn from_document(doc: &OpenApi) -> AllowedMethods {
        let paths = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                    (Method::OPTIONS, &item.options),
                    (Method::HEAD, &item.head),
                    (Method::TRACE, &item.trace),
                ]
                .into_iter()
                .filter_map(|(method, operation)| operation.as_ref().map(|_| method))
                .collect();
                (ResourceDef::new(pattern(path, item)), methods)
            })
            .collect();
        AllowedMethods { paths }
    }

    /// The methods some route takes at `path` (every pattern it matches: `/users/sync` is also
    /// a `/users/{id}`), or `None` when no route has that path. A path documented as it is
    /// (`/voice-profiles/choices`) takes only its own methods: the pattern it also matches
    /// (`/voice-profiles/{id}`) is routed for ids only.
    pub fn at(&self, path: &str) -> Option<Vec<Method>> {
        let exact = self
            .paths
            .iter()
            .any(|(pattern, _)| is_static(pattern) && pattern.is_match(path));
        let mut allowed: Vec<Method> = Vec::new();
        let mut matched = false;
        for (pattern, methods) in &self.paths {
            if pattern.is_match(path) && (!exact || is_static(pattern)) {
                matched = true;
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        matched.then(|| {
            allowed.sort_by_key(|m| ORDER.iter().position(|o| o == m));
            allowed
        })
    }
}

/// The actix pattern of a documented path: a path parameter documented as a UUID matches
/// GUID-like segments only, as its route does, so `/voice-profiles/null` is a 404 (no such
/// path), not a 405 of `/voice-profiles/{id}`.
fn pattern(path: &str, item: &utoipa::openapi::PathItem) -> String {
    let item = serde_json::to_value(item).unwrap_or_default();
    let operations = item.as_object().into_iter().flat_map(|o| o.values());
    let uuids: Vec<String> = operations
        .filter_map(|op| op.get("parameters")?.as_array().cloned())
        .flatten()
        .filter(|p| p["in"] == "path" && p["schema"]["format"] == "uuid")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut pattern = path.to_owned();
    for name in uuids {
        pattern = pattern.replace(&format!("{{{name}}}"), &format!("{{{name}:[0-9a-fA-F-]+}}"));
    }
    pattern
}

/// A pattern without parameters: one path only.
fn is_static(pattern: &ResourceDef) -> bool {
    pattern.pattern().is_some_and(|p| !p.contains('{'))
}

/// The order `Allow` lists methods in.
const ORDER: [Method; 8] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
    Method::HEAD,
    Method::TRACE,
];

/// What no handler took: 405 with `Allow` on a path that is served with other methods, or else
/// `not_found`.
pub fn not_taken(
    req: &HttpRequest,
    table: Option<web::Data<AllowedMethods>>,
    not_found: &str,
) -> Result<HttpResponse, ApiError> {
    match table.and_then(|t| t.at(req.path())) {
        Some(allowed) if !allowed.is_empty() => Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow: allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Err(ApiError::NotFound(not_found.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    use super::*;

    #[test]
    fn a_path_takes_the_methods_of_every_pattern_it_matches() {
        let table = AllowedMethods::from_document(&crate::openapi::ApiDoc::openapi());
        let at = |path| {
            table
                .at(path)
                .map(|m| m.iter().map(Method::as_str).collect::<Vec<_>>().join(", "))
        };
        assert_eq!(at("/api/v1/members").as_deref(), Some("GET, POST"));
        assert_eq!(
            at("/api/v1/members/0b8c2a1e-0000-4000-8000-000000000000").as_deref(),
            Some("PATCH, DELETE")
        );
        // Both `/users/sync` and `/users/{id}`.
        assert_eq!(at("/api/v1/users/sync").as_deref(), Some("GET, POST"));
        // Only its own, not those of `/voice-profiles/{id}`.
        assert_eq!(at("/api/v1/voice-profiles/choices").as_deref(), Some("GET"));
        assert_eq!(
            at("/api/v1/voice-profiles/0b8c2a1e-0000-4000-8000-000000000000").as_deref(),
            Some("GET, PATCH, DELETE")
        );
        assert_eq!(at("/healthz").as_deref(), Some("GET"));
        assert_eq!(at("/api/v1/no-such-thing"), None);
        assert_eq!(at("/api/v1/members/a/b"), None);
    }
}
