//! Unit tests against a mock Microsoft (mockito) and, for hangs, a socket that never answers.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use futures_util::TryStreamExt as _;
use mockito::{Matcher, Mock, ServerGuard};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::*;

pub(super) const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
const TEAMS_ADMIN: &str = "baf37b3a-610e-45da-9e62-d9d1e5e8914b";
const SECRET: &str = "s3cr3t-value";

fn policy() -> CallPolicy {
    CallPolicy {
        request_timeout: Duration::from_millis(800),
        deadline: Duration::from_secs(3),
        max_attempts: 3,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        token_refresh_margin: Duration::from_secs(300),
    }
}

fn config(base: &str) -> ClientConfig {
    ClientConfig {
        login_url: base.to_owned(),
        graph_url: base.to_owned(),
        client_id: "app-client-id".to_owned(),
        client_secret: SecretString::from(SECRET),
    }
}

pub(super) fn client(server: &ServerGuard) -> MicrosoftClient {
    client_with(server, policy())
}

fn client_with(server: &ServerGuard, policy: CallPolicy) -> MicrosoftClient {
    MicrosoftClient::new(config(&server.url()), policy, None).unwrap()
}

/// An unsigned JWT whose payload carries app-token claims; `marker` tells tokens apart.
pub(super) fn jwt(tid: &str, marker: &str) -> String {
    let claims = json!({
        "aud": "https://graph.microsoft.com",
        "tid": tid,
        "oid": "sp-object-id",
        "appid": "app-client-id",
        "idtyp": "app",
        "roles": ["CrossTenantInformation.ReadBasic.All", "TeamSettings.ReadWrite.All"],
        "wids": [TEAMS_ADMIN],
        "exp": 1_900_000_000i64,
        "uti": marker,
    });
    format!(
        "{}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn token_path(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

fn token_json(access_token: &str) -> String {
    json!({"token_type": "Bearer", "expires_in": 3599, "access_token": access_token}).to_string()
}

pub(super) async fn token_mock(server: &mut ServerGuard, access_token: &str, hits: usize) -> Mock {
    server
        .mock("POST", token_path(TENANT).as_str())
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("client_id".into(), "app-client-id".into()),
            Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
            Matcher::UrlEncoded(
                "scope".into(),
                "https://graph.microsoft.com/.default".into(),
            ),
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
        ]))
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(token_json(access_token))
        .expect(hits)
        .create_async()
        .await
}

fn identity_error(error: &str, code: u32, description: &str) -> String {
    json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}"),
        "error_codes": [code],
        "timestamp": "2025-01-01 00:00:00Z",
        "trace_id": "t",
        "correlation_id": "c",
    })
    .to_string()
}

pub(super) fn graph_error(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message, "innerError": {"request-id": "r"}}})
        .to_string()
}

fn tenant_info_path() -> String {
    format!("/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{TENANT}')")
}

fn tenant_info_json() -> String {
    json!({
        "tenantId": TENANT,
        "displayName": "Contoso",
        "defaultDomainName": "contoso.onmicrosoft.com",
        "federationBrandName": null,
    })
    .to_string()
}

async fn tenant_info_mock(
    server: &mut ServerGuard,
    status: usize,
    body: &str,
    hits: usize,
) -> Mock {
    server
        .mock("GET", tenant_info_path().as_str())
        .with_status(status)
        .with_header("content-type", "application/json")
        .with_body(body)
        .expect(hits)
        .create_async()
        .await
}

// ---- tokens ----

#[tokio::test]
async fn token_is_fetched_once_then_cached() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt(TENANT, "a");
    let mock = token_mock(&mut server, &token, 1).await;
    let client = client(&server);

    let first = client.app_token(TENANT).await.unwrap();
    let second = client.app_token(TENANT).await.unwrap();

    mock.assert_async().await;
    assert_eq!(first.access_token.expose_secret(), token);
    assert_eq!(second.access_token.expose_secret(), token);
    assert!(first.expires_at > Instant::now() + Duration::from_secs(3500));
}

#[tokio::test]
async fn concurrent_callers_for_one_tenant_share_one_request() {
    let mut server = mockito::Server::new_async().await;
    let body = token_json(&jwt(TENANT, "a"));
    let mock = server
        .mock("POST", token_path(TENANT).as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        // A slow answer, so every caller arrives while the first request is in flight.
        .with_chunked_body(move |w| {
            std::thread::sleep(Duration::from_millis(200));
            w.write_all(body.as_bytes())
        })
        .expect(1)
        .create_async()
        .await;
    let client = client(&server);

    let results = futures_util::future::join_all((0..6).map(|_| client.app_token(TENANT))).await;

    mock.assert_async().await;
    assert_eq!(results.len(), 6);
    for result in results {
        assert_eq!(result.unwrap().claims.tid, TENANT);
    }
}

#[tokio::test]
async fn fresh_app_token_bypasses_and_replaces_the_cache() {
    let mut server = mockito::Server::new_async().await;
    let old = jwt(TENANT, "old");
    let new = jwt(TENANT, "new");
    let first = token_mock(&mut server, &old, 1).await;
    let second = token_mock(&mut server, &new, 1).await;
    let client = client(&server);

    assert_eq!(
        client
            .app_token(TENANT)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        old
    );
    assert_eq!(
        client
            .fresh_app_token(TENANT)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        new
    );
    // The cache now holds the fresh token: no third request.
    assert_eq!(
        client
            .app_token(TENANT)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        new
    );

    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn token_near_expiry_is_not_reused() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({"token_type": "Bearer", "expires_in": 60, "access_token": jwt(TENANT, "a")});
    let mock = server
        .mock("POST", token_path(TENANT).as_str())
        .with_status(200)
        .with_body(body.to_string())
        .expect(2)
        .create_async()
        .await;
    let client = client(&server); // margin 300 s > 60 s lifetime

    client.app_token(TENANT).await.unwrap();
    client.app_token(TENANT).await.unwrap();

    mock.assert_async().await;
}

#[test]
fn claims_are_read_from_the_token_payload() {
    let claims = tokens::decode_claims(&jwt(TENANT, "a")).unwrap();
    assert_eq!(claims.tid, TENANT);
    assert_eq!(claims.oid, "sp-object-id");
    assert_eq!(claims.appid, "app-client-id");
    assert_eq!(claims.idtyp.as_deref(), Some("app"));
    assert_eq!(
        claims.roles,
        [
            "CrossTenantInformation.ReadBasic.All",
            "TeamSettings.ReadWrite.All"
        ]
    );
    assert_eq!(claims.wids, [TEAMS_ADMIN]);
    assert_eq!(claims.exp, 1_900_000_000);

    // Without roles or wids (no permission, no role): empty, not an error.
    let bare = json!({"tid": "t", "oid": "o", "appid": "a", "exp": 1});
    let token = format!("h.{}.s", URL_SAFE_NO_PAD.encode(bare.to_string()));
    let claims = tokens::decode_claims(&token).unwrap();
    assert!(claims.roles.is_empty() && claims.wids.is_empty() && claims.idtyp.is_none());
}

#[test]
fn malformed_token_payloads_are_refused() {
    for token in [
        "not-a-jwt".to_owned(),
        "h.!!!not base64!!!.s".to_owned(),
        format!("h.{}.s", URL_SAFE_NO_PAD.encode("not json")),
        format!(
            "h.{}.s",
            URL_SAFE_NO_PAD.encode(r#"{"oid":"o","appid":"a","exp":1}"#)
        ),
    ] {
        let err = tokens::decode_claims(&token).unwrap_err();
        assert!(matches!(err, MsError::Malformed(_)), "{token}: {err:?}");
    }
}

#[tokio::test]
async fn token_answer_with_an_opaque_token_is_malformed() {
    let mut server = mockito::Server::new_async().await;
    let mock = token_mock(&mut server, "opaque-token-value", 1).await;

    let err = client(&server).app_token(TENANT).await.unwrap_err();

    mock.assert_async().await;
    let MsError::Malformed(detail) = err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert!(!detail.contains("opaque-token-value"));
}

#[tokio::test]
async fn identity_errors_are_typed_and_not_retried() {
    let cases = [
        (
            400,
            "unauthorized_client",
            700016,
            "Application with identifier was not found.",
        ),
        (
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        ),
        (
            401,
            "invalid_client",
            7000222,
            "The provided client secret keys are expired.",
        ),
        (400, "invalid_tenant", 90002, "Tenant not found."),
    ];
    for (status, error, code, description) in cases {
        let mut server = mockito::Server::new_async().await;
        let mock = server
            .mock("POST", token_path(TENANT).as_str())
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(identity_error(error, code, description))
            .expect(1)
            .create_async()
            .await;

        let err = client(&server).app_token(TENANT).await.unwrap_err();

        mock.assert_async().await;
        assert_eq!(err.aadsts(), Some(code), "{err:?}");
        match err {
            MsError::Identity {
                status: got_status,
                error: got_error,
                description: got_description,
                ..
            } => {
                assert_eq!(usize::from(got_status), status);
                assert_eq!(got_error, error);
                assert!(got_description.ends_with(description));
            }
            other => panic!("expected Identity, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn identity_error_code_falls_back_to_the_description() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", token_path(TENANT).as_str())
        .with_status(400)
        .with_body(
            r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant not found."}"#,
        )
        .create_async()
        .await;

    let err = client(&server).app_token(TENANT).await.unwrap_err();

    assert_eq!(err.aadsts(), Some(90002));
}

// ---- the call loop ----

#[tokio::test]
async fn throttled_then_success_waits_for_retry_after() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let throttled = server
        .mock("GET", tenant_info_path().as_str())
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(graph_error("TooManyRequests", "slow down"))
        .expect(1)
        .create_async()
        .await;
    let ok = tenant_info_mock(&mut server, 200, &tenant_info_json(), 1).await;
    let client = client(&server);

    let started = Instant::now();
    let info = client.tenant_information(TENANT).await.unwrap();
    let elapsed = started.elapsed();

    throttled.assert_async().await;
    ok.assert_async().await;
    assert_eq!(info.display_name, "Contoso");
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_is_throttled_at_once() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let throttled = server
        .mock("GET", tenant_info_path().as_str())
        .with_status(429)
        .with_header("retry-after", "120")
        .expect(1)
        .create_async()
        .await;

    let started = Instant::now();
    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    throttled.assert_async().await;
    assert!(started.elapsed() < Duration::from_millis(700));
    match err {
        MsError::Throttled { retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn service_unavailable_honours_retry_after() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let unavailable = server
        .mock("GET", tenant_info_path().as_str())
        .with_status(503)
        .with_header("retry-after", "1")
        .expect(1)
        .create_async()
        .await;
    let ok = tenant_info_mock(&mut server, 200, &tenant_info_json(), 1).await;

    let started = Instant::now();
    client(&server).tenant_information(TENANT).await.unwrap();
    let elapsed = started.elapsed();

    unavailable.assert_async().await;
    ok.assert_async().await;
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
}

#[tokio::test]
async fn throttled_until_attempts_run_out() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let throttled = server
        .mock("GET", tenant_info_path().as_str())
        .with_status(429) // no Retry-After: backoff
        .expect(3)
        .create_async()
        .await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    throttled.assert_async().await;
    assert!(
        matches!(err, MsError::Throttled { retry_after: None }),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_retry_until_attempts_run_out() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let failing = tenant_info_mock(
        &mut server,
        500,
        &graph_error("generalException", "boom"),
        3, // max_attempts
    )
    .await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    failing.assert_async().await;
    match err {
        MsError::Unavailable { status, detail } => {
            assert_eq!(status, Some(500));
            assert!(detail.contains("generalException"), "{detail}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn gateway_timeout_then_success() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let gateway = tenant_info_mock(&mut server, 504, "", 1).await;
    let ok = tenant_info_mock(&mut server, 200, &tenant_info_json(), 1).await;

    client(&server).tenant_information(TENANT).await.unwrap();

    gateway.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn bad_request_is_never_retried() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let bad = tenant_info_mock(&mut server, 400, &graph_error("BadRequest", "no"), 1).await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    bad.assert_async().await;
    assert_eq!(err.graph_code(), Some("BadRequest"));
}

#[tokio::test]
async fn forbidden_is_a_typed_graph_error() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let denied = tenant_info_mock(
        &mut server,
        403,
        &graph_error("Authorization_RequestDenied", "Insufficient privileges."),
        1,
    )
    .await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    denied.assert_async().await;
    assert_eq!(err.graph_code(), Some("Authorization_RequestDenied"));
    assert!(matches!(err, MsError::Graph { status: 403, .. }), "{err:?}");
}

#[tokio::test]
async fn stale_token_is_replaced_and_the_call_retried_once() {
    let mut server = mockito::Server::new_async().await;
    let stale = jwt(TENANT, "stale");
    let fresh = jwt(TENANT, "fresh");
    let first_token = token_mock(&mut server, &stale, 1).await;
    let second_token = token_mock(&mut server, &fresh, 1).await;
    let refused = server
        .mock("GET", tenant_info_path().as_str())
        .match_header("authorization", format!("Bearer {stale}").as_str())
        .with_status(401)
        .with_body(graph_error(
            "InvalidAuthenticationToken",
            "Access token has expired.",
        ))
        .expect(1)
        .create_async()
        .await;
    let accepted = server
        .mock("GET", tenant_info_path().as_str())
        .match_header("authorization", format!("Bearer {fresh}").as_str())
        .with_status(200)
        .with_body(tenant_info_json())
        .expect(2)
        .create_async()
        .await;
    let client = client(&server);

    client.tenant_information(TENANT).await.unwrap();
    // The replacement is cached.
    client.tenant_information(TENANT).await.unwrap();

    first_token.assert_async().await;
    second_token.assert_async().await;
    refused.assert_async().await;
    accepted.assert_async().await;
}

#[tokio::test]
async fn a_token_refused_twice_is_an_error_after_one_retry() {
    let mut server = mockito::Server::new_async().await;
    let tokens = token_mock(&mut server, &jwt(TENANT, "a"), 2).await;
    let refused = tenant_info_mock(
        &mut server,
        401,
        &graph_error("InvalidAuthenticationToken", "nope"),
        2,
    )
    .await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    tokens.assert_async().await;
    refused.assert_async().await;
    assert_eq!(err.graph_code(), Some("InvalidAuthenticationToken"));
}

#[tokio::test]
async fn hanging_server_ends_at_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let hang = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket); // never read, never answered
        }
    });
    let policy = CallPolicy {
        request_timeout: Duration::from_millis(150),
        deadline: Duration::from_millis(500),
        max_attempts: 10,
        ..policy()
    };
    let client = MicrosoftClient::new(config(&base), policy, None).unwrap();

    let started = Instant::now();
    let err = client.app_token(TENANT).await.unwrap_err();
    let elapsed = started.elapsed();
    hang.abort();

    assert!(matches!(err, MsError::DeadlineExceeded), "{err:?}");
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(800), "{elapsed:?}");
    // Each attempt timed out and was retried on a new connection.
    assert!(accepted.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn per_attempt_timeouts_until_attempts_run_out_are_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hang = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let policy = CallPolicy {
        request_timeout: Duration::from_millis(100),
        deadline: Duration::from_secs(5),
        max_attempts: 2,
        ..policy()
    };
    let client = MicrosoftClient::new(config(&base), policy, None).unwrap();

    let started = Instant::now();
    let err = client.app_token(TENANT).await.unwrap_err();
    hang.abort();

    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(err, MsError::Unavailable { status: None, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = MicrosoftClient::new(config(&base), policy(), None).unwrap();

    let err = client.app_token(TENANT).await.unwrap_err();

    assert!(
        matches!(err, MsError::Unavailable { status: None, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_malformed_and_not_retried() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let broken = tenant_info_mock(&mut server, 200, "<html>not json</html>", 1).await;

    let err = client(&server)
        .tenant_information(TENANT)
        .await
        .unwrap_err();

    broken.assert_async().await;
    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

#[test]
fn retry_after_accepts_seconds_and_http_dates() {
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
    assert_eq!(retry::retry_after(&headers), Some(Duration::from_secs(7)));

    let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(60)).to_rfc2822();
    headers.insert(RETRY_AFTER, HeaderValue::from_str(&in_a_minute).unwrap());
    let wait = retry::retry_after(&headers).unwrap();
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );

    headers.insert(
        RETRY_AFTER,
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry::retry_after(&headers), Some(Duration::ZERO));

    headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(retry::retry_after(&headers), None);
}

// ---- Graph calls ----

pub(super) fn user(n: usize) -> serde_json::Value {
    json!({
        "id": format!("user-{n}"),
        "userPrincipalName": format!("user{n}@contoso.com"),
        "displayName": format!("User {n}"),
        "usageLocation": "US",
        "accountEnabled": true,
        "assignedLicenses": [{"skuId": "sku-1", "disabledPlans": []}],
        "businessPhones": [],
    })
}

#[tokio::test]
async fn users_follow_next_link_across_three_pages() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let base = server.url();
    let first = server
        .mock("GET", "/v1.0/users")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded(
                "$select".into(),
                "id,userPrincipalName,displayName,usageLocation,accountEnabled,assignedLicenses,businessPhones,assignedPlans".into(),
            ),
            Matcher::UrlEncoded("$top".into(), "999".into()),
        ]))
        .with_status(200)
        .with_body(
            json!({"value": [user(1), user(2)], "@odata.nextLink": format!("{base}/v1.0/users?$skiptoken=page2")})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let second = server
        .mock("GET", "/v1.0/users")
        .match_query(Matcher::UrlEncoded("$skiptoken".into(), "page2".into()))
        .with_status(200)
        .with_body(
            json!({"value": [user(3), user(4)], "@odata.nextLink": format!("{base}/v1.0/users?$skiptoken=page3")})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let third = server
        .mock("GET", "/v1.0/users")
        .match_query(Matcher::UrlEncoded("$skiptoken".into(), "page3".into()))
        .with_status(200)
        .with_body(json!({"value": [user(5)]}).to_string())
        .expect(1)
        .create_async()
        .await;
    let client = client(&server);

    let pages: Vec<Vec<GraphUser>> = client.users(TENANT).try_collect().await.unwrap();

    first.assert_async().await;
    second.assert_async().await;
    third.assert_async().await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let ids: Vec<&str> = pages.iter().flatten().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["user-1", "user-2", "user-3", "user-4", "user-5"]);
    let u = &pages[0][0];
    assert_eq!(u.user_principal_name, "user1@contoso.com");
    assert_eq!(u.usage_location.as_deref(), Some("US"));
    assert_eq!(u.account_enabled, Some(true));
    assert_eq!(u.assigned_licenses[0].sku_id, "sku-1");
}

#[tokio::test]
async fn next_link_off_graph_is_refused() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("GET", "/v1.0/users")
        .match_query(Matcher::Any)
        .with_status(200)
        .with_body(
            json!({"value": [user(1)], "@odata.nextLink": "https://attacker.example/v1.0/users?$skiptoken=x"})
                .to_string(),
        )
        .create_async()
        .await;
    let client = client(&server);

    let pages: Vec<_> = futures_util::StreamExt::collect(client.users(TENANT)).await;

    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].as_ref().unwrap().len(), 1);
    assert!(
        matches!(pages[1], Err(MsError::Malformed(_))),
        "{:?}",
        pages[1]
    );
}

#[tokio::test]
async fn number_assignments_filter_and_paging() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let path = "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments";
    let filter = "telephoneNumber eq '+14255550100'";
    let number = |n: &str, status: &str| {
        json!({
            "id": format!("id-{n}"),
            "telephoneNumber": n,
            "numberType": "directRouting",
            "activationState": "activated",
            "assignmentStatus": status,
            "assignmentCategory": "primary",
            "assignmentTargetId": "user-1",
            "capabilities": ["userAssignment"],
            "locationId": null,
            "isoCountryCode": "US",
            "city": "Redmond",
            "numberSource": "online",
        })
    };
    let first = server
        .mock("GET", path)
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("$filter".into(), filter.into()),
            Matcher::UrlEncoded("$top".into(), "1000".into()),
        ]))
        .with_status(200)
        .with_body(
            json!({
                "value": [number("+14255550100", "userAssigned")],
                "@odata.nextLink": format!("{}{path}?$skiptoken=2", server.url()),
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let second = server
        .mock("GET", path)
        .match_query(Matcher::UrlEncoded("$skiptoken".into(), "2".into()))
        .with_status(200)
        .with_body(json!({"value": [number("+14255550101", "someFutureStatus")]}).to_string())
        .expect(1)
        .create_async()
        .await;

    let numbers = client(&server)
        .number_assignments(TENANT, Some(filter))
        .await
        .unwrap();

    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(numbers.len(), 2);
    assert_eq!(numbers[0].telephone_number, "+14255550100");
    assert_eq!(numbers[0].number_type, NumberType::DirectRouting);
    assert_eq!(
        numbers[0].activation_state,
        Some(ActivationState::Activated)
    );
    assert_eq!(
        numbers[0].assignment_status,
        Some(AssignmentStatus::UserAssigned)
    );
    assert_eq!(
        numbers[0].assignment_category,
        Some(AssignmentCategory::Primary)
    );
    assert_eq!(
        numbers[1].assignment_status,
        Some(AssignmentStatus::Other("someFutureStatus".to_owned()))
    );
}

#[tokio::test]
async fn assign_number_returns_the_operation_and_its_status_parses() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let operation_path = "/v1.0/admin/teams/telephoneNumberManagement/operations('op-42')";
    let location = format!("{}{operation_path}", server.url());
    let assign = server
        .mock(
            "POST",
            "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber",
        )
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({
            "telephoneNumber": "+14255550100",
            "assignmentTargetId": "user-1",
            "numberType": "directRouting",
            "assignmentCategory": "primary",
        })))
        .with_status(202)
        .with_header("location", &location)
        .expect(1)
        .create_async()
        .await;
    let poll = server
        .mock("GET", operation_path)
        .with_status(200)
        .with_body(
            json!({
                "id": "op-42",
                "createdDateTime": "2025-01-01T00:00:00Z",
                "status": "running",
                "numbers": [
                    {"resourceLocation": "+14255550100", "status": "succeeded", "statusDetail": null},
                    {"resourceLocation": "+14255550101", "status": "somethingNew"},
                ],
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let client = client(&server);
    let request = AssignNumber {
        telephone_number: "+14255550100".to_owned(),
        assignment_target_id: "user-1".to_owned(),
        number_type: NumberType::DirectRouting,
        assignment_category: AssignmentCategory::Primary,
        location_id: None,
    };

    let reference = client.assign_number(TENANT, &request).await.unwrap();
    let operation = client.operation(TENANT, &reference).await.unwrap();

    assign.assert_async().await;
    poll.assert_async().await;
    assert_eq!(reference.id, "op-42");
    assert_eq!(reference.url, location);
    assert_eq!(operation.status, OperationStatus::Running);
    assert!(!operation.status.is_final());
    assert_eq!(operation.numbers[0].status, OperationStatus::Succeeded);
    assert_eq!(
        operation.numbers[1].status,
        OperationStatus::Other("somethingNew".to_owned())
    );
}

#[tokio::test]
async fn unassign_and_update_send_their_bodies() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    let unassign = server
        .mock(
            "POST",
            "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/unassignNumber",
        )
        .match_body(Matcher::Json(
            json!({"telephoneNumber": "+14255550100", "numberType": "directRouting"}),
        ))
        .with_status(202)
        // A relative Location is resolved against Graph.
        .with_header(
            "location",
            "/v1.0/admin/teams/telephoneNumberManagement/operations/op-7",
        )
        .expect(1)
        .create_async()
        .await;
    let update = server
        .mock(
            "POST",
            "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/updateNumber",
        )
        .match_body(Matcher::Json(
            json!({"telephoneNumber": "+14255550100", "locationId": "loc-1"}),
        ))
        .with_status(200)
        .expect(1)
        .create_async()
        .await;
    let client = client(&server);

    let reference = client
        .unassign_number(TENANT, "+14255550100", NumberType::DirectRouting)
        .await
        .unwrap();
    client
        .update_number(TENANT, "+14255550100", Some("loc-1"))
        .await
        .unwrap();

    unassign.assert_async().await;
    update.assert_async().await;
    assert_eq!(reference.id, "op-7");
    assert!(reference.url.starts_with(&server.url()));
}

#[tokio::test]
async fn accepted_without_location_is_malformed() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock(
            "POST",
            "/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/unassignNumber",
        )
        .with_status(202)
        .create_async()
        .await;

    let err = client(&server)
        .unassign_number(TENANT, "+14255550100", NumberType::DirectRouting)
        .await
        .unwrap_err();

    assert!(matches!(err, MsError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn organization_and_user_configuration_parse() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    server
        .mock("GET", "/v1.0/organization")
        .with_status(200)
        .with_body(
            json!({"value": [{
                "id": TENANT,
                "displayName": "Contoso",
                "verifiedDomains": [{"name": "contoso.com", "isDefault": true, "isInitial": false, "type": "Managed"}],
                "countryLetterCode": "US",
            }]})
            .to_string(),
        )
        .create_async()
        .await;
    server
        .mock("GET", "/v1.0/admin/teams/userConfigurations/user-1")
        .with_status(200)
        .with_body(
            json!({
                "id": "user-1",
                "userPrincipalName": "user1@contoso.com",
                "isEnterpriseVoiceEnabled": true,
                "telephoneNumbers": [{"telephoneNumber": "+14255550100", "assignmentCategory": "primary"}],
                "accountType": "user",
            })
            .to_string(),
        )
        .create_async()
        .await;
    let client = client(&server);

    let org = client.organization(TENANT).await.unwrap();
    let config = client.user_configuration(TENANT, "user-1").await.unwrap();

    assert_eq!(org.display_name, "Contoso");
    assert_eq!(org.verified_domains[0].name, "contoso.com");
    assert_eq!(org.country_letter_code.as_deref(), Some("US"));
    assert!(config.is_enterprise_voice_enabled);
    assert_eq!(config.telephone_numbers[0].telephone_number, "+14255550100");
    assert_eq!(
        config.telephone_numbers[0].assignment_category,
        Some(AssignmentCategory::Primary)
    );
}

// ---- metrics, configuration, secrets ----

#[tokio::test]
async fn metrics_count_retries_and_outcomes() {
    let mut server = mockito::Server::new_async().await;
    token_mock(&mut server, &jwt(TENANT, "a"), 1).await;
    tenant_info_mock(&mut server, 500, "", 1).await;
    tenant_info_mock(&mut server, 200, &tenant_info_json(), 1).await;
    let registry = prometheus::Registry::new();
    let client = MicrosoftClient::new(config(&server.url()), policy(), Some(&registry)).unwrap();

    client.tenant_information(TENANT).await.unwrap();

    let mut text = Vec::new();
    prometheus::Encoder::encode(
        &prometheus::TextEncoder::new(),
        &registry.gather(),
        &mut text,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    for line in [
        r#"microsoft_calls_total{endpoint="token",outcome="ok"} 1"#,
        r#"microsoft_calls_total{endpoint="tenant_information",outcome="retry"} 1"#,
        r#"microsoft_calls_total{endpoint="tenant_information",outcome="ok"} 1"#,
        r#"microsoft_call_duration_seconds_count{endpoint="tenant_information"} 1"#,
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
}

#[test]
fn bad_base_urls_are_configuration_errors() {
    for base in [
        "not a url",
        "ftp://login.example",
        "https://login.example/?x=1",
    ] {
        let err = MicrosoftClient::new(config(base), policy(), None).unwrap_err();
        assert!(matches!(err, MsError::Config(_)), "{base}: {err:?}");
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let mut server = mockito::Server::new_async().await;
    let token = jwt(TENANT, "a");
    token_mock(&mut server, &token, 1).await;
    let client = client(&server);
    let app_token = client.app_token(TENANT).await.unwrap();

    for text in [
        format!("{:?}", config(&server.url())),
        format!("{client:?}"),
        format!("{app_token:?}"),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(&token), "{text}");
    }
    assert!(format!("{app_token:?}").contains(TENANT));
}

// ---- admin consent ----

#[tokio::test]
async fn admin_consent_url_is_encoded_exactly() {
    let client =
        MicrosoftClient::new(config("https://login.microsoftonline.com"), policy(), None).unwrap();

    let url = client.admin_consent_url(
        "organizations",
        "https://portal.example.com/api/v1/consent/callback",
        "st ate/+=&",
    );

    assert_eq!(
        url,
        "https://login.microsoftonline.com/organizations/v2.0/adminconsent\
         ?client_id=app-client-id\
         &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default\
         &redirect_uri=https%3A%2F%2Fportal.example.com%2Fapi%2Fv1%2Fconsent%2Fcallback\
         &state=st+ate%2F%2B%3D%26"
    );
    assert!(client
        .admin_consent_url(TENANT, "https://p", "s")
        .starts_with(&format!(
            "https://login.microsoftonline.com/{TENANT}/v2.0/adminconsent?"
        )));
}

#[test]
fn consent_granted() {
    let outcome = parse_consent_callback(&format!(
        "admin_consent=True&tenant={TENANT}&scope=https%3a%2f%2fgraph.microsoft.com%2f.default&state=abc123"
    ));
    assert_eq!(
        outcome,
        ConsentOutcome::Granted {
            tenant: TENANT.to_owned(),
            state: "abc123".to_owned()
        }
    );
    assert!(matches!(
        parse_consent_callback("admin_consent=true&tenant=t&state=s"),
        ConsentOutcome::Granted { .. }
    ));
}

#[test]
fn consent_cancelled_by_the_admin() {
    let outcome = parse_consent_callback(
        "error=access_denied&error_description=AADSTS65004%3a+The+resource+owner+or+authorization+server+denied+the+request.&state=abc",
    );
    assert_eq!(
        outcome,
        ConsentOutcome::Declined {
            state: Some("abc".to_owned()),
            code: Some(65004),
            description:
                "AADSTS65004: The resource owner or authorization server denied the request."
                    .to_owned(),
        }
    );
}

/// "Back to app" from Microsoft's "Need admin approval" page carries `error_subcode=cancel`:
/// without AADSTS90094/90095 it is a cancellation, never "Need admin approval".
#[test]
fn consent_cancel_subcode_without_approval_codes_is_cancelled() {
    for query in [
        "error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.&state=abc",
        "error=access_denied&error_subcode=cancel&state=abc",
        "error=server_error&error_subcode=Cancel&error_description=Something+else.&state=abc",
    ] {
        let outcome = parse_consent_callback(query);
        assert!(
            matches!(&outcome, ConsentOutcome::Declined { state: Some(s), .. } if s == "abc"),
            "{query}: {outcome:?}"
        );
    }
}

#[test]
fn consent_cancel_subcode_with_an_approval_code_needs_approval() {
    let outcome = parse_consent_callback(
        "error=access_denied&error_subcode=cancel&error_description=AADSTS90094%3A+Admin+consent+is+required.&state=abc",
    );
    assert!(
        matches!(
            &outcome,
            ConsentOutcome::ApprovalRequired {
                code: Some(90094),
                ..
            }
        ),
        "{outcome:?}"
    );
}

/// AADSTS65004 is a cancellation whatever `error` Microsoft sends with it.
#[test]
fn consent_65004_is_cancelled_whatever_the_error_value() {
    for error in [
        "access_denied",
        "consent_required",
        "invalid_request",
        "interaction_required",
    ] {
        let outcome = parse_consent_callback(&format!(
            "error={error}&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.&state=abc"
        ));
        assert!(
            matches!(
                &outcome,
                ConsentOutcome::Declined {
                    code: Some(65004),
                    ..
                }
            ),
            "{error}: {outcome:?}"
        );
    }
}

#[test]
fn consent_need_admin_approval() {
    for code in [90094, 90095] {
        let outcome = parse_consent_callback(&format!(
            "error=access_denied&error_description=AADSTS{code}%3A+Admin+consent+is+required.&state=abc"
        ));
        assert!(
            matches!(outcome, ConsentOutcome::ApprovalRequired { code: Some(c), .. } if c == code),
            "{outcome:?}"
        );
    }
}

#[test]
fn consent_other_error_keeps_its_code() {
    let outcome = parse_consent_callback(
        "error=invalid_request&error_description=AADSTS50011%3A+The+redirect+URI+does+not+match.&error_uri=https%3A%2F%2Flogin.microsoftonline.com%2Ferror&state=abc",
    );
    assert_eq!(
        outcome,
        ConsentOutcome::Failed {
            state: Some("abc".to_owned()),
            error: "invalid_request".to_owned(),
            code: Some(50011),
            description: "AADSTS50011: The redirect URI does not match.".to_owned(),
        }
    );
}

/// Microsoft's real error redirects also carry `admin_consent=True` (CONTRACT section 1):
/// the error decides.
#[test]
fn consent_error_redirects_in_microsofts_real_shape() {
    let cancel = parse_consent_callback(
        "error=access_denied&error_description=AADSTS65004%3a+User+declined+to+consent+to+access+the+app.%0d%0aTrace+ID%3a+x%0d%0aCorrelation+ID%3a+y&error_uri=https%3a%2f%2flogin.microsoftonline.com%2ferror%3fcode%3d65004&admin_consent=True&state=abc",
    );
    assert!(
        matches!(&cancel, ConsentOutcome::Declined { state: Some(s), code: Some(65004), .. } if s == "abc"),
        "{cancel:?}"
    );
    let other_directory = parse_consent_callback(
        "error=access_denied&error_description=AADSTS50020%3a+User+account+%27a%40b.com%27+from+identity+provider+%27live.com%27+does+not+exist+in+tenant+%27Contoso%27.&error_uri=https%3a%2f%2flogin.microsoftonline.com%2ferror%3fcode%3d50020&admin_consent=True&state=abc",
    );
    assert!(
        matches!(&other_directory, ConsentOutcome::WrongAccount { state: Some(s), .. } if s == "abc"),
        "{other_directory:?}"
    );
    let back_to_app = parse_consent_callback(
        "error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3a+User+declined.&admin_consent=True&state=abc",
    );
    assert!(
        matches!(back_to_app, ConsentOutcome::Declined { .. }),
        "{back_to_app:?}"
    );
    // An error never reads as a grant, whatever else the URL says.
    let both = parse_consent_callback(
        "admin_consent=True&tenant=t&state=s&error=server_error&error_description=AADSTS90033%3a+no",
    );
    assert!(
        matches!(
            both,
            ConsentOutcome::Failed {
                code: Some(90033),
                ..
            }
        ),
        "{both:?}"
    );
}

#[test]
fn consent_without_state_or_parameters_is_invalid() {
    for query in [
        "admin_consent=True&tenant=t",
        "admin_consent=True&tenant=t&state=",
        "admin_consent=True&state=s",
        "admin_consent=False&tenant=t&state=s",
        "state=s",
        "",
        "admin_consent=True&tenant=t&state=s&state=other",
    ] {
        let outcome = parse_consent_callback(query);
        assert!(
            matches!(outcome, ConsentOutcome::Invalid { .. }),
            "{query}: {outcome:?}"
        );
    }
}

#[test]
fn aadsts_codes_are_read_from_descriptions() {
    assert_eq!(
        aadsts_code("AADSTS65004: User declined to consent."),
        Some(65004)
    );
    assert_eq!(
        aadsts_code("AADSTS7000215: Invalid client secret."),
        Some(7000215)
    );
    assert_eq!(
        aadsts_code("Error: AADSTS90002: Tenant not found"),
        Some(90002)
    );
    assert_eq!(aadsts_code("no code here"), None);
    assert_eq!(aadsts_code("AADSTS: missing digits"), None);
}
