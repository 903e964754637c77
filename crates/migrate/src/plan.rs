//! What to run, decided from the names a database has recorded: no database here.

use crate::Migration;

/// The names a database that counted `count` migrations has applied: the first `count` of
/// `counted`. A count beyond the list comes from a newer program, which had applied all of them.
pub fn adopted<'a>(counted: &'a [&'static str], count: usize) -> &'a [&'static str] {
    &counted[..count.min(counted.len())]
}

/// The migrations of `migrations` whose names are not in `applied`, in list order. Names in
/// `applied` that the list does not hold (a newer program's) are left alone.
pub fn missing<'a, S: AsRef<str>>(
    migrations: &'a [Migration],
    applied: &[S],
) -> Vec<&'a Migration> {
    migrations
        .iter()
        .filter(|migration| !applied.iter().any(|name| name.as_ref() == migration.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &[Migration] = &[
        Migration {
            name: "0001_a",
            sql: "",
        },
        Migration {
            name: "0002_b",
            sql: "",
        },
        Migration {
            name: "0007_d",
            sql: "",
        },
        Migration {
            name: "0005_c",
            sql: "",
        },
        Migration {
            name: "0010_e",
            sql: "",
        },
    ];
    const COUNTED: &[&str] = &["0001_a", "0002_b", "0007_d", "0005_c"];

    fn names(migrations: Vec<&Migration>) -> Vec<&'static str> {
        migrations
            .into_iter()
            .map(|migration| migration.name)
            .collect()
    }

    #[test]
    fn a_count_stands_for_the_first_names_of_the_list_as_it_was() {
        assert_eq!(adopted(COUNTED, 0), [] as [&str; 0]);
        assert_eq!(adopted(COUNTED, 3), ["0001_a", "0002_b", "0007_d"]);
        assert_eq!(adopted(COUNTED, 4), COUNTED);
        assert_eq!(adopted(COUNTED, 9), COUNTED, "a newer program's count");
    }

    #[test]
    fn missing_names_run_in_list_order_whatever_order_they_landed_in() {
        assert_eq!(
            names(missing(LIST, &[] as &[&str])),
            ["0001_a", "0002_b", "0007_d", "0005_c", "0010_e"]
        );
        assert_eq!(
            names(missing(LIST, &["0001_a", "0002_b", "0007_d"])),
            ["0005_c", "0010_e"]
        );
        assert_eq!(
            names(missing(LIST, &["0001_a", "0002_b", "0010_e", "0007_d"])),
            ["0005_c"],
            "a migration that landed before an applied one still runs"
        );
        assert_eq!(
            names(missing(
                LIST,
                &[
                    "0001_a",
                    "0002_b",
                    "0007_d",
                    "0005_c",
                    "0010_e",
                    "0020_newer"
                ]
            )),
            [] as [&str; 0],
            "a newer program's names are left alone"
        );
    }
}
