//! Values stored as text through diesel's `ToSql`/`FromSql`, generic over the backend so the
//! one query code serves SQLite and PostgreSQL. Reading back a value that does not parse is a
//! deserialisation error, never a default.

/// `text_column!(Type, |v| v.as_str(), |text: String| Option<Type>)`: `Type` must derive
/// `diesel::AsExpression` and `diesel::FromSqlRow` with `sql_type = Text`.
macro_rules! text_column {
    ($ty:ty, |$v:ident| $to:expr, |$text:ident| $from:expr) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                let $v = self;
                let text: &'b str = $to;
                text.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let $text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    DB,
                >>::from_sql(bytes)?;
                let shown = $text.clone();
                match $from {
                    Some(value) => Ok(value),
                    None => Err(format!(
                        "the stored value {shown:?} is not a valid {}",
                        stringify!($ty)
                    )
                    .into()),
                }
            }
        }
    };
}

pub(crate) use text_column;
