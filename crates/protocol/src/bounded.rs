//! Lists read from untrusted JSON with a ceiling on their length, enforced while parsing: the
//! item past the ceiling stops the parse with an error naming the limit, so a request cannot make
//! the reader hold more items than any valid request has. Used with
//! `#[serde(deserialize_with = "bounded::vec::<_, _, N>")]`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};

/// A JSON array of at most `MAX` items.
pub fn vec<'de, D, T, const MAX: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_seq(BoundedVisitor::<T, MAX>(PhantomData))
}

struct BoundedVisitor<T, const MAX: usize>(PhantomData<T>);

impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for BoundedVisitor<T, MAX> {
    type Value = Vec<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "a list of at most {MAX} items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX).min(64));
        while let Some(item) = seq.next_element()? {
            if items.len() == MAX {
                return Err(A::Error::custom(format_args!(
                    "a list of at most {MAX} items, got more"
                )));
            }
            items.push(item);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Three {
        #[serde(deserialize_with = "vec::<_, _, 3>")]
        items: Vec<u8>,
    }

    #[test]
    fn reads_up_to_the_ceiling_and_refuses_more() {
        let three: Three = serde_json::from_str(r#"{"items": [1, 2, 3]}"#).unwrap();
        assert_eq!(three.items, [1, 2, 3]);
        let error = serde_json::from_str::<Three>(r#"{"items": [1, 2, 3, 4]}"#).unwrap_err();
        assert!(error.to_string().contains("at most 3"), "{error}");
    }

    #[test]
    fn stops_at_the_first_item_past_the_ceiling() {
        // A syntax error after the fourth item is never reached: the parse stopped before it.
        let error = serde_json::from_str::<Three>(r#"{"items": [1, 2, 3, 4, oops"#).unwrap_err();
        assert!(error.to_string().contains("at most 3"), "{error}");
    }
}
