//! Lists a request body may hold at most `MAX` entries of. Reading stops at the first entry
//! past the limit, so a body of a hundred thousand entries costs no more than one of `MAX + 1`.

use std::{fmt, marker::PhantomData};

use serde::{
    de::{Error as _, SeqAccess, Visitor},
    Deserialize, Deserializer,
};

/// A list of at most `MAX` entries.
struct AtMost<T, const MAX: usize>(Vec<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for AtMost<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<T, const MAX: usize>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Entries<T, MAX> {
            type Value = AtMost<T, MAX>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a list of at most {MAX} entries")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX));
                while let Some(entry) = seq.next_element()? {
                    if entries.len() == MAX {
                        return Err(A::Error::invalid_length(MAX + 1, &self));
                    }
                    entries.push(entry);
                }
                Ok(AtMost(entries))
            }
        }

        d.deserialize_seq(Entries(PhantomData))
    }
}

/// `#[serde(deserialize_with = "crate::bounded::list::<_, _, MAX>")]`
pub fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>, const MAX: usize>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    AtMost::<T, MAX>::deserialize(d).map(|list| list.0)
}

/// The same for an optional list (with `#[serde(default)]`).
pub fn optional_list<'de, D: Deserializer<'de>, T: Deserialize<'de>, const MAX: usize>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Option::<AtMost<T, MAX>>::deserialize(d).map(|list| list.map(|l| l.0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "list::<_, _, 3>")]
        items: Vec<u32>,
        #[serde(default, deserialize_with = "optional_list::<_, _, 2>")]
        more: Option<Vec<u32>>,
    }

    #[test]
    fn a_list_past_its_limit_is_refused_and_one_within_is_read() {
        let body: Body = serde_json::from_str(r#"{"items": [1, 2, 3]}"#).unwrap();
        assert_eq!((body.items, body.more), (vec![1, 2, 3], None));
        let body: Body = serde_json::from_str(r#"{"items": [], "more": [1, 2]}"#).unwrap();
        assert_eq!(body.more, Some(vec![1, 2]));
        let body: Body = serde_json::from_str(r#"{"items": [], "more": null}"#).unwrap();
        assert_eq!(body.more, None);
        let error = serde_json::from_str::<Body>(r#"{"items": [1, 2, 3, 4]}"#).unwrap_err();
        assert!(error.is_data(), "{error}");
        assert!(error.to_string().contains("at most 3 entries"), "{error}");
        // Reading stopped at the fourth entry: what follows it is never looked at.
        let error = serde_json::from_str::<Body>(r#"{"items": [1, 2, 3, 4, !!!"#).unwrap_err();
        assert!(error.is_data(), "{error}");
        assert!(serde_json::from_str::<Body>(r#"{"items": [], "more": [1, 2, 3]}"#).is_err());
    }
}
