//! Each user of a bulk job and how they came out, so the page shows outcomes while the job
//! runs and a job picked up again after a crash skips the users already done.

use diesel::prelude::*;
use shared::phone_service::BulkItemOutcome;

use super::{schema::bulk_items, text_column, DbConn};
use crate::domain::ids::JobId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredOutcome(pub BulkItemOutcome);

text_column!(StoredOutcome, |o| o.0.as_str(), |text| {
    BulkItemOutcome::parse(&text).map(StoredOutcome)
});

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulk_items)]
pub struct BulkItemRow {
    pub job_id: JobId,
    pub position: i32,
    pub user_ref: String,
    pub user_id: Option<String>,
    pub outcome: StoredOutcome,
    pub number: Option<String>,
    pub detail: Option<String>,
}

pub fn insert(conn: &mut DbConn, rows: &[BulkItemRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(bulk_items::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn of_job(conn: &mut DbConn, job: &JobId) -> QueryResult<Vec<BulkItemRow>> {
    bulk_items::table
        .filter(bulk_items::job_id.eq(job))
        .order(bulk_items::position.asc())
        .select(BulkItemRow::as_select())
        .load(conn)
}

pub fn record(
    conn: &mut DbConn,
    job: &JobId,
    position: i32,
    user_id: Option<&str>,
    outcome: BulkItemOutcome,
    number: Option<&str>,
    detail: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        bulk_items::table
            .filter(bulk_items::job_id.eq(job))
            .filter(bulk_items::position.eq(position)),
    )
    .set((
        bulk_items::user_id.eq(user_id),
        bulk_items::outcome.eq(StoredOutcome(outcome)),
        bulk_items::number.eq(number),
        bulk_items::detail.eq(detail),
    ))
    .execute(conn)
}

/// Gives every line of `job` still `queued` a failed outcome, saying `detail`.
pub fn fail_queued(conn: &mut DbConn, job: &JobId, detail: &str) -> QueryResult<usize> {
    diesel::update(
        bulk_items::table
            .filter(bulk_items::job_id.eq(job))
            .filter(bulk_items::outcome.eq(StoredOutcome(BulkItemOutcome::Queued))),
    )
    .set((
        bulk_items::outcome.eq(StoredOutcome(BulkItemOutcome::Failed)),
        bulk_items::detail.eq(detail),
    ))
    .execute(conn)
}
