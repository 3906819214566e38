//! The Numbers page's API: loading blocks (a range, a list, a CSV), the list with filters and
//! paging, capacity with low-stock flags, and the refusals (overlaps, malformed numbers, bad
//! CSV rows, roles, other accounts).

use std::collections::{BTreeSet, HashSet};

use reqwest::StatusCode;
use serde_json::json;
use shared::{
    numbers::{
        Capacity, CapacityGroup, CapacityScope, LoadedNumbers, NumberBlock, NumberStatus,
        PhoneNumber,
    },
    paging::Page,
};

use crate::{
    helpers::{assert_problem, TestApp},
    telephony_support::spawn_telephony,
};

async fn capacity(app: &TestApp, token: &str) -> Capacity {
    app.json_ok("/api/v1/numbers/capacity", token).await
}

async fn blocks(app: &TestApp, token: &str) -> Vec<NumberBlock> {
    app.all_pages("/api/v1/number-blocks?limit=500", token)
        .await
}

async fn created(response: reqwest::Response) -> LoadedNumbers {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn range(first: u64, count: u64) -> Vec<String> {
    (first..first + count).map(|n| format!("+{n}")).collect()
}

/// The (line, value) of each rejected row, in any order.
fn lines(rows: &[shared::numbers::RejectedRow]) -> BTreeSet<(u32, String)> {
    rows.iter().map(|r| (r.line, r.value.clone())).collect()
}

#[tokio::test]
async fn an_admin_loads_a_range_and_lists_it_with_paging_and_filters() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;

    let loaded = created(
        app.load_numbers(
            &a.token,
            json!({"start": "+14255550100", "count": 100, "label": "Seattle"}),
        )
        .await,
    )
    .await;
    assert_eq!(loaded.loaded, 100);
    assert!(loaded.rejected.is_empty());
    let block = loaded.block.unwrap();
    assert_eq!(
        (block.first.as_str(), block.last.as_str(), block.count),
        ("+14255550100", "+14255550199", 100)
    );
    assert_eq!(block.label.as_deref(), Some("Seattle"));

    // Pages of 30, in order, every number once.
    let mut next = Some("/api/v1/numbers?limit=30".to_owned());
    let mut listed: Vec<PhoneNumber> = Vec::new();
    let mut sizes = Vec::new();
    while let Some(path) = next {
        let page: Page<PhoneNumber> = app.json_ok(&path, &a.token).await;
        sizes.push(page.items.len());
        listed.extend(page.items);
        next = page.next;
    }
    assert_eq!(sizes, [30, 30, 30, 10]);
    let numbers: Vec<String> = listed.iter().map(|n| n.number.clone()).collect();
    assert_eq!(numbers, range(14_255_550_100, 100));
    for n in &listed {
        assert_eq!(n.country, "US");
        assert_eq!(n.status, NumberStatus::Available);
        assert_eq!(n.block_id, block.id);
        assert!(n.user.is_none() && n.conflict.is_none() && n.available_from.is_none());
    }

    // A list of London numbers, written as people write them: normalised to E.164.
    let london = created(
        app.load_numbers(
            &a.token,
            json!({
                "numbers": ["+44 20 7946 0001", "+44 (20) 7946-0002", "+442079460003"],
                "label": "London office",
                "location": "London"
            }),
        )
        .await,
    )
    .await;
    assert_eq!(london.loaded, 3);
    let gb = app.numbers(&a.token, "country=gb").await;
    assert_eq!(
        gb.iter().map(|n| n.number.as_str()).collect::<Vec<_>>(),
        ["+442079460001", "+442079460002", "+442079460003"]
    );
    assert!(gb
        .iter()
        .all(|n| n.country == "GB" && n.location.as_deref() == Some("London")));

    // Filters.
    assert_eq!(app.numbers(&a.token, "country=US").await.len(), 100);
    assert_eq!(app.numbers(&a.token, "status=available").await.len(), 103);
    assert!(app.numbers(&a.token, "status=assigned").await.is_empty());
    assert_eq!(app.numbers(&a.token, "location=London").await.len(), 3);
    assert_eq!(
        app.numbers(&a.token, &format!("block_id={}", block.id))
            .await
            .len(),
        100
    );
    let found = app.numbers(&a.token, "q=425-555-0150").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, "+14255550150");
    assert!(app.numbers(&a.token, "conflict=true").await.is_empty());
    // Filters combine with paging: `next` keeps them.
    let page: Page<PhoneNumber> = app
        .json_ok(
            "/api/v1/numbers?status=available&country=GB&limit=2",
            &a.token,
        )
        .await;
    assert_eq!(page.items.len(), 2);
    let rest: Page<PhoneNumber> = app.json_ok(&page.next.unwrap(), &a.token).await;
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].number, "+442079460003");
    assert!(rest.next.is_none());

    // The blocks, oldest first.
    let listed_blocks = blocks(&app, &a.token).await;
    assert_eq!(listed_blocks.len(), 2);
    assert_eq!(listed_blocks[0].id, block.id);
    assert_eq!(listed_blocks[1].label.as_deref(), Some("London office"));
    let one_by_one: Vec<NumberBlock> = app
        .all_pages("/api/v1/number-blocks?limit=1", &a.token)
        .await;
    assert_eq!(one_by_one, listed_blocks);

    for bad in [
        "country=GBR",
        "status=free",
        "limit=0",
        "limit=501",
        "cursor=x",
    ] {
        let response = app
            .get(&format!("/api/v1/numbers?{bad}"), Some(&a.token))
            .await;
        assert!(
            matches!(
                response.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{bad}: {}",
            response.status()
        );
    }
}

fn group<'a>(groups: &'a [CapacityGroup], key: &str) -> &'a CapacityGroup {
    groups
        .iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("no group {key} in {groups:?}"))
}

#[tokio::test]
async fn capacity_shows_each_block_with_low_stock_below_the_threshold() {
    // A threshold above the default (10), so that a block of 12 is low only because of it.
    let app = spawn_telephony(&["--low-stock-threshold", "50"]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let empty = capacity(&app, &a.token).await;
    assert!(empty.blocks.is_empty() && empty.countries.is_empty());

    let seattle = created(
        app.load_numbers(
            &a.token,
            json!({"start": "+14255550100", "count": 100, "label": "Seattle", "location": "Seattle"}),
        )
        .await,
    )
    .await
    .block
    .unwrap();
    let london = created(
        app.load_numbers(
            &a.token,
            json!({"start": "+442079460000", "count": 12, "location": "London"}),
        )
        .await,
    )
    .await
    .block
    .unwrap();

    let capacity = capacity(&app, &a.token).await;
    assert_eq!(capacity.low_stock_threshold, 50);
    assert_eq!(capacity.blocks.len(), 2);

    let block = group(&capacity.blocks, &seattle.id.to_string());
    assert_eq!(block.scope, CapacityScope::Block);
    assert_eq!(block.label, "Seattle");
    assert_eq!(
        (
            block.total,
            block.available,
            block.reserved,
            block.assigned,
            block.aging
        ),
        (100, 100, 0, 0, 0)
    );
    assert_eq!(block.utilisation, 0.0);
    assert_eq!(block.assigned_last_30_days, 0);
    assert_eq!(block.days_until_exhausted, None);
    assert!(!block.low_stock, "100 available is not below 50");

    let small = group(&capacity.blocks, &london.id.to_string());
    assert_eq!((small.total, small.available), (12, 12));
    assert!(small.low_stock, "12 available is below 50");
    // Without a label, the block is named by its range.
    assert!(small.label.contains("+442079460000"), "{}", small.label);

    let us = group(&capacity.countries, "US");
    let gb = group(&capacity.countries, "GB");
    assert_eq!((us.total, us.low_stock), (100, false));
    assert_eq!((gb.total, gb.low_stock), (12, true));
    assert_eq!(group(&capacity.locations, "Seattle").total, 100);
    assert_eq!(group(&capacity.locations, "London").total, 12);
    for g in capacity
        .blocks
        .iter()
        .chain(&capacity.countries)
        .chain(&capacity.locations)
    {
        assert_eq!(g.low_stock, g.available < 50, "{g:?}");
    }
}

#[tokio::test]
async fn an_overlapping_block_is_refused_and_changes_nothing() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.load_range(&a.token, "+14255550100", 100).await;

    let problem = assert_problem(
        app.load_numbers(&a.token, json!({"start": "+14255550150", "count": 100}))
            .await,
        StatusCode::CONFLICT,
        "numbers_overlap",
    )
    .await;
    assert!(problem.detail.contains("+14255550150"), "{problem:?}");
    assert_problem(
        app.load_numbers(
            &a.token,
            json!({"numbers": ["+14255550300", "+1 425 555 0199"]}),
        )
        .await,
        StatusCode::CONFLICT,
        "numbers_overlap",
    )
    .await;
    assert_problem(
        app.load_csv(&a.token, "", "number\n+14255550301\n+14255550100\n")
            .await,
        StatusCode::CONFLICT,
        "numbers_overlap",
    )
    .await;

    let numbers = app.numbers(&a.token, "").await;
    assert_eq!(numbers.len(), 100);
    assert_eq!(
        numbers.iter().map(|n| n.number.clone()).collect::<Vec<_>>(),
        range(14_255_550_100, 100)
    );
    assert_eq!(blocks(&app, &a.token).await.len(), 1);
    let capacity = capacity(&app, &a.token).await;
    assert_eq!(capacity.blocks.len(), 1);
    assert_eq!(capacity.blocks[0].total, 100);
}

#[tokio::test]
async fn a_malformed_number_or_request_is_refused_and_loads_nothing() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    for body in [
        json!({"start": "+1425555", "count": 10}),
        json!({"start": "4255550100", "count": 10}),
        json!({"start": "+1 425 555 0100 ext. 12", "count": 10}),
        json!({"start": "not a number", "count": 10}),
        json!({"start": "+14255550100"}),
        json!({"start": "+14255550100", "count": 0}),
        json!({"start": "+14255550100", "count": 10_001}),
        json!({"start": "+14255550100", "count": 2, "numbers": ["+14255550100"]}),
        json!({"numbers": []}),
        json!({}),
    ] {
        assert_problem(
            app.load_numbers(&a.token, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    // A list with a bad entry: that entry, with its position, and nothing loaded.
    let problem = assert_problem(
        app.load_numbers(
            &a.token,
            json!({"numbers": ["+14255550100", "hello", "+14255550102"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    let rejected = problem.rejected.unwrap();
    assert_eq!(lines(&rejected), BTreeSet::from([(2, "hello".to_owned())]));
    assert!(!rejected[0].problem.is_empty());

    assert!(app.numbers(&a.token, "").await.is_empty());
    assert!(blocks(&app, &a.token).await.is_empty());
}

const CSV: &str = "number,location\n\
                   +14255550300,Seattle\n\
                   not a number,Seattle\n\
                   +1 425 555 0301,\n\
                   +1425555,Redmond\n\
                   +14255550302,Redmond\n";

#[tokio::test]
async fn a_csv_with_bad_rows_loads_nothing_or_only_the_good_rows_as_asked() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let bad_rows = BTreeSet::from([(3, "not a number".to_owned()), (5, "+1425555".to_owned())]);

    // By default any bad row refuses the file: each one with its line; nothing loaded.
    let problem = assert_problem(
        app.load_csv(&a.token, "", CSV).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    assert_eq!(lines(&problem.rejected.unwrap()), bad_rows);
    assert_problem(
        app.load_csv(&a.token, "?on_error=reject", CSV).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rejected_rows",
    )
    .await;
    assert!(app.numbers(&a.token, "").await.is_empty());
    assert!(blocks(&app, &a.token).await.is_empty());

    // Asked to skip them: the good rows load, the bad ones are listed.
    let loaded = created(
        app.load_csv(&a.token, "?on_error=skip&label=Upload&location=HQ", CSV)
            .await,
    )
    .await;
    assert_eq!(loaded.loaded, 3);
    assert_eq!(lines(&loaded.rejected), bad_rows);
    let block = loaded.block.unwrap();
    assert_eq!(block.label.as_deref(), Some("Upload"));
    assert_eq!(block.count, 3);
    let numbers = app.numbers(&a.token, "").await;
    let got: Vec<(&str, Option<&str>)> = numbers
        .iter()
        .map(|n| (n.number.as_str(), n.location.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("+14255550300", Some("Seattle")),
            // The row named no location: the upload's.
            ("+14255550301", Some("HQ")),
            ("+14255550302", Some("Redmond")),
        ]
    );

    // A file without a `number` column, or with no rows, is refused whole.
    for csv in ["phone\n+14255550400\n", "number\n"] {
        assert_problem(
            app.load_csv(&a.token, "?on_error=skip", csv).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    assert_eq!(app.numbers(&a.token, "").await.len(), 3);
}

/// Rows left out because they repeat an earlier row, or are in the inventory already, are
/// reported with their own CSV line, as bad rows are.
#[tokio::test]
async fn rows_left_out_of_a_csv_are_reported_with_their_own_line() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.load_range(&a.token, "+14255550100", 100).await;
    let csv = "number\n\
               bad\n\
               +14255550400\n\
               +14255550150\n\
               +14255550400\n\
               +14255550401\n";
    let loaded = created(app.load_csv(&a.token, "?on_error=skip", csv).await).await;
    assert_eq!(loaded.loaded, 2);
    assert_eq!(
        lines(&loaded.rejected),
        BTreeSet::from([
            (2, "bad".to_owned()),
            (4, "+14255550150".to_owned()),
            (5, "+14255550400".to_owned()),
        ]),
        "{:?}",
        loaded.rejected
    );
}

#[tokio::test]
async fn staff_and_viewers_read_the_numbers_but_cannot_load_them() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    app.load_range(&a.token, "+14255550100", 10).await;
    for role in ["staff", "viewer"] {
        let token = app.token_with_role(&a.token, role).await;
        assert_problem(
            app.load_numbers(&token, json!({"start": "+14255550200", "count": 10}))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_problem(
            app.load_csv(&token, "", "number\n+14255550300\n").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        // Reading is for everyone in the account.
        assert_eq!(app.numbers(&token, "").await.len(), 10);
        assert_eq!(capacity(&app, &token).await.blocks.len(), 1);
    }
    assert_eq!(app.numbers(&a.token, "").await.len(), 10);
    assert_eq!(blocks(&app, &a.token).await.len(), 1);
}

#[tokio::test]
async fn another_account_does_not_see_the_numbers() {
    let app = spawn_telephony(&[]).await;
    let a = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    let b = app
        .account("Fabrikam Telephony", "admin@fabrikam.example")
        .await;
    let block = app
        .load_range(&a.token, "+14255550100", 100)
        .await
        .block
        .unwrap();

    assert!(app.numbers(&b.token, "").await.is_empty());
    assert!(app.numbers(&b.token, "q=4255550150").await.is_empty());
    assert!(app
        .numbers(&b.token, &format!("block_id={}", block.id))
        .await
        .is_empty());
    assert!(blocks(&app, &b.token).await.is_empty());
    let theirs = capacity(&app, &b.token).await;
    assert!(theirs.blocks.is_empty() && theirs.countries.is_empty() && theirs.locations.is_empty());

    // Fabrikam's inventory is its own: the same range loads there, and nothing of it shows
    // to Contoso.
    let own = app
        .load_range(&b.token, "+14255550100", 100)
        .await
        .block
        .unwrap();
    assert_ne!(own.id, block.id);
    let contoso = app.numbers(&a.token, "").await;
    assert_eq!(contoso.len(), 100);
    assert!(contoso.iter().all(|n| n.block_id == block.id));
    let fabrikam = app.numbers(&b.token, "").await;
    assert!(fabrikam.iter().all(|n| n.block_id == own.id));
    let blocks_a: HashSet<_> = blocks(&app, &a.token)
        .await
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(blocks_a, HashSet::from([block.id]));
}

#[tokio::test]
async fn a_csv_of_ten_thousand_numbers_loads_and_a_larger_upload_is_refused_whole() {
    let app = spawn_telephony(&[]).await;
    let admin = app
        .account("Contoso Telephony", "admin@contoso.example")
        .await;
    // 10,000 numbers with their location: about 220 KB, over the 64 KiB of other bodies.
    let mut csv = String::from("number,location\n");
    for n in range(14_255_550_000, 10_000) {
        csv.push_str(&n);
        csv.push_str(",Seattle\n");
    }
    assert!(csv.len() > 200_000);
    let loaded = created(app.load_csv(&admin.token, "?label=Big", &csv).await).await;
    assert_eq!(loaded.loaded, 10_000);
    assert!(loaded.rejected.is_empty());

    // Past 1 MiB the upload is refused as a problem, and nothing of it is loaded.
    let mut huge = String::from("number\n");
    for n in range(16_175_550_000, 90_000) {
        huge.push_str(&n);
        huge.push('\n');
    }
    assert!(huge.len() > 1024 * 1024);
    assert_problem(
        app.load_csv(&admin.token, "", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_eq!(blocks(&app, &admin.token).await.len(), 1);
}
