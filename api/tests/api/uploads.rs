//! Uploads are bounded (issue 22): a bulk request or a load of numbers is read only up to its
//! row limit, its bad rows are answered with the first 100 and their count (not with an echo of
//! the file), a bulk request has a smaller byte limit, a row's location keeps the bounds of the
//! `location` filter, an account's inventory has a quota and its loads a rate limit (held in
//! the database, so across processes), and the billing CSV keeps tenant text from running as a
//! formula.

use reqwest::{header, Method, Response, StatusCode};
use serde_json::json;
use shared::{
    directory::ServiceState,
    jobs::JobKind,
    numbers::{LoadedNumbers, NumberBlock},
    problem::Problem,
};

use crate::{
    helpers::{assert_problem, TestAccount, TestApp},
    telephony_support::{licensed_users, spawn_telephony, Connected},
};

/// The row limits, as the API documents them.
const BULK_ROWS: usize = 5_000;
const LOAD_ROWS: usize = 10_000;

/// A problem answer small enough to be read at once: a few KiB, whatever the upload held.
async fn small_problem(response: Response, status: StatusCode, code: &str) -> Problem {
    assert_eq!(response.status(), status);
    let body = response.bytes().await.unwrap();
    assert!(
        body.len() < 32 * 1024,
        "a {} byte answer: {}",
        body.len(),
        String::from_utf8_lossy(&body[..300])
    );
    let problem: Problem = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem.code, code, "{problem:?}");
    problem
}

async fn bulk_csv(app: &TestApp, token: &str, csv: String) -> Response {
    app.request(Method::POST, "/api/v1/phone-service/bulk", Some(token))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

async fn admin(app: &TestApp) -> TestAccount {
    app.account("Contoso Telephony", "admin@contoso.example")
        .await
}

async fn no_bulk_job(app: &TestApp) {
    assert!(app.job_rows_of(JobKind::BulkPhoneService).await.is_empty());
}

async fn blocks(app: &TestApp, token: &str) -> Vec<NumberBlock> {
    app.all_pages("/api/v1/number-blocks?limit=500", token)
        .await
}

async fn created(response: Response) -> LoadedNumbers {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A CSV of `rows` rows whose user is empty (`""`), each a bad row.
fn empty_users(rows: usize) -> String {
    let mut csv = String::from("user\n");
    for _ in 0..rows {
        csv.push_str("\"\"\n");
    }
    csv
}

#[tokio::test]
async fn a_bulk_csv_of_bad_rows_answers_the_first_hundred_and_their_count() {
    let app = spawn_telephony(&[]).await;
    let a = admin(&app).await;
    let problem = small_problem(
        bulk_csv(&app, &a.token, empty_users(BULK_ROWS)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    let rejected = problem.rejected.unwrap();
    let lines: Vec<u32> = rejected.iter().map(|r| r.line).collect();
    assert_eq!(
        lines,
        (2..102).collect::<Vec<u32>>(),
        "the first 100, by line"
    );
    assert_eq!(problem.rejected_count, Some(5_000));
    assert!(problem.detail.contains("5000 row(s)"), "{}", problem.detail);
    // A user with a control character is a bad row too, as in a JSON list.
    let problem = small_problem(
        bulk_csv(
            &app,
            &a.token,
            "user\nann@contoso.example\n\"b\0b\"\n".into(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    assert_eq!(problem.rejected.unwrap()[0].line, 3);
    assert_eq!(problem.rejected_count, Some(1));
    no_bulk_job(&app).await;
}

#[tokio::test]
async fn a_bulk_request_past_its_row_limit_is_refused_in_a_few_words() {
    let app = spawn_telephony(&[]).await;
    let a = admin(&app).await;
    // A thousand rows past the limit: reading stops at the first, and the answer says so.
    let problem = small_problem(
        bulk_csv(&app, &a.token, empty_users(BULK_ROWS + 1_000)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert!(problem.detail.contains("5000"), "{}", problem.detail);
    assert_eq!(problem.rejected, None);
    // The same limit for a JSON list.
    let users: Vec<String> = (0..=BULK_ROWS)
        .map(|i| format!("user{i}@contoso.example"))
        .collect();
    let problem = small_problem(
        app.post(
            "/api/v1/phone-service/bulk",
            Some(&a.token),
            &json!({ "users": users }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert!(problem.detail.contains("5000"), "{}", problem.detail);
    no_bulk_job(&app).await;
}

#[tokio::test]
async fn a_bulk_request_over_half_a_mebibyte_is_refused_whole() {
    let app = spawn_telephony(&[]).await;
    let a = admin(&app).await;
    // 4,000 well-formed users of 150 characters: under the row limit, over 512 KiB.
    let mut csv = String::from("user\n");
    for i in 0..4_000 {
        csv.push_str(&format!("{i:0>130}@contoso.example\n"));
    }
    assert!(csv.len() > 512 * 1024 && csv.len() < 1024 * 1024);
    assert_problem(
        bulk_csv(&app, &a.token, csv).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let users: Vec<String> = (0..4_000)
        .map(|i| format!("{i:0>130}@contoso.example"))
        .collect();
    assert_problem(
        app.post(
            "/api/v1/phone-service/bulk",
            Some(&a.token),
            &json!({ "users": users }),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    no_bulk_job(&app).await;
}

#[tokio::test]
async fn a_number_csv_of_bad_rows_answers_the_first_hundred_and_their_count() {
    let app = spawn_telephony(&[]).await;
    let a = admin(&app).await;
    let mut csv = String::from("number\n");
    for i in 0..LOAD_ROWS {
        csv.push_str(&format!("bad{i}\n"));
    }
    let problem = small_problem(
        app.load_csv(&a.token, "", &csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    let rejected = problem.rejected.unwrap();
    assert_eq!(rejected.len(), 100);
    assert_eq!((rejected[0].line, rejected[0].value.as_str()), (2, "bad0"));
    assert_eq!(rejected[99].line, 101);
    assert_eq!(problem.rejected_count, Some(10_000));

    // Loading the good rows only: the same cap in the answer, all of them counted.
    let mut csv = String::from("number\n");
    for i in 0..300 {
        csv.push_str(&format!("+1425555{:04}\nbad{i}\n", 100 + i));
    }
    let loaded = created(app.load_csv(&a.token, "?on_error=skip", &csv).await).await;
    assert_eq!(loaded.loaded, 300);
    assert_eq!(loaded.rejected.len(), 100);
    assert_eq!(loaded.rejected_count, 300);
    assert_eq!(loaded.rejected[0].line, 3);

    // A row past the limit refuses the file; nothing of it is loaded.
    let mut csv = String::from("number\n");
    for i in 0..=LOAD_ROWS {
        csv.push_str(&format!("+1206555{i:04}\n"));
    }
    small_problem(
        app.load_csv(&a.token, "", &csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(app.numbers(&a.token, "").await.len(), 300);
}

#[tokio::test]
async fn a_csv_rows_location_with_control_characters_is_a_bad_row_and_nothing_is_stored() {
    let app = spawn_telephony(&[]).await;
    let a = admin(&app).await;
    let long = "x".repeat(101);
    let csv = format!(
        "number,location\n\
         +14255550100,Seattle\n\
         +14255550101,\"Red\0mond\"\n\
         +14255550102,\"Bell\r\nevue\"\n\
         +14255550103,{long}\n\
         +14255550104,\n"
    );
    let problem = assert_problem(
        app.load_csv(&a.token, "?location=HQ", &csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    let rejected: Vec<(u32, String)> = problem
        .rejected
        .unwrap()
        .into_iter()
        .map(|r| (r.line, r.value))
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "+14255550101".to_owned()),
            (4, "+14255550102".to_owned()),
            (5, "+14255550103".to_owned()),
        ]
    );
    assert!(app.numbers(&a.token, "").await.is_empty());
    assert!(blocks(&app, &a.token).await.is_empty());

    // Skipping them: the good rows load, with their own location or the upload's.
    let loaded = created(
        app.load_csv(&a.token, "?on_error=skip&location=HQ", &csv)
            .await,
    )
    .await;
    assert_eq!((loaded.loaded, loaded.rejected_count), (2, 3));
    let stored: Vec<(String, Option<String>)> = app
        .numbers(&a.token, "")
        .await
        .into_iter()
        .map(|n| (n.number, n.location))
        .collect();
    assert_eq!(
        stored,
        [
            ("+14255550100".to_owned(), Some("Seattle".to_owned())),
            ("+14255550104".to_owned(), Some("HQ".to_owned())),
        ]
    );
}

#[tokio::test]
async fn a_load_past_the_accounts_quota_is_refused_whole() {
    let app = spawn_telephony(&["--number-quota", "150"]).await;
    let a = admin(&app).await;
    app.load_range(&a.token, "+14255550100", 100).await;
    let problem = assert_problem(
        app.load_numbers(&a.token, json!({"start": "+14255551000", "count": 51}))
            .await,
        StatusCode::CONFLICT,
        "number_quota_exceeded",
    )
    .await;
    for said in ["150", "NUMBER_QUOTA", "100", "51"] {
        assert!(problem.detail.contains(said), "{}", problem.detail);
    }
    assert_eq!(app.numbers(&a.token, "").await.len(), 100);
    assert_eq!(blocks(&app, &a.token).await.len(), 1);

    // The quota counts what a load adds: numbers already held and left out do not count.
    let loaded = created(
        app.load_csv(
            &a.token,
            "?on_error=skip",
            &format!(
                "number\n{}",
                (150..250)
                    .map(|n| format!("+1425555{:04}\n", n))
                    .collect::<String>()
            ),
        )
        .await,
    )
    .await;
    assert_eq!((loaded.loaded, loaded.rejected_count), (50, 50));
    assert_eq!(app.numbers(&a.token, "").await.len(), 150);
    // Full: not one more.
    assert_problem(
        app.load_numbers(&a.token, json!({"numbers": ["+14255559999"]}))
            .await,
        StatusCode::CONFLICT,
        "number_quota_exceeded",
    )
    .await;
    // Another account has a quota of its own.
    let b = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    app.load_range(&b.token, "+14255550100", 150).await;
}

#[tokio::test]
async fn loads_past_the_rate_limit_are_refused_in_every_process_until_the_window_moves_on() {
    let limits = ["--number-loads-per-window", "2"];
    let app = spawn_telephony(&limits).await;
    let a = admin(&app).await;
    app.load_range(&a.token, "+14255550100", 10).await;
    app.load_range(&a.token, "+14255550200", 10).await;
    let refused = app
        .load_numbers(&a.token, json!({"start": "+14255550300", "count": 10}))
        .await;
    let retry_after: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (3_500..=3_601).contains(&retry_after),
        "an hour's window: {retry_after}"
    );
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert!(
        problem.detail.contains("2 times per hour"),
        "{}",
        problem.detail
    );
    assert!(
        problem.detail.contains("NUMBER_LOADS_PER_WINDOW"),
        "{}",
        problem.detail
    );
    // Another process on the same database refuses it too: the count is in the database.
    let other = app.restarted(&limits).await;
    assert_problem(
        other.load_csv(&a.token, "", "number\n+14255550300\n").await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
    // Refused before the upload is read: even a body that is not CSV at all is a 429, not a
    // 422 after a parse.
    assert_problem(
        app.load_csv(&a.token, "", &"\"\n".repeat(100_000)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
    assert_eq!(app.numbers(&a.token, "").await.len(), 20);
    assert_eq!(blocks(&app, &a.token).await.len(), 2);

    // With a window of a second, the loads of the last one only count.
    let quick = app
        .restarted(&[
            "--number-loads-per-window",
            "2",
            "--number-load-window-seconds",
            "1",
        ])
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    quick.load_range(&a.token, "+14255550300", 10).await;
    // Each account has its own count.
    let b = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    app.load_range(&b.token, "+14255550100", 10).await;
}

#[tokio::test]
async fn the_billing_csv_quotes_every_field_and_keeps_tenant_names_from_running_as_formulas() {
    let t = Connected::new(&[]).await;
    let (app, token) = (&t.app, t.token());
    app.load_range(token, "+14255550100", 10).await;
    let users = licensed_users(app, token, Some("US"), 2).await;
    let names = ["Bob;=1+1", "Ann\t@SUM(A1)"];
    for (user, name) in users.iter().zip(names) {
        let (status, body) = app
            .sim_control(
                Method::PATCH,
                &format!("tenants/{}/users/{}", t.tenant, user.id),
                Some(json!({ "displayName": name })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    app.sync_users(token).await;
    for (user, name) in users.iter().zip(names) {
        assert_eq!(app.user(token, &user.id).await.display_name, name);
        let response = app.put_service(token, &user.id, None, None).await;
        assert!(response.status().is_success());
        let settled = app.settled_user(token, &user.id).await;
        assert_eq!(settled.service.state, ServiceState::Active, "{settled:?}");
    }

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let response = app
        .request(
            Method::GET,
            &format!("/api/v1/billing/usage?month={month}"),
            Some(token),
        )
        .header(header::ACCEPT, "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    // Every field of every line is quoted: ten of them, "a","b",...
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    for line in &lines {
        assert!(line.starts_with('"') && line.ends_with('"'), "{line}");
        assert_eq!(line.matches("\",\"").count(), 9, "{line}");
    }
    // The names read back as text: a `'` before each formula, after the `;` and the tab too.
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let mut shown: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_owned()).collect();
    shown.sort();
    assert_eq!(shown, ["Ann\t'@SUM(A1)", "Bob;'=1+1"]);
}
