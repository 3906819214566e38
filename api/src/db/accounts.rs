use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{schema::accounts, DbConn};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &AccountRow) -> QueryResult<()> {
    diesel::insert_into(accounts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<AccountRow>> {
    accounts::table
        .filter(accounts::name.eq(name))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<AccountRow>> {
    accounts::table
        .order(accounts::name.asc())
        .select(AccountRow::as_select())
        .load(conn)
}

/// The account's billing rule, as stored (`any_day` or `pro_rata`).
pub fn billing_rule(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    accounts::table
        .find(id)
        .select(accounts::billing_rule)
        .first(conn)
}

pub fn set_billing_rule(conn: &mut DbConn, id: &str, rule: &str) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::billing_rule.eq(rule))
        .execute(conn)
}
